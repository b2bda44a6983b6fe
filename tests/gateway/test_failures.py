"""A service down gives 502, a slow one 504, quickly; the gateway and the others keep going."""

from __future__ import annotations

import threading
import time

import pytest
from cakap_shared.testing import bearer, mint_token


def auth() -> dict[str, str]:
    return bearer(mint_token("p-1", ["asn"]))


def test_stopped_service_gives_502_while_others_answer(client, services):
    assert client.get("/api/v1/courses", headers=auth()).status_code == 200  # pools a socket
    services["catalog"].stop()
    started = time.monotonic()
    answer = client.get("/api/v1/courses", headers=auth())
    assert time.monotonic() - started < 5
    assert answer.status_code == 502
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.json["status"] == 502
    assert "catalog" in answer.json["detail"]
    assert answer.headers["X-Request-ID"] == answer.json["request_id"]
    assert client.get("/api/v1/people", headers=auth()).status_code == 200
    assert client.get("/").status_code == 200


def test_slow_service_gives_504_while_others_answer(client, services):
    catalog = services["catalog"]
    catalog.slow_paths.add("/api/v1/courses/slow")
    result: dict[str, object] = {}

    def slow_call() -> None:
        started = time.monotonic()
        result["answer"] = client.get("/api/v1/courses/slow", headers=auth())
        result["elapsed"] = time.monotonic() - started

    thread = threading.Thread(target=slow_call)
    thread.start()
    # While the slow call waits, the gateway answers others.
    assert client.get("/api/v1/people", headers=auth()).status_code == 200
    thread.join(10)
    answer = result["answer"]
    assert answer.status_code == 504
    assert answer.json["status"] == 504
    assert result["elapsed"] < 5  # read timeout 0.5 s
    catalog.release.set()
    assert client.get("/api/v1/courses", headers=auth()).status_code == 200


def test_unreachable_address_gives_502_quickly(fake_service, make_gateway):
    from werkzeug.test import Client

    service = fake_service("catalog", ["/api/v1/courses"])
    gateway = make_gateway(service)
    service.stop()  # refused from now on: its last manifest still routes to it
    answer = Client(gateway).get("/api/v1/courses", headers=auth())
    assert answer.status_code == 502


@pytest.mark.security
def test_oversized_body_is_413(fake_service, make_gateway, services):
    from werkzeug.test import Client

    gateway = make_gateway(*services.values(), max_body=1000)
    answer = Client(gateway).post("/api/v1/enrolments", headers=auth(), data=b"x" * 1001)
    assert answer.status_code == 413
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert services["catalog"].requests == []


@pytest.mark.security
def test_unexpected_error_is_a_problem_without_internals(client, gateway, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("gateway.app.forward", boom)
    answer = client.get("/api/v1/courses", headers=auth())
    assert answer.status_code == 500
    assert "secret" not in answer.get_data(as_text=True)
    assert answer.json["request_id"] == answer.headers["X-Request-ID"]

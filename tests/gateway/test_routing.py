"""Routing by manifest: longest prefix, portal fallback, new routes after refresh, headers."""

from __future__ import annotations

import json
import logging

import pytest
from cakap_shared.testing import bearer, mint_token
from gateway.pool import Upstream
from gateway.routing import Manifest, RouteTable
from werkzeug.test import Client


def auth() -> dict[str, str]:
    return bearer(mint_token("p-1", ["asn"]))


def test_routes_api_paths_by_declared_prefix(client, services):
    answer = client.get("/api/v1/courses/42?q=x", headers=auth())
    assert answer.status_code == 200
    assert answer.json["service"] == "catalog"
    assert answer.json["path"] == "/api/v1/courses/42"
    assert answer.json["query"] == "q=x"
    assert client.get("/api/v1/people", headers=auth()).json["service"] == "personnel"
    assert client.get("/api/v1/modules/", headers=auth()).json["service"] == "elearning"


def test_prefix_matches_whole_segments_only(client, services):
    # /api/v1/coursesX is not under /api/v1/courses, and API paths never fall back to the portal
    answer = client.get("/api/v1/coursesX", headers=auth())
    assert answer.status_code == 404
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert services["portal"].requests == []


def test_longest_prefix_wins(fake_service, make_gateway):
    broad = fake_service("catalog", ["/api/v1/things"])
    narrow = fake_service("special", ["/api/v1/things/special"])
    client = Client(make_gateway(broad, narrow))
    assert client.get("/api/v1/things/special/1", headers=auth()).json["service"] == "special"
    assert client.get("/api/v1/things/other", headers=auth()).json["service"] == "catalog"


def test_everything_else_goes_to_the_portal_without_a_token(client, services):
    for path in ("/", "/static/app.css", "/courses/TIK-101", "/login"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert answer.json["service"] == "portal"


def test_non_api_prefix_of_a_service(client):
    answer = client.get("/play/attempt-1?launch=abc")
    assert answer.json["service"] == "elearning"
    assert answer.json["query"] == "launch=abc"


def test_new_declared_route_is_served_after_refresh(client, gateway, services):
    catalog = services["catalog"]
    assert client.get("/api/v1/budgets", headers=auth()).status_code == 404
    catalog.manifest["routes"] = [*catalog.manifest["routes"], "/api/v1/budgets"]
    gateway.registry.refresh()
    answer = client.get("/api/v1/budgets/2026", headers=auth())
    assert answer.status_code == 200
    assert answer.json["service"] == "catalog"


def test_service_down_at_start_is_picked_up_later(fake_service, make_gateway):
    late = fake_service("evaluation", ["/api/v1/assessments"])
    late.manifest_status = 503  # not up yet
    gateway = make_gateway(late)
    client = Client(gateway)
    early = client.get("/api/v1/assessments", headers=auth())
    assert early.status_code == 503  # its routes are not known yet
    assert "evaluation" in early.json["detail"]
    late.manifest_status = 200
    gateway.registry.refresh()
    assert client.get("/api/v1/assessments", headers=auth()).json["service"] == "evaluation"


@pytest.mark.security
def test_internal_paths_are_never_forwarded(client, services):
    for path in (
        "/internal/events",
        "/internal",
        "/api/v1/courses/../../../internal/events",
        "/api/v1/courses/./x",
    ):
        answer = client.post(path, headers=auth(), json={})
        assert answer.status_code == 404, path
    answer = client.get("/", environ_overrides={"PATH_INFO": "//internal/events"})
    assert answer.status_code == 404
    assert services["catalog"].requests == []


def test_request_id_is_created_passed_on_and_echoed(client, services):
    answer = client.get("/api/v1/courses", headers=auth())
    created = answer.headers["X-Request-ID"]
    assert len(created) >= 16
    assert answer.json["request_id"] == created
    answer = client.get("/api/v1/courses", headers={**auth(), "X-Request-ID": "abc-123"})
    assert answer.headers["X-Request-ID"] == "abc-123"
    assert answer.json["request_id"] == "abc-123"
    assert answer.headers.getlist("X-Request-ID") == ["abc-123"]
    answer = client.get("/api/v1/courses", headers={**auth(), "X-Request-ID": "bad id\x01<>"})
    assert answer.headers["X-Request-ID"] != "bad id\x01<>"


def test_request_id_in_access_log(make_gateway, services, capfd):
    logger = logging.getLogger("cakap.access")
    logger.setLevel("INFO")
    try:
        client = Client(make_gateway(*services.values()))
    finally:
        logger.setLevel("NOTSET")
    capfd.readouterr()
    client.get("/api/v1/courses", headers={**auth(), "X-Request-ID": "log-me-1"})
    lines = [json.loads(line) for line in capfd.readouterr().err.splitlines() if "{" in line]
    access = [line for line in lines if line.get("logger") == "cakap.access"]
    assert access[-1]["request_id"] == "log-me-1"
    assert access[-1]["upstream"] == "catalog"
    assert access[-1]["status"] == 200
    assert access[-1]["path"] == "/api/v1/courses"
    assert "Bearer" not in json.dumps(access)


def test_forwarded_headers_and_hop_by_hop(client, services):
    client.get(
        "/api/v1/courses",
        headers={
            **auth(),
            "X-Forwarded-For": "6.6.6.6",
            "Connection": "X-Hop",
            "X-Hop": "secret",
            "Keep-Alive": "timeout=5",
            "Proxy-Authorization": "Basic eA==",
            "X-Custom": "kept",
        },
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )
    seen = services["catalog"].requests[-1]["headers"]
    assert seen["x-forwarded-for"] == "10.1.2.3"  # the client's own claim is not trusted
    assert seen["x-forwarded-proto"] == "http"
    assert seen["x-forwarded-host"] == "localhost"
    assert seen["x-custom"] == "kept"
    assert seen["authorization"].startswith("Bearer ")
    for hop in ("x-hop", "keep-alive", "proxy-authorization"):
        assert hop not in seen


def test_request_body_and_methods_pass_through(client, services):
    answer = client.post("/api/v1/enrolments", headers=auth(), json={"class_id": "c1"})
    assert answer.json["method"] == "POST"
    assert answer.json["body"] == '{"class_id": "c1"}'
    answer = client.delete("/api/v1/enrolments/1", headers=auth())
    assert answer.json["method"] == "DELETE"


def test_chunked_answer_is_relayed(client):
    answer = client.get("/api/v1/courses/chunked", headers=auth())
    assert answer.status_code == 200
    assert answer.data == b"one,two,three"


def test_keep_alive_connections_are_reused(keepalive_service, make_gateway):
    service = keepalive_service()
    gateway = make_gateway()
    gateway.upstreams["ka"] = Upstream("ka", service.url, 0.5, 0.5)
    gateway.registry.table = RouteTable(
        {"ka": Manifest("ka", "1", ("/api/v1/ka",), ())}, ["ka"], None
    )
    client = Client(gateway)
    for _ in range(5):
        assert client.get("/api/v1/ka", headers=auth()).status_code == 200
    assert service.connections == 1


def test_dropped_pooled_connection_is_retried_only_when_safe(keepalive_service, make_gateway):
    service = keepalive_service(drop_after=1)
    gateway = make_gateway()
    gateway.upstreams["ka"] = Upstream("ka", service.url, 0.5, 0.5)
    gateway.registry.table = RouteTable(
        {"ka": Manifest("ka", "1", ("/api/v1/ka",), ())}, ["ka"], None
    )
    client = Client(gateway)
    assert client.get("/api/v1/ka", headers=auth()).status_code == 200
    # The next request on that connection is read and dropped: a GET is sent again ...
    assert client.get("/api/v1/ka", headers=auth()).status_code == 200
    assert service.connections == 2
    # ... a POST is not (it might have been acted on), unless it carries an Idempotency-Key.
    assert client.post("/api/v1/ka", headers=auth(), json={}).status_code == 502
    assert client.get("/api/v1/ka", headers=auth()).status_code == 200
    answer = client.post("/api/v1/ka", headers={**auth(), "Idempotency-Key": "k1"}, json={})
    assert answer.status_code == 200


def test_a_trusted_forwarder_names_the_client_other_peers_cannot(make_gateway, services):
    from ipaddress import ip_network

    from werkzeug.test import Client

    gateway = make_gateway(*services.values(), trusted_forwarders=(ip_network("10.9.0.0/24"),))
    client = Client(gateway)
    # the portal (a trusted forwarder) signs a user in on behalf of a browser
    client.post(
        "/api/v1/auth/token",
        json={"username": "x", "password": "y"},
        headers={"X-Forwarded-For": "198.51.100.7"},
        environ_base={"REMOTE_ADDR": "10.9.0.5"},
    )
    assert services["personnel"].requests[-1]["headers"]["x-forwarded-for"] == "198.51.100.7"
    # anyone else's claim is ignored, and so is a claim that is not an address
    for remote, claim in (("10.1.2.3", "198.51.100.7"), ("10.9.0.5", "not-an-ip")):
        client.post(
            "/api/v1/auth/token",
            json={"username": "x", "password": "y"},
            headers={"X-Forwarded-For": claim},
            environ_base={"REMOTE_ADDR": remote},
        )
        assert services["personnel"].requests[-1]["headers"]["x-forwarded-for"] == remote


def test_the_access_log_masks_player_credentials(make_gateway, services, capfd):
    logger = logging.getLogger("cakap.access")
    logger.setLevel("INFO")
    try:
        client = Client(make_gateway(*services.values()))
    finally:
        logger.setLevel("NOTSET")
    capfd.readouterr()
    client.get("/play/att-1/s3cr3t-credential/content/index.html")
    lines = [json.loads(line) for line in capfd.readouterr().err.splitlines() if "{" in line]
    access = [line for line in lines if line.get("logger") == "cakap.access"]
    assert access[-1]["path"] == "/play/att-1/***/content/index.html"
    assert "s3cr3t-credential" not in json.dumps(lines)

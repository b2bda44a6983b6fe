"""Whose X-Forwarded-For is believed (issue 10 item 7), against the real personnel and portal.

Before: `.env.example` trusted X-Forwarded-For from 127.0.0.1, so any local client could
rotate the header and escape per-address sign-in throttling. Now only a hop presenting the
forwarder secret (the portal to the gateway, the gateway to the services) is believed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from cakap_shared.forwarding import FORWARDER_HEADER, TrustedForwarder
from cakap_shared.testing import empty_tables, migrated_app, rsa_keypair
from gateway.config import GatewayConfig
from werkzeug.serving import make_server
from werkzeug.test import Client

from gateway import Gateway

pytestmark = pytest.mark.security

SECRET = "forwarder-test-secret"
LIMIT = 3  # failed sign-ins per address per window


class Served:
    """A WSGI app on a real port, in a thread."""

    def __init__(self, app: Any) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    """argon2id with tiny cost: these tests only count failed sign-ins."""
    from argon2 import PasswordHasher
    from personnel_service.domain import passwords

    real, real_dummy = passwords._hasher, passwords._DUMMY_HASH
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    passwords._DUMMY_HASH = passwords._hasher.hash("not-a-real-password")
    yield
    passwords._hasher, passwords._DUMMY_HASH = real, real_dummy


@pytest.fixture(scope="module")
def personnel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Served]]:
    """The real personnel app (its sign-in throttling) on a real port, with the secret."""
    from personnel_service import create_app
    from personnel_service.extensions import db

    with migrated_app(
        "personnel",
        create_app,
        db,
        tmp_path_factory.mktemp("personnel-fwd"),
        JWT_PRIVATE_KEY=rsa_keypair()[0],
        SERVICE_SECRET="s3cret",
        FORWARDER_SECRET=SECRET,
        LOGIN_MAX_FAILURES_PER_ADDRESS=LIMIT,
        LOGIN_MAX_FAILURES_PER_USER=100,
    ) as app:
        served = Served(app)
        yield app, served
        served.stop()


@pytest.fixture
def personnel_url(personnel: tuple[Any, Served]) -> str:
    """Personnel's URL, its throttling counters empty."""
    from personnel_service.extensions import db

    app, served = personnel
    with app.app_context():
        empty_tables(db)
    return served.url


@pytest.fixture
def gateway(personnel_url: str) -> Iterator[Gateway]:
    """The gateway as `.env.example` configures it: the forwarder secret, no trusted address."""
    gateway = Gateway(
        GatewayConfig(
            service_urls={"personnel": personnel_url},
            jwt_public_key=rsa_keypair()[1],
            forwarder_secret=SECRET,
        ),
        start_refresher=False,
    )
    yield gateway
    gateway.close()


def sign_in(client: Client, i: int, headers: dict[str, str]) -> int:
    answer = client.post(
        "/api/v1/auth/token",
        json={"username": f"nobody-{i}", "password": "wrong"},
        headers=headers,
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    return answer.status_code


def test_a_local_client_rotating_x_forwarded_for_is_throttled_per_address(gateway) -> None:
    client = Client(gateway)
    statuses = [sign_in(client, i, {"X-Forwarded-For": f"203.0.113.{i}"}) for i in range(LIMIT + 2)]
    assert statuses == [401] * LIMIT + [429, 429]
    # A guessed secret changes nothing.
    forged = {"X-Forwarded-For": "203.0.113.99", FORWARDER_HEADER: "guess"}
    assert sign_in(client, 99, forged) == 429


def test_calling_personnel_directly_with_rotating_x_forwarded_for_is_throttled_too(
    personnel_url: str,
) -> None:
    statuses = [
        requests.post(
            f"{personnel_url}/api/v1/auth/token",
            json={"username": f"nobody-{i}", "password": "wrong"},
            headers={"X-Forwarded-For": f"203.0.113.{i}"},
            timeout=10,
        ).status_code
        for i in range(LIMIT + 1)
    ]
    assert statuses == [401] * LIMIT + [429]


def test_the_portal_names_each_browser_with_the_secret(gateway) -> None:
    from portal_service import create_app
    from portal_service.gateway import ApiError
    from portal_service.gateway import gateway as portal_gateway

    served_gateway = Served(gateway)
    try:
        portal = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "k",
                "GATEWAY_URL": served_gateway.url,
                "FORWARDER_SECRET": SECRET,
            }
        )
        statuses = []
        # One failure each from more browsers than the per-address limit: none is throttled,
        # then one browser fails until it is.
        for i in [*range(LIMIT + 2), *[50] * (LIMIT + 1)]:
            with portal.test_request_context(environ_base={"REMOTE_ADDR": f"198.51.100.{i}"}):
                try:
                    portal_gateway().post(
                        "/api/v1/auth/token", json={"username": f"x{i}", "password": "wrong"}
                    )
                except ApiError as error:
                    statuses.append(error.status)
        assert statuses == [401] * (LIMIT + 2) + [401] * LIMIT + [429]
    finally:
        served_gateway.stop()


def echo_remote(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    seen = f"{environ['REMOTE_ADDR']} {environ['wsgi.url_scheme']} "
    seen += environ.get("HTTP_X_CAKAP_FORWARDER_SECRET", "-")
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [seen.encode()]


def test_services_believe_x_forwarded_for_only_with_the_secret() -> None:
    client = Client(TrustedForwarder(echo_remote, SECRET))
    claim = {"X-Forwarded-For": "203.0.113.5", "X-Forwarded-Proto": "https"}
    for headers in (claim, {**claim, FORWARDER_HEADER: "guess"}):
        answer = client.get("/", headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.1"})
        assert answer.text == "127.0.0.1 http -"
    answer = client.get(
        "/", headers={**claim, FORWARDER_HEADER: SECRET}, environ_base={"REMOTE_ADDR": "10.0.0.2"}
    )
    assert answer.text == "203.0.113.5 https -"  # and the secret never reaches the app
    # Without a configured secret nothing is believed.
    answer = Client(TrustedForwarder(echo_remote, None)).get(
        "/", headers={**claim, FORWARDER_HEADER: ""}, environ_base={"REMOTE_ADDR": "127.0.0.1"}
    )
    assert answer.text == "127.0.0.1 http -"


def test_the_gateway_passes_its_own_proof_never_the_clients(make_gateway, services) -> None:
    from cakap_shared.testing import bearer, mint_token

    client = Client(make_gateway(*services.values(), forwarder_secret=SECRET))
    for presented in ("guess", SECRET):
        client.get(
            "/api/v1/courses",
            headers={
                **bearer(mint_token("p-1", ["asn"])),
                "X-Forwarded-For": "203.0.113.7",
                FORWARDER_HEADER: presented,
            },
            environ_base={"REMOTE_ADDR": "127.0.0.1"},
        )
        seen = services["catalog"].requests[-1]["headers"]
        assert seen["x-cakap-forwarder-secret"] == SECRET  # the gateway's, to the service
        expected = "203.0.113.7" if presented == SECRET else "127.0.0.1"
        assert seen["x-forwarded-for"] == expected
    # Without a secret configured the gateway presents none.
    client = Client(make_gateway(*services.values()))
    client.get("/api/v1/courses", headers=bearer(mint_token("p-1", ["asn"])))
    assert "x-cakap-forwarder-secret" not in services["catalog"].requests[-1]["headers"]


def test_the_shipped_dev_configuration_trusts_no_local_address(tmp_path, monkeypatch) -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    values = dict(
        line.split("=", 1)
        for line in (root / ".env.example").read_text().splitlines()
        if line and not line.startswith("#") and "=" in line
    )
    (tmp_path / "var" / "keys").mkdir(parents=True)
    (tmp_path / "var" / "keys" / "forwarder-secret").write_text("dev-secret\n")
    monkeypatch.chdir(tmp_path)  # relative _FILE paths resolve against the repo root
    config = GatewayConfig.from_env(values)
    assert config.trusted_forwarders == ()
    assert config.forwarder_secret == "dev-secret"

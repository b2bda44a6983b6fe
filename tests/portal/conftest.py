"""Portal test fixtures: the app, a fake gateway (responses), a controllable clock, sign-in."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient
from portal_service import create_app

GATEWAY = "http://gateway.test"
ME_ID = "11111111-1111-4111-8111-111111111111"
TOKEN = "asn-access-token-abc"
REFRESH_TOKEN = "rt_refresh-token-of-the-test-user"


class Clock:
    """A clock the tests move by hand."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    """The portal's clock."""
    return Clock()


@pytest.fixture
def app(tmp_path, clock: Clock) -> Iterator[Flask]:
    """A portal pointed at the fake gateway, CSRF on as in production.

    Sessions live in the real Redis (127.0.0.1:6379), under a key prefix of this test's own.
    """
    prefix = f"cakap-test:{uuid.uuid4().hex}:"
    application = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            "GATEWAY_URL": GATEWAY,
            "PORTAL_SESSION_PREFIX": prefix,
        }
    )
    application.extensions["portal_clock"] = clock
    yield application
    redis = application.extensions["portal_sessions"].client
    keys = list(redis.scan_iter(f"{prefix}*"))
    if keys:
        redis.delete(*keys)


@pytest.fixture
def gw() -> Iterator[responses.RequestsMock]:
    """The fake gateway: register answers with gw.add(...); unknown calls fail loudly."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def client(app: Flask, gw: responses.RequestsMock) -> FlaskClient:
    """A browser-like client."""
    return app.test_client()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def csrf_of() -> Callable[[FlaskClient, str], str]:
    """The CSRF token printed in the page at `url`."""

    def read(client: FlaskClient, url: str = "/masuk") -> str:
        page = client.get(url).get_data(as_text=True)
        match = CSRF_RE.search(page)
        assert match, f"no csrf token in {url}"
        return match.group(1)

    return read


def me_body(roles: list[str], **extra: Any) -> dict[str, Any]:
    """What /api/v1/me answers for the signed-in test user."""
    return {
        "id": ME_ID,
        "username": "pegawai",
        "name": "Nyimas Ayu Lestari",
        "roles": roles,
        **extra,
    }


@pytest.fixture
def sign_in(client: FlaskClient, gw: responses.RequestsMock, csrf_of) -> Callable[..., FlaskClient]:
    """Sign the client in through the login form with `roles`."""

    def do(
        roles: list[str] | None = None, token: str = TOKEN, expires_in: int = 900
    ) -> FlaskClient:
        gw.upsert(
            responses.POST,
            f"{GATEWAY}/api/v1/auth/token",
            json={
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": expires_in,
                "refresh_token": REFRESH_TOKEN,
                "refresh_expires_in": 36000,
                "password_change_required": False,
            },
        )
        gw.upsert(responses.GET, f"{GATEWAY}/api/v1/me", json=me_body(roles or ["asn"]))
        response = client.post(
            "/masuk",
            data={
                "username": "pegawai",
                "password": "cakap-demo",
                "csrf_token": csrf_of(client, "/masuk"),
            },
        )
        assert response.status_code == 303, response.get_data(as_text=True)
        return client

    return do


@pytest.fixture
def api() -> Callable[[str], str]:
    """The fake gateway's URL of an API path."""
    return lambda path: f"{GATEWAY}{path}"


@pytest.fixture
def me() -> Callable[..., dict[str, Any]]:
    """The /api/v1/me body for roles."""
    return me_body


@pytest.fixture
def user_id() -> str:
    """The signed-in test user's id."""
    return ME_ID


@pytest.fixture
def access_token() -> str:
    """The access token the fake gateway hands out at sign-in."""
    return TOKEN

"""Test support shared by every service's tests: keys, tokens, throw-away databases."""

from __future__ import annotations

import functools
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from sqlalchemy import text

from .auth import ALGORITHM, USER_AUDIENCE, jwk_json_from_pem

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@functools.cache
def rsa_keypair() -> tuple[str, str]:
    """A (private PEM, public PEM) pair, made once per test process."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def kid_of(pem: str) -> str:
    """The key id the verifier expects for this key."""
    import json

    return json.loads(jwk_json_from_pem(pem))["kid"]


def mint_token(
    sub: str,
    roles: list[str],
    *,
    private_pem: str | None = None,
    audience: str = USER_AUDIENCE,
    issuer: str = "cakap-personnel",
    expires_in: int = 300,
    headers: dict[str, Any] | None = None,
    **claims: Any,
) -> str:
    """A signed access token as personnel would issue it."""
    private_pem = private_pem or rsa_keypair()[0]
    now = int(time.time())
    payload = {
        "sub": sub,
        "roles": roles,
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "exp": now + expires_in,
        "username": claims.pop("username", sub),
        **claims,
    }
    return jwt.encode(
        payload,
        private_pem,
        algorithm=ALGORITHM,
        headers={"kid": kid_of(private_pem), **(headers or {})},
    )


def bearer(token: str) -> dict[str, str]:
    """The Authorization header carrying `token`."""
    return {"Authorization": f"Bearer {token}"}


def backend() -> str:
    """Which database the tests run on: TEST_DB=sqlite (default) or postgres."""
    return os.environ.get("TEST_DB", "sqlite")


def postgres_admin_url() -> str:
    """Where tests create and drop their PostgreSQL databases."""
    url = os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@contextmanager
def throwaway_database(service: str, tmp_dir: Path) -> Iterator[str]:
    """A fresh empty database URL for one test session; dropped afterwards."""
    if backend() != "postgres":
        yield f"sqlite:///{tmp_dir / (service + '.db')}"
        return
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    admin_url = make_url(postgres_admin_url())
    name = f"cakap_test_{service}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def migrated_app(
    service: str,
    create_app: Callable[[dict[str, Any]], Flask],
    db: SQLAlchemy,
    tmp_dir: Path,
    **overrides: Any,
) -> Iterator[Flask]:
    """A service app on a fresh database whose schema its migrations built; disposed after."""
    with throwaway_database(service, tmp_dir) as url:
        app = create_app(service_test_config(service, url, **overrides))
        upgrade_database(app)
        try:
            yield app
        finally:
            with app.app_context():
                db.engine.dispose()


def upgrade_database(app: Flask) -> None:
    """Build the schema with the service's Alembic migrations, as production does."""
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()


def empty_tables(db: SQLAlchemy) -> None:
    """Delete every row of every table (not alembic_version), children first."""
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
    db.session.remove()


def service_test_config(service: str, database_url: str, **overrides: Any) -> dict[str, Any]:
    """Config for a service under test: its database, the test public key, no peers."""
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "JWT_PUBLIC_KEY": rsa_keypair()[1],
        "SERVICE_URLS": {},
        **overrides,
    }


class FlaskTransport(BaseAdapter):
    """Answer a requests.Session's calls from a Flask app in the same process.

    Mount it on a peer client's session so the client talks to the peer's real API in a
    test; `paths` keeps every path (and query) as it went on the wire.
    """

    def __init__(self, app: Flask) -> None:
        super().__init__()
        self.app = app
        self.paths: list[str] = []

    def send(self, request: requests.PreparedRequest, **_kwargs: Any) -> requests.Response:
        """Run the prepared request through the app's test client."""
        parts = urlsplit(request.url or "")
        self.paths.append(parts.path + (f"?{parts.query}" if parts.query else ""))
        answer = self.app.test_client().open(
            parts.path,
            method=request.method or "GET",
            query_string=parts.query,
            headers={k: v for k, v in request.headers.items() if k.lower() != "host"},
            data=request.body,
        )
        response = requests.Response()
        response.status_code = answer.status_code
        response._content = answer.get_data()
        response.headers = CaseInsensitiveDict(dict(answer.headers))
        response.encoding = answer.mimetype_params.get("charset", "utf-8")
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        """Nothing to release."""

"""Test support shared by every service's tests: keys, tokens, callers (`as_role`, `Cast`),
a fake clock, event factories, throw-away databases."""

from __future__ import annotations

import functools
import json
import os
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from sqlalchemy import text
from werkzeug.test import TestResponse

from .auth import ALGORITHM, USER_AUDIENCE, jwk_json_from_pem
from .db import aware, local_date
from .platform import init_migrations

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
    kid: str = json.loads(jwk_json_from_pem(pem))["kid"]
    return kid


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


# --- acting as someone -------------------------------------------------------------
_PERSONA_NAMESPACE = uuid.UUID("3b7d6c1e-5a0f-4d8e-9c52-7e1f0a4b2c90")
_TOKEN_LIFETIME = 3600  # seconds; a cached token is minted again in its last ten minutes
_tokens: dict[str, tuple[str, float]] = {}


def _cached_token(sub: str, roles: tuple[str, ...], audience: str, claims: dict[str, Any]) -> str:
    # Minting signs with RSA (slow): one token per caller, reused until near its expiry.
    key = json.dumps([sub, roles, audience, claims], sort_keys=True, default=str)
    cached = _tokens.get(key)
    if cached is not None and cached[1] - time.time() > 600:
        return cached[0]
    token = mint_token(sub, list(roles), audience=audience, expires_in=_TOKEN_LIFETIME, **claims)
    _tokens[key] = (token, time.time() + _TOKEN_LIFETIME)
    return token


def as_role(
    *roles: str, sub: str | None = None, audience: str = USER_AUDIENCE, **claims: Any
) -> dict[str, str]:
    """The Authorization header of a caller holding `roles`.

    `as_role("admin")`; `as_role("asn", "supervisor", sub=person_id, unit_code="DISKOMINFO")`.
    Without `sub` the caller is one stable person per set of roles, so two calls act as
    the same person. Extra keyword arguments are token claims (name, unit_code ...).
    """
    if not roles:
        raise ValueError("as_role needs at least one role")
    if sub is None:
        sub = str(uuid.uuid5(_PERSONA_NAMESPACE, ",".join(sorted(roles))))
    return bearer(_cached_token(sub, roles, audience, claims))


def service_token(caller: str, audience: str) -> str:
    """The token service `caller` shows `audience` (a service's `cakap_service_tokens`)."""
    return _cached_token(f"service:{caller}", ("service",), audience, {})


def as_service(caller: str, audience: str) -> dict[str, str]:
    """The Authorization header of service `caller` calling service `audience`."""
    return bearer(service_token(caller, audience))


@dataclass(frozen=True)
class Persona:
    """A named test caller: who they are, their roles and the claims of their token."""

    sub: str
    roles: tuple[str, ...]
    claims: dict[str, Any] = field(default_factory=dict)
    audience: str = USER_AUDIENCE

    def headers(self) -> dict[str, str]:
        """This caller's Authorization header."""
        return as_role(*self.roles, sub=self.sub, audience=self.audience, **self.claims)


class Cast:
    """The callers of a test module by name: `cast("trainer")` is the trainer's headers.

    `Cast(admin=Persona(ADMIN, ("admin",)), learner=Persona(LEARNER, ("asn",),
    {"unit_code": "DISKOMINFO"}))`; `cast["learner"].sub` is the learner's id.
    """

    def __init__(self, **people: Persona) -> None:
        self.people = people

    def __call__(self, who: str) -> dict[str, str]:
        return self.people[who].headers()

    def __getitem__(self, who: str) -> Persona:
        return self.people[who]


# --- time -------------------------------------------------------------------------
class FakeClock:
    """A clock the tests move by hand, instead of sleeping.

    `now()` is aware UTC, `today()` the local date (TIMEZONE), `time()` (also the clock
    called as a function) epoch seconds, for the components that take a
    `Callable[[], float]`. `install(monkeypatch, module)` replaces a service's clock
    module's `now`/`today` with this clock's for one test.
    """

    START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or self.START

    def now(self) -> datetime:
        """The current fake moment (aware UTC)."""
        return self.current

    def today(self) -> date:
        """The fake moment's local date."""
        return local_date(self.current)

    def time(self) -> float:
        """The fake moment in epoch seconds."""
        return self.current.timestamp()

    def __call__(self) -> float:
        return self.time()

    def advance(self, **delta: float) -> None:
        """Move on: `clock.advance(minutes=5)` (timedelta's keywords)."""
        self.current += timedelta(**delta)

    def set(self, moment: datetime | date) -> None:
        """Jump to a moment, or to 08:00 UTC of a date."""
        if not isinstance(moment, datetime):
            moment = datetime(moment.year, moment.month, moment.day, 8, tzinfo=UTC)
        self.current = aware(moment)

    def install(self, monkeypatch: Any, module: Any) -> FakeClock:
        """Patch `module.now` and `module.today` (those it has) to read this clock."""
        for name in ("now", "today"):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, getattr(self, name))
        return self


# --- events -----------------------------------------------------------------------
def event_envelope(
    event_type: str,
    data: dict[str, Any],
    *,
    producer: str,
    aggregate_id: str | None = None,
    event_id: str | None = None,
    version: int = 1,
    occurred_at: str = "2026-11-30T01:00:00+00:00",
) -> dict[str, Any]:
    """An event as a producer's delivery loop sends it (new ids unless given)."""
    return {
        "id": event_id or str(uuid.uuid4()),
        "type": event_type,
        "version": version,
        "occurred_at": occurred_at,
        "producer": producer,
        "aggregate_id": aggregate_id or str(uuid.uuid4()),
        "data": data,
    }


def deliver_event(client: FlaskClient, envelope: dict[str, Any], audience: str) -> TestResponse:
    """POST the event to the `audience` service's /internal/events as its producer would."""
    headers = as_service(envelope["producer"], audience)
    return client.post("/internal/events", json=envelope, headers=headers)


def deliver_events(
    client: FlaskClient, envelopes: list[dict[str, Any]], audience: str
) -> TestResponse:
    """POST the events in one batch to the `audience` service's /internal/events/batch as
    their producer's delivery loop would (the first event's producer sends)."""
    headers = as_service(envelopes[0]["producer"], audience)
    return client.post("/internal/events/batch", json={"events": envelopes}, headers=headers)


def backend() -> str:
    """Which database the tests run on: TEST_DB=sqlite (default) or postgres."""
    return os.environ.get("TEST_DB", "sqlite")


def lock_waiters(connection: Any) -> int:
    """How many sessions of this connection's PostgreSQL database wait for a lock (a row's
    or an advisory one): what a test of two transactions at once checks before letting
    the first one go."""
    return int(
        connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar()
    )


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

    init_migrations(app)
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

    def send(  # type: ignore[override]  # the transport options do not apply in-process
        self, request: requests.PreparedRequest, **_kwargs: Any
    ) -> requests.Response:
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


class PeerContractError(AssertionError):
    """A call between services that the called service's own OpenAPI document refuses."""


class ContractTransport(FlaskTransport):
    """A FlaskTransport that checks every call against the peer's own OpenAPI document.

    The document is read from the peer app itself (`spec_path`), so it is generated from
    the peer's code in the same test run. A request the peer's spec refuses (unknown path,
    wrong method, a body field its schema forbids, a missing required one) or an answer
    that breaks the spec raises PeerContractError. Peer clients often turn any exception
    into their own "unavailable" error, so every refusal is also kept in `violations`:
    call `assert_clean()` after the client call.
    """

    def __init__(self, app: Flask, spec_path: str = "/api/openapi.json") -> None:
        from openapi_core import Config, OpenAPI
        from openapi_core.deserializing.media_types.util import json_loads

        super().__init__(app)
        answer = app.test_client().get(spec_path)
        if answer.status_code != 200:
            raise PeerContractError(f"{spec_path} of the peer answered {answer.status_code}")
        self.spec: dict[str, Any] = answer.get_json()
        # Errors are RFC 9457 problems; openapi-core reads only plain JSON out of the box.
        problems: dict[str, Callable[[bytes], Any]] = {"application/problem+json": json_loads}
        self.openapi = OpenAPI.from_dict(
            self.spec, config=Config(extra_media_type_deserializers=problems)
        )
        self.violations: list[str] = []

    def send(  # type: ignore[override]  # the transport options do not apply in-process
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        """Check the request, answer it from the peer app, check the answer."""
        from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

        wrapped = RequestsOpenAPIRequest(request)
        refused: list[Exception | str] = [*self.openapi.iter_request_errors(wrapped)]
        refused += self._undeclared_query(request)
        self._check("request", request, refused)
        response = super().send(request, **kwargs)
        errors = self.openapi.iter_response_errors(wrapped, RequestsOpenAPIResponse(response))
        self._check(f"answer {response.status_code} to", request, errors)
        return response

    def _check(
        self, what: str, request: requests.PreparedRequest, errors: Iterable[Exception | str]
    ) -> None:
        found = [error if isinstance(error, str) else _explain(error) for error in errors]
        if not found:
            return
        body = request.body.decode() if isinstance(request.body, bytes) else request.body
        message = (
            f"{what} {request.method} {request.path_url} breaks the peer's OpenAPI document: "
            + "; ".join(found)
            + (f" (body sent: {body})" if body else "")
        )
        self.violations.append(message)
        raise PeerContractError(message)

    def _undeclared_query(self, request: requests.PreparedRequest) -> list[str]:
        """Query parameters the operation does not declare: OpenAPI allows them, but a peer
        ignores them silently, so a misspelt filter would quietly return everything."""
        parts = urlsplit(request.url or "")
        sent = {name for name, _ in parse_qsl(parts.query, keep_blank_values=True)}
        if not sent:
            return []
        # A literal segment wins over a template one (/people/import before /people/{id}).
        paths = sorted(self.spec.get("paths", {}).items(), key=lambda pair: pair[0].count("{"))
        for template, item in paths:
            pattern = "[^/]+".join(map(re.escape, re.split(r"\{[^}]+\}", template)))
            operation = item.get((request.method or "GET").lower())
            if operation is None or not re.fullmatch(pattern, parts.path):
                continue
            declared = {
                p["name"]
                for p in [*item.get("parameters", []), *operation.get("parameters", [])]
                if p.get("in") == "query"
            }
            return [f"undeclared query parameter {name!r}" for name in sorted(sent - declared)]
        return []  # no operation: the openapi-core check has said so already

    def assert_clean(self) -> None:
        """Fail with every refusal seen so far, then forget them."""
        found, self.violations = self.violations, []
        if found:
            raise PeerContractError("\n".join(found))


def _explain(error: BaseException) -> str:
    """An openapi-core error with its schema errors (which field, why)."""
    details: list[str] = []
    seen: BaseException | None = error
    while seen is not None:
        for schema_error in getattr(seen, "schema_errors", None) or ():
            where = "/".join(str(p) for p in schema_error.absolute_path) or "(root)"
            details.append(f"{where}: {schema_error.message}")
        seen = seen.__cause__ or seen.__context__
    return f"{type(error).__name__}: {'; '.join(details) if details else error}"

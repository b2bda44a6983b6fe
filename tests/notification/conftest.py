"""Notification test fixtures: the app on a migrated database, a real in-process SMTP server."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from types import SimpleNamespace
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cakap_shared.testing import (
    as_role,
    deliver_event,
    empty_tables,
    event_envelope,
    migrated_app,
    service_token,
)
from flask import Flask
from flask.testing import FlaskClient
from notification_service import create_app
from notification_service.channels.email import SmtpChannel
from notification_service.extensions import db


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class SmtpServer:
    """A real SMTP server in this process; `answers` makes it refuse the next messages."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)  # e.g. ["451 try later"], used up in order
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.answers:
            return self.answers.pop(0)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth: Any):
        ok = auth.login == b"cakap" and auth.password == b"rahasia"
        if ok:
            self.logins.append(auth.login.decode())
        return AuthResult(success=ok)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    """One aiosmtpd server for the session (AUTH allowed without TLS, as on a local relay)."""
    server = SmtpServer(port=free_port())
    controller = Controller(
        server,
        hostname="127.0.0.1",
        port=server.port,
        authenticator=server.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    yield server
    controller.stop()


@pytest.fixture
def smtp(smtp_server: SmtpServer) -> SmtpServer:
    """The SMTP server, emptied for this test."""
    smtp_server.messages.clear()
    smtp_server.answers.clear()
    smtp_server.logins.clear()
    return smtp_server


@pytest.fixture
def channel(smtp: SmtpServer) -> SmtpChannel:
    return SmtpChannel("127.0.0.1", smtp.port, "Cakap <noreply@cakap.localhost>", timeout=5)


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The notification app, schema built by its migrations."""
    with migrated_app(
        "notification",
        create_app,
        db,
        tmp_path_factory.mktemp("notification"),
        NOTIFY_BACKOFF_CAP=1,
        PUBLIC_BASE_URL="https://cakap.example.go.id",
    ) as application:
        yield application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client on empty tables."""
    with app.app_context():
        empty_tables(db)
    return app.test_client()


SUPERVISOR = str(uuid.uuid4())
LEARNER = str(uuid.uuid4())
OTHER = str(uuid.uuid4())
ADMIN = str(uuid.uuid4())


def user(person_id: str, roles: list[str] | None = None) -> dict[str, str]:
    return as_role(*(roles or ["asn"]), sub=person_id)


def envelope(event_type: str, data: dict[str, Any], producer: str = "catalog") -> dict[str, Any]:
    return event_envelope(event_type, data, producer=producer)


def deliver(client: FlaskClient, event: dict[str, Any]) -> Any:
    """POST the event to /internal/events as its producer's delivery loop would."""
    return deliver_event(client, event, "notification")


def person_updated(person_id: str, name: str, email: str | None, **extra: Any) -> dict[str, Any]:
    data = {
        "person_id": person_id,
        "name": name,
        "email": email,
        "unit_code": "DISKOMINFO",
        "supervisor_id": extra.pop("supervisor_id", None),
        "position": "Analis",
        "grade": "III/a",
        "status": "aktif",
        **extra,
    }
    return envelope("person.updated", data, producer="personnel")


def enrolment(event_type: str, status: str, **extra: Any) -> dict[str, Any]:
    data = {
        "enrolment_id": str(uuid.uuid4()),
        "learner_id": LEARNER,
        "supervisor_id": SUPERVISOR,
        "course_id": str(uuid.uuid4()),
        "course_code": "TIK-101",
        "course_title": "Keamanan Informasi bagi ASN",
        "class_id": str(uuid.uuid4()),
        "class_name": "Angkatan I",
        "starts_on": "2026-12-10",
        "status": status,
        **extra,
    }
    return envelope(event_type, data)


@pytest.fixture
def people(client: FlaskClient) -> dict[str, str]:
    """The learner and the supervisor known from person.updated."""
    for event in (
        person_updated(SUPERVISOR, "Rizal Effendi", "rizal@palembang.go.id"),
        person_updated(
            LEARNER, "Nyimas Ayu Lestari", "nyimas@palembang.go.id", supervisor_id=SUPERVISOR
        ),
    ):
        assert deliver(client, event).status_code == 200
    return {"supervisor": "rizal@palembang.go.id", "learner": "nyimas@palembang.go.id"}


@pytest.fixture
def kit() -> SimpleNamespace:
    """The helpers and ids above, for test modules (conftest is not importable here)."""
    return SimpleNamespace(
        SUPERVISOR=SUPERVISOR,
        LEARNER=LEARNER,
        OTHER=OTHER,
        ADMIN=ADMIN,
        user=user,
        envelope=envelope,
        deliver=deliver,
        person_updated=person_updated,
        enrolment=enrolment,
    )


PERSONNEL_URL = "http://personnel.test"
PEOPLE = {  # key: (NIP, unit, supervisor key, e-mail)
    "kadis": ("198001012005011001", "DINAS", None, "kadis@palembang.go.id"),
    "kabid": ("198503032010031003", "DINAS-TIK", "kadis", "kabid@palembang.go.id"),
    "staf": ("199202022015022002", "DINAS-TIK", "kabid", "staf@palembang.go.id"),
    "rajin": ("199004042014041004", "DINAS-TIK", "kabid", "rajin@palembang.go.id"),
    "luar": ("198806062012061005", "LAIN", None, "luar@palembang.go.id"),
}


@pytest.fixture(scope="session")
def personnel_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """personnel's real app: DINAS > DINAS-TIK, and LAIN; kadis > kabid > staf, rajin (who
    has met the JP target); luar in LAIN. Its ids by key in `.ids`."""
    from cakap_shared.testing import rsa_keypair
    from personnel_service import create_app as create_personnel
    from personnel_service.extensions import db as personnel_db

    with migrated_app(
        "personnel",
        create_personnel,
        personnel_db,
        tmp_path_factory.mktemp("personnel"),
        JWT_PRIVATE_KEY=rsa_keypair()[0],
    ) as personnel:
        admin = user("admin-1", ["admin"])
        api = personnel.test_client()
        for code, parent in (("DINAS", None), ("DINAS-TIK", "DINAS"), ("LAIN", None)):
            made = api.post(
                "/api/v1/units",
                json={"code": code, "name": f"Unit {code}", "parent_code": parent},
                headers=admin,
            )
            assert made.status_code == 201, made.get_json()
        ids: dict[str, str] = {}
        for key, (nip, unit, boss, email) in PEOPLE.items():
            body = {
                "nip": nip,
                "name": f"Uji {key}",
                "unit_code": unit,
                "grade": "III/a",
                "position": "Analis",
                "email": email,
                "roles": ["asn", "supervisor"] if key in ("kadis", "kabid") else ["asn"],
            }
            if boss:
                body["supervisor_nip"] = PEOPLE[boss][0]
            made = api.post("/api/v1/people", json=body, headers=admin)
            assert made.status_code == 201, made.get_json()
            ids[key] = made.get_json()["id"]
        entry = api.post(
            f"/api/v1/people/{ids['rajin']}/jp-entries",
            json={
                "title": "Seminar keamanan siber",
                "jp": 24,
                "form": "seminar",
                "completed_on": "2026-01-15",
                "evidence_url": "https://example.go.id/bukti.pdf",
            },
            headers=admin,
        )
        assert entry.status_code == 201, entry.get_json()
        yield SimpleNamespace(app=personnel, ids=ids)


@pytest.fixture
def with_personnel(app: Flask, client: FlaskClient, personnel_app: SimpleNamespace):
    """The notification app calling personnel's real API (in-process) with a service token."""
    from cakap_shared.testing import FlaskTransport
    from notification_service.clients import personnel

    token = service_token("notification", "personnel")
    saved = app.config["SERVICE_URLS"]
    app.config["SERVICE_URLS"] = {**saved, "personnel": PERSONNEL_URL}
    app.extensions["cakap_service_tokens"] = lambda _audience: token
    app.extensions.pop("notification_http", None)
    with app.app_context():
        personnel._client().session.mount(PERSONNEL_URL, FlaskTransport(personnel_app.app))
    try:
        yield personnel_app.ids
    finally:
        app.config["SERVICE_URLS"] = saved
        app.extensions.pop("cakap_service_tokens", None)
        app.extensions.pop("notification_http", None)

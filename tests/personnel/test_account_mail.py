"""Activation and reset e-mails: personnel's event, notification's real handler, a real SMTP server.

Personnel publishes account.mail_requested (no code in it); notification's /internal/events
handler collects a fresh code from the real personnel API over HTTP and sends the mail. The
code is never stored in either database: only its digest, in personnel.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from cakap_shared.testing import bearer, migrated_app, mint_token
from notification_service import create_app as create_notification
from notification_service.extensions import db as notification_db
from personnel_service.extensions import db as personnel_db
from sqlalchemy import select
from werkzeug.serving import make_server

GOOD = "kopi tubruk di tepi musi"


class Inbox:
    """aiosmtpd handler keeping messages; `answers` refuses the next ones (e.g. 451)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.answers: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.answers:
            return self.answers.pop(0)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Inbox, int]]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture(scope="module")
def notification_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    with migrated_app(
        "notification",
        create_notification,
        notification_db,
        tmp_path_factory.mktemp("n"),
        PUBLIC_BASE_URL="https://cakap.example.go.id",
    ) as app:
        yield app


@pytest.fixture
def notification(app, notification_app, smtp) -> Iterator:
    """Notification wired to the real personnel app over HTTP and to the SMTP server."""
    inbox, port = smtp
    inbox.messages.clear()
    inbox.answers.clear()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    saved = dict(notification_app.config)
    notification_app.config.update(
        SERVICE_URLS={"personnel": f"http://127.0.0.1:{server.server_port}"},
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=port,
        SMTP_STARTTLS=False,
        SMTP_USERNAME=None,
    )
    notification_app.extensions["cakap_service_tokens"] = lambda audience: mint_token(
        "service:notification", ["service"], audience=audience
    )
    notification_app.extensions.pop("notification_http", None)
    try:
        yield notification_app
    finally:
        notification_app.config.clear()
        notification_app.config.update(saved)
        notification_app.extensions.pop("cakap_service_tokens", None)
        notification_app.extensions.pop("notification_http", None)
        server.shutdown()


def mail_events(outbox) -> list[dict[str, Any]]:
    return [e for e in outbox() if e["type"] == "account.mail_requested"]


def deliver(notification, event: dict[str, Any], event_id: str) -> Any:
    """POST the event to notification's /internal/events as personnel's outbox loop does."""
    envelope = {
        "id": event_id,
        "version": 1,
        "occurred_at": "2026-11-30T03:00:00+00:00",
        "producer": "personnel",
        "aggregate_id": event["data"]["person_id"],
        **event,
    }
    token = mint_token("service:personnel", ["service"], audience="notification")
    return notification.test_client().post("/internal/events", json=envelope, headers=bearer(token))


def code_in(message: EmailMessage) -> str:
    return re.search(r"Kode(?: aktivasi)?: (\S+)", message.get_content()).group(1)


def stored_text(app, db) -> str:
    """Every row of every table of a service, as text: where a stored code would show."""
    with app.app_context():
        return "\n".join(
            json.dumps([list(row) for row in db.session.execute(select(table))], default=str)
            for table in db.metadata.sorted_tables
        )


@pytest.mark.security
def test_activation_mail_through_notification_without_a_stored_code(
    app, org, outbox, notification, smtp
):
    inbox, _port = smtp
    org.patch(f"/api/v1/people/{org.ids['staff']}", json={"email": "staf@kota.go.id"})
    queued = org.client.post(
        f"/api/v1/people/{org.ids['staff']}/activation-mail",
        headers=org.headers("kabid", ["asn", "opd_admin"]),
    )
    assert queued.status_code == 202, queued.get_json()
    assert queued.get_json()["queued"] == [org.ids["staff"]]
    [event] = mail_events(outbox)
    assert set(event["data"]) == {"mail_id", "person_id", "purpose", "name", "email", "username"}

    answer = deliver(notification, event, "9a1c7e0e-0000-4000-8000-000000000001")
    assert answer.status_code == 200 and answer.get_json()["status"] == "handled"
    [mail] = inbox.messages
    assert "staf@kota.go.id" in mail["To"] and "Aktivasi akun Cakap" in mail["Subject"]
    text = mail.get_content()
    assert f"/aktivasi?u={org.nips['staff']}" in text and "berlaku sampai" in text
    code = code_in(mail)
    for service_app, db in ((app, personnel_db), (notification, notification_db)):
        assert code not in stored_text(service_app, db)

    activated = org.client.post(
        "/api/v1/auth/activate",
        json={"username": org.nips["staff"], "code": code, "password": GOOD},
    )
    assert activated.status_code == 200
    # Redelivered once more (a lost acknowledgement): the inbox drops the twin.
    again = deliver(notification, event, "9a1c7e0e-0000-4000-8000-000000000001")
    assert again.get_json()["status"] == "duplicate" and len(inbox.messages) == 1


def test_reset_mail_through_notification(org, outbox, notification, smtp):
    inbox, _port = smtp
    code = org.post(f"/api/v1/people/{org.ids['staff']}/activation").get_json()["code"]
    org.client.post(
        "/api/v1/auth/activate",
        json={"username": org.nips["staff"], "code": code, "password": GOOD},
    )
    org.patch(f"/api/v1/people/{org.ids['staff']}", json={"email": "staf@kota.go.id"})
    asked = org.client.post("/api/v1/auth/password-reset", json={"username": org.nips["staff"]})
    assert asked.status_code == 202
    [event] = mail_events(outbox)
    assert deliver(notification, event, "9a1c7e0e-0000-4000-8000-000000000002").status_code == 200
    [mail] = inbox.messages
    assert "Atur ulang kata sandi" in mail["Subject"]
    done = org.client.post(
        "/api/v1/auth/password-reset/confirm",
        json={
            "username": org.nips["staff"],
            "code": code_in(mail),
            "new_password": "baru dan aman",
        },
    )
    assert done.status_code == 204


def test_a_refused_send_is_redelivered_with_a_fresh_code(org, outbox, notification, smtp):
    inbox, _port = smtp
    org.patch(f"/api/v1/people/{org.ids['staff']}", json={"email": "staf@kota.go.id"})
    org.post(f"/api/v1/people/{org.ids['staff']}/activation-mail")
    [event] = mail_events(outbox)
    inbox.answers.append("451 4.3.0 try again later")
    first = deliver(notification, event, "9a1c7e0e-0000-4000-8000-000000000003")
    assert first.status_code == 503 and first.mimetype == "application/problem+json"
    assert inbox.messages == []
    # The producer's outbox tries again; the event was not recorded as handled.
    second = deliver(notification, event, "9a1c7e0e-0000-4000-8000-000000000003")
    assert second.status_code == 200 and second.get_json()["status"] == "handled"
    [mail] = inbox.messages
    activated = org.client.post(
        "/api/v1/auth/activate",
        json={"username": org.nips["staff"], "code": code_in(mail), "password": GOOD},
    )
    assert activated.status_code == 200


def test_no_mail_once_the_account_was_activated_meanwhile(org, outbox, notification, smtp):
    inbox, _port = smtp
    org.patch(f"/api/v1/people/{org.ids['staff']}", json={"email": "staf@kota.go.id"})
    org.post(f"/api/v1/people/{org.ids['staff']}/activation-mail")
    [event] = mail_events(outbox)
    code = org.post(f"/api/v1/people/{org.ids['staff']}/activation").get_json()["code"]
    org.client.post(
        "/api/v1/auth/activate",
        json={"username": org.nips["staff"], "code": code, "password": GOOD},
    )
    answer = deliver(notification, event, "9a1c7e0e-0000-4000-8000-000000000004")
    assert answer.status_code == 200 and inbox.messages == []


def test_malformed_account_mail_event_is_refused(notification):
    event = {
        "type": "account.mail_requested",
        "data": {"mail_id": "x", "person_id": "y", "purpose": "steal", "name": "n"},
    }
    answer = deliver(notification, event, "9a1c7e0e-0000-4000-8000-000000000005")
    assert answer.status_code == 422


def test_unit_activation_mails_skip_who_has_no_address_or_an_account(org, outbox):
    org.patch(f"/api/v1/people/{org.ids['staff']}", json={"email": "staf@kota.go.id"})
    code = org.post(f"/api/v1/people/{org.ids['peer']}/activation").get_json()["code"]
    org.client.post(
        "/api/v1/auth/activate", json={"username": org.nips["peer"], "code": code, "password": GOOD}
    )
    answer = org.post("/api/v1/units/OPD-A/activation-mails")
    assert answer.status_code == 202
    body = answer.get_json()
    assert body["queued"] == [org.ids["staff"]]
    assert set(body["without_email"]) == {org.ids["kadis"], org.ids["kabid"]}
    assert body["not_pending"] == [org.ids["peer"]]
    assert [e["data"]["person_id"] for e in mail_events(outbox)] == [org.ids["staff"]]
    refused = org.client.post(
        "/api/v1/units/OPD-B/activation-mails", headers=org.headers("kabid", ["opd_admin"])
    )
    assert refused.status_code == 403 and len(mail_events(outbox)) == 1
    no_address = org.post(f"/api/v1/people/{org.ids['kadis']}/activation-mail")
    assert no_address.status_code == 409 and no_address.get_json()["code"] == "email-missing"

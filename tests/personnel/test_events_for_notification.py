"""What notification takes from personnel: person.updated (with e-mail) and GET /people/{id}."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from cakap_shared.testing import bearer, migrated_app, mint_token
from notification_service import create_app as create_notification
from notification_service.clients import personnel as personnel_client
from notification_service.extensions import db as notification_db
from notification_service.models import Contact
from werkzeug.serving import make_server


@pytest.fixture(scope="module")
def notification(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    with migrated_app(
        "notification", create_notification, notification_db, tmp_path_factory.mktemp("n")
    ) as app:
        yield app


@pytest.fixture
def personnel_url(app) -> Iterator[str]:
    """The real personnel app over HTTP, as notification's client reaches it."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_person_updated_keeps_whom_to_reach(org, outbox, notification):
    changed = org.patch(f"/api/v1/people/{org.ids['staff']}", json={"email": "staf@kota.go.id"})
    assert changed.status_code == 200
    event = outbox()[-1]
    envelope = {
        "id": "7d0f7a52-3f5e-4c59-9a64-1f1f5b7f0001",
        "version": 1,
        "occurred_at": "2026-11-30T01:00:00+00:00",
        "producer": "personnel",
        "aggregate_id": org.ids["staff"],
        **event,
    }
    token = mint_token("service:personnel", ["service"], audience="notification")
    answer = notification.test_client().post(
        "/internal/events", json=envelope, headers=bearer(token)
    )
    assert answer.status_code == 200 and answer.get_json()["status"] == "handled"
    with notification.app_context():
        contact = notification_db.session.get(Contact, org.ids["staff"])
        assert (contact.email, contact.supervisor_id) == ("staf@kota.go.id", org.ids["kabid"])
        assert contact.name == event["data"]["name"]


def test_notification_reads_a_person_from_the_real_personnel_api(org, notification, personnel_url):
    org.patch(f"/api/v1/people/{org.ids['staff']}", json={"email": "staf@kota.go.id"})
    notification.config["SERVICE_URLS"] = {"personnel": personnel_url}
    notification.extensions["cakap_service_tokens"] = lambda audience: mint_token(
        "service:notification", ["service"], audience=audience
    )
    notification.extensions.pop("notification_http", None)
    try:
        with notification.app_context():
            found = personnel_client.person(org.ids["staff"])
            missing = personnel_client.person("00000000-0000-4000-8000-000000000000")
    finally:
        notification.config["SERVICE_URLS"] = {}
        notification.extensions.pop("cakap_service_tokens")
        notification.extensions.pop("notification_http", None)
    assert found["email"] == "staf@kota.go.id"
    assert found["supervisor_id"] == org.ids["kabid"] and found["name"]
    assert missing is None

"""catalog's enrolment events, as its outbox holds them, read by the real notification service."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cakap_shared.testing import bearer, migrated_app, mint_token
from notification_service import create_app as create_notification
from notification_service.extensions import db as notification_db

TYPES = ("enrolment.requested", "enrolment.approved", "enrolment.rejected", "enrolment.promoted")


@pytest.fixture(scope="module")
def notification(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    with migrated_app(
        "notification", create_notification, notification_db, tmp_path_factory.mktemp("n")
    ) as app:
        yield app.test_client()


def inbox(notification, person_id: str) -> list[str]:
    page = notification.get(
        "/api/v1/notifications", headers=bearer(mint_token(person_id, ["asn"]))
    ).get_json()
    return sorted(item["kind"] for item in page["items"])


def test_every_enrolment_event_becomes_the_right_notice(cat, people, notification):
    course = cat.course(code="TIK-201", title="Keamanan Siber Dasar")
    klass = cat.klass(course["id"], capacity=1)
    mine = cat.request(klass["id"], as_="learner")
    cat.ok(cat.act(mine["id"], "approve", as_="supervisor"))  # takes the only seat
    theirs = cat.request(klass["id"], as_="other_asn")
    cat.ok(cat.act(theirs["id"], "approve", as_="other_supervisor"))  # waitlisted
    cat.ok(cat.act(mine["id"], "withdraw", as_="learner"))  # frees the seat: promoted
    again = cat.request(klass["id"], as_="learner")
    cat.ok(cat.act(again["id"], "reject", as_="supervisor", reason="Kuota unit habis"))

    token = mint_token("service:catalog", ["service"], audience="notification")
    for event_type in TYPES:
        events = cat.events(event_type)
        assert events, f"catalog published no {event_type}"
        for event in events:
            answer = notification.post("/internal/events", json=event, headers=bearer(token))
            assert answer.status_code == 200, (event_type, answer.get_json())
            assert answer.get_json()["status"] == "handled"

    assert inbox(notification, people.supervisor) == ["enrolment_requested"] * 2
    assert inbox(notification, people.other_supervisor) == ["enrolment_requested"]
    assert inbox(notification, people.learner) == ["enrolment_approved", "enrolment_rejected"]
    assert inbox(notification, people.other_asn) == ["enrolment_promoted", "enrolment_waitlisted"]
    rejected = cat.events("enrolment.rejected")[0]["data"]
    assert rejected["reason"] == "Kuota unit habis" and rejected["course_title"]

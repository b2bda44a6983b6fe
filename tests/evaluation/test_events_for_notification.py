"""evaluation's notices (survey, certificate, impact reminders), as its outbox holds them,
read by the real notification service."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date

import pytest
from cakap_shared.testing import bearer, migrated_app, mint_token
from evaluation_service.domain.impact import run_reminders
from evaluation_service.extensions import db
from evaluation_service.models import OutboxEvent
from notification_service import create_app as create_notification
from notification_service.extensions import db as notification_db
from sqlalchemy import select

TYPES = (
    "survey.due",
    "certificate.issued",
    "impact_evaluation.reminded",
    "impact_evaluation.escalated",
    "impact_evaluation.due",
)


@pytest.fixture(scope="module")
def notification(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    with migrated_app(
        "notification", create_notification, notification_db, tmp_path_factory.mktemp("n")
    ) as app:
        yield app.test_client()


def completion(ids: dict[str, str]) -> dict:
    data = {
        "enrolment_id": str(uuid.uuid4()),
        "learner_id": ids["learner"],
        "learner_name": "Nyimas Ayu Lestari",
        "unit_code": "DISKOMINFO",
        "supervisor_id": ids["supervisor"],
        "course_id": str(uuid.uuid4()),
        "course_code": "TIK-101",
        "course_title": "Keamanan Informasi bagi ASN",
        "jp": 12,
        "form": "e-learning",
        "competencies": [],
        "class_id": str(uuid.uuid4()),
        "class_name": "TIK-101 Angkatan 1",
        "trainer_ids": [],
        "starts_on": "2026-02-02",
        "ends_on": "2026-02-27",
        "completed_on": "2026-03-02",
    }
    return {
        "id": str(uuid.uuid4()),
        "type": "enrolment.completed",
        "version": 1,
        "occurred_at": "2026-03-02T09:00:00+00:00",
        "producer": "catalog",
        "aggregate_id": data["enrolment_id"],
        "data": data,
    }


def inbox(notification, person_id: str) -> list[dict]:
    page = notification.get(
        "/api/v1/notifications", headers=bearer(mint_token(person_id, ["asn"]))
    ).get_json()
    return page["items"]


def test_evaluation_notices_reach_learner_supervisor_and_escalation(
    app, client, auth, ids, fakes, clock, notification
):
    fakes.people[ids["learner"]] = {"id": ids["learner"], "name": "Nyimas Ayu Lestari"}
    fakes.chains[ids["supervisor"]] = [{"id": ids["big_boss"], "name": "Kepala Dinas"}]
    answer = client.post("/internal/events", json=completion(ids), headers=auth("service"))
    assert answer.status_code == 200, answer.get_json()
    with app.app_context():
        run_reminders(date(2026, 8, 15))  # due 2026-08-29: reminded
        run_reminders(date(2026, 8, 29))  # the due day: the supervisor is told
        run_reminders(date(2026, 9, 28))  # overdue 30 days: escalated to big_boss
        events = [
            row.envelope()
            for row in db.session.scalars(select(OutboxEvent).order_by(OutboxEvent.seq))
            if row.type in TYPES
        ]
    assert sorted(e["type"] for e in events) == sorted(TYPES)
    token = mint_token("service:evaluation", ["service"], audience="notification")
    for event in events:
        delivered = notification.post("/internal/events", json=event, headers=bearer(token))
        assert delivered.status_code == 200, (event["type"], delivered.get_json())
        assert delivered.get_json()["status"] == "handled"
    learner = {i["kind"]: i for i in inbox(notification, ids["learner"])}
    assert set(learner) == {"survey_due", "certificate_issued"}
    assert learner["survey_due"]["link"].startswith("/survei/")
    assert "CKP/2026/000001" in learner["certificate_issued"]["body"]
    supervisor = {i["kind"]: i for i in inbox(notification, ids["supervisor"])}
    assert set(supervisor) == {"impact_evaluation_reminded", "impact_evaluation_due"}
    reminded, due = supervisor["impact_evaluation_reminded"], supervisor["impact_evaluation_due"]
    assert "2026-08-29" in reminded["body"] and "2026-08-29" in due["body"]
    [evaluation_id] = {e["data"]["evaluation_id"] for e in events if e["type"].startswith("impact")}
    assert due["link"] == reminded["link"] == f"/evaluasi-dampak/{evaluation_id}"
    [escalated] = inbox(notification, ids["big_boss"])
    assert escalated["kind"] == "impact_evaluation_escalated"
    assert escalated["link"] == reminded["link"]

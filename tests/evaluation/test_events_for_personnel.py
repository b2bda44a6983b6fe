"""evaluation's impact_evaluation.submitted, as its outbox holds it, read by the real
personnel service: the supervisor's rating becomes a `supervisor` competency level that a
later self-assessment does not override."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cakap_shared.testing import bearer, migrated_app, mint_token, rsa_keypair
from evaluation_service.extensions import db
from evaluation_service.models import OutboxEvent
from personnel_service import create_app as create_personnel
from personnel_service.extensions import db as personnel_db
from sqlalchemy import select

from tests.evaluation.conftest import LEARNER, OTHER_LEARNER, SUPERVISOR
from tests.evaluation.test_completion_flow import (
    FORM,
    completion_event,
    deliver,
    supervisor_evaluation,
)


@pytest.fixture(scope="module")
def personnel(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """Personnel knowing the evaluation tests' learner (below the supervisor)."""
    from personnel_service.models import Person, Unit

    with migrated_app(
        "personnel",
        create_personnel,
        personnel_db,
        tmp_path_factory.mktemp("p"),
        JWT_PRIVATE_KEY=rsa_keypair()[0],
    ) as app:
        with app.app_context():
            personnel_db.session.add(Unit(code="DISKOMINFO", name="Diskominfo"))
            personnel_db.session.flush()
            for person_id, boss in (
                (SUPERVISOR, None),
                (LEARNER, SUPERVISOR),
                (OTHER_LEARNER, None),
            ):
                personnel_db.session.add(
                    Person(id=person_id, name=person_id[:8], unit_code="DISKOMINFO",
                           status="active", supervisor_id=boss)
                )  # fmt: skip
                personnel_db.session.flush()
            personnel_db.session.commit()
        yield app.test_client()


def submitted_events(app) -> list[dict]:
    with app.app_context():
        rows = db.session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.type == "impact_evaluation.submitted")
            .order_by(OutboxEvent.seq)
        ).all()
        return [row.envelope() for row in rows]


def test_supervisor_rating_outranks_a_later_self_assessment(
    app, client, auth, ids, fakes, clock, personnel
):
    fakes.people[ids["learner"]] = {"id": ids["learner"], "name": "Nyimas Ayu Lestari"}
    deliver(client, auth, completion_event(ids))
    url = f"/api/v1/impact-evaluations/{supervisor_evaluation(client, auth)}/submission"
    done = client.post(url, json=FORM, headers=auth("supervisor"))
    assert done.status_code == 201, done.json
    [event] = submitted_events(app)
    assert event["data"]["behaviour_ratings"] == [{"competency_code": "TIK-KI", "rating": 4}]

    service = bearer(mint_token("service:evaluation", ["service"], audience="personnel"))
    for expected in ("handled", "duplicate"):
        answer = personnel.post("/internal/events", json=event, headers=service)
        assert answer.status_code == 200 and answer.get_json()["status"] == expected

    learner = ids["learner"]
    me = bearer(mint_token(learner, ["asn"]))
    # Dated today (personnel's clock), after the supervisor's rating.
    later = {"code": "TIK-KI", "level": 1, "source": "self"}
    path = f"/api/v1/people/{learner}/competency-assessments"
    assert personnel.post(path, json=later, headers=me).status_code == 201
    profile = personnel.get(f"/api/v1/people/{learner}/competencies", headers=me).get_json()
    [current] = profile["items"]
    assert current["assessed_on"] < profile["self_assessments"][0]["assessed_on"]
    assert (current["code"], current["level"], current["source"]) == ("TIK-KI", 4, "supervisor")
    assert current["evidence"] == "Keamanan Informasi bagi ASN"
    assert [(s["level"], s["source"]) for s in profile["self_assessments"]] == [(1, "self")]


def test_the_learners_own_impact_view_records_no_level(personnel, ids):
    service = bearer(mint_token("service:evaluation", ["service"], audience="personnel"))
    event = {
        "id": "8d0d3f0e-1111-4000-8000-000000000001",
        "type": "impact_evaluation.submitted",
        "version": 1,
        "occurred_at": "2026-09-01T08:00:00+00:00",
        "producer": "evaluation",
        "aggregate_id": "e-self",
        "data": {
            "evaluation_id": "e-self", "enrolment_id": "x", "evaluator_role": "self",
            "evaluator_id": ids["other_learner"], "learner_id": ids["other_learner"],
            "course_code": "TIK-101", "course_title": "Keamanan Informasi bagi ASN",
            "behaviour_ratings": [{"competency_code": "TIK-KI", "rating": 5}],
            "impact_rating": 5, "submitted_on": "2026-09-01",
        },
    }  # fmt: skip
    assert personnel.post("/internal/events", json=event, headers=service).status_code == 200
    bad = {**event, "id": "8d0d3f0e-1111-4000-8000-000000000002",
           "data": {**event["data"], "evaluator_role": "supervisor",
                    "behaviour_ratings": [{"competency_code": "TIK-KI", "rating": 9}]}}  # fmt: skip
    assert personnel.post("/internal/events", json=bad, headers=service).status_code == 422
    me = bearer(mint_token(ids["other_learner"], ["asn"]))
    profile = personnel.get(f"/api/v1/people/{ids['other_learner']}/competencies", headers=me)
    assert profile.get_json()["items"] == []

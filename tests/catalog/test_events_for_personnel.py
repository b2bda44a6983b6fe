"""catalog's enrolment.completed, as its outbox holds it, read by the real personnel service:
a passed post test turns the course's target levels into `training` assessments."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cakap_shared.testing import bearer, migrated_app, mint_token, rsa_keypair
from personnel_service import create_app as create_personnel
from personnel_service.extensions import db as personnel_db

POST = "33333333-0000-4000-8000-000000000001"


@pytest.fixture(scope="module")
def personnel(tmp_path_factory: pytest.TempPathFactory, people) -> Iterator:
    """Personnel with the catalog tests' learner (a fungsional: managerial level 2 required)."""
    from personnel_service.models import Person, Unit

    with migrated_app(
        "personnel",
        create_personnel,
        personnel_db,
        tmp_path_factory.mktemp("p"),
        JWT_PRIVATE_KEY=rsa_keypair()[0],
    ) as app:
        with app.app_context():
            personnel_db.session.add(Unit(code=people.unit, name="Aptika"))
            personnel_db.session.flush()
            personnel_db.session.add(
                Person(id=people.learner, name="Nyimas Ayu Lestari", unit_code=people.unit,
                       position="Pranata Komputer", position_type="fungsional", status="active")
            )  # fmt: skip
            personnel_db.session.commit()
        yield app.test_client()


def deliver_to_personnel(personnel, event: dict) -> dict:
    token = mint_token("service:catalog", ["service"], audience="personnel")
    answer = personnel.post("/internal/events", json=event, headers=bearer(token))
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def gap(personnel, learner: str, code: str) -> dict:
    me = bearer(mint_token(learner, ["asn"]))
    gaps = personnel.get(f"/api/v1/people/{learner}/competency-gaps", headers=me).get_json()
    return {g["code"]: g for g in gaps["items"]}[code]


def test_a_passed_post_test_raises_the_level_and_shrinks_the_gap(cat, people, personnel):
    cat.competency("M-KOM")
    cat.competency("M-KS")
    with_test = cat.course(
        code="KOM-201",
        title="Komunikasi Efektif",
        form="e_learning",
        post_test_id=POST,
        competencies=[{"code": "M-KOM", "level": 2}],
    )
    without_test = cat.course(code="KS-101", competencies=[{"code": "M-KS", "level": 3}])
    first = cat.request(cat.klass(with_test["id"])["id"])
    cat.ok(cat.act(first["id"], "approve", as_="supervisor"))
    second = cat.request(cat.klass(without_test["id"])["id"])
    cat.ok(cat.act(second["id"], "approve", as_="supervisor"))
    before = gap(personnel, people.learner, "M-KOM")
    assert before == {"code": "M-KOM", "required": 2, "current": 0, "gap": 2}

    passed = {"attempt_id": "x1", "assessment_id": POST, "kind": "post_test",
              "learner_id": people.learner, "score": 90, "passed": True,
              "submitted_at": "2026-11-30T09:00:00+00:00"}  # fmt: skip
    cat.ok(cat.deliver("assessment.passed", passed))
    cat.ok(cat.act(second["id"], "complete", as_="trainer"))  # classroom, no post test
    completed = cat.events("enrolment.completed")
    assert [e["data"]["post_test_passed"] for e in completed] == [True, False]
    for event in completed:
        assert deliver_to_personnel(personnel, event)["status"] == "handled"
    assert deliver_to_personnel(personnel, completed[0])["status"] == "duplicate"

    assert gap(personnel, people.learner, "M-KOM") == {**before, "current": 2, "gap": 0}
    # Attendance without a post test proves no level: the gap stays.
    assert gap(personnel, people.learner, "M-KS")["current"] == 0
    me = bearer(mint_token(people.learner, ["asn"]))
    profile = personnel.get(f"/api/v1/people/{people.learner}/competencies", headers=me)
    [level] = profile.get_json()["items"]
    assert level["source"] == "training" and level["evidence"] == "Komunikasi Efektif"
    assert level["assessed_on"] == people.today.isoformat()

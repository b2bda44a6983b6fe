"""Completion via events (idempotent), person.updated, learning access, recommendations."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from cakap_shared.http import ServiceUnavailable
from cakap_shared.testing import backend, deliver_events, event_envelope, lock_waiters
from catalog_service.extensions import db
from sqlalchemy import text

M1, M2 = "11111111-0000-4000-8000-000000000001", "11111111-0000-4000-8000-000000000002"
POST, PRE = "22222222-0000-4000-8000-000000000001", "22222222-0000-4000-8000-000000000002"


@pytest.fixture
def enrolled(cat, people):
    """The learner enrolled in an e-learning course with two modules and a post test."""
    cat.competency("M-KOM")
    course = cat.course(
        code="TIK-101",
        title="Keamanan Informasi bagi ASN",
        jp=12,
        module_ids=[M1, M2],
        pre_test_id=PRE,
        post_test_id=POST,
        competencies=[{"code": "M-KOM", "level": 3}],
    )
    klass = cat.klass(course["id"])
    e = cat.request(klass["id"])
    cat.ok(cat.act(e["id"], "approve", as_="supervisor"))
    return e


def _module(cat, people, module_id, **kw):
    data = {
        "attempt_id": "a1",
        "module_id": module_id,
        "learner_id": people.learner,
        "completed_at": "2026-11-30T08:00:00+00:00",
        "score": 90,
        "success": "passed",
    }
    return cat.deliver("module.completed", data, **kw)


def _passed(cat, people, assessment_id=POST):
    data = {
        "attempt_id": "x1",
        "assessment_id": assessment_id,
        "kind": "post_test",
        "learner_id": people.learner,
        "score": 85,
        "passed": True,
        "submitted_at": "2026-11-30T09:00:00+00:00",
    }
    return cat.deliver("assessment.passed", data)


def _status(cat, e):
    return cat.ok(cat.client.get(f"/api/v1/enrolments/{e['id']}", headers=cat.who["learner"]))


def test_completes_when_all_modules_and_post_test_done(cat, people, enrolled):
    assert _module(cat, people, M1).status_code == 200
    assert _status(cat, enrolled)["completed_module_ids"] == [M1]
    assert _passed(cat, people, PRE).status_code == 200  # a pre test changes nothing
    assert _passed(cat, people).status_code == 200
    assert _status(cat, enrolled)["status"] == "enrolled"
    assert _module(cat, people, M2).status_code == 200
    done = _status(cat, enrolled)
    assert done["status"] == "completed" and done["post_test_passed"] is True
    [event] = cat.events("enrolment.completed")
    assert event["aggregate_id"] == enrolled["id"]
    data = event["data"]
    assert data["course_code"] == "TIK-101" and data["jp"] == 12 and data["form"] == "e_learning"
    assert data["competencies"] == [{"code": "M-KOM", "level": 3}]
    assert data["learner_id"] == people.learner and data["supervisor_id"] == people.supervisor
    assert data["completed_on"] == "2026-11-30" and data["trainer_ids"] == [people.trainer]
    expected = {
        "enrolment_id", "learner_id", "learner_name", "unit_code", "supervisor_id", "course_id",
        "course_code", "course_title", "jp", "form", "competencies", "post_test_passed",
        "class_id", "class_name", "trainer_ids", "starts_on", "ends_on", "completed_on",
    }  # fmt: skip
    assert set(data) == expected and data["post_test_passed"] is True


def _while_another_signal_is_in_flight(cat, record_other: str, deliver: Callable[[], Any]) -> Any:
    """Deliver an event while another delivery holds the enrolment, having recorded its own
    signal (`record_other`, SQL on :id) but not committed yet; that delivery then commits."""
    app = cat.client.application
    with app.app_context():
        other = db.engine.connect()
    try:
        in_flight = other.begin()
        enrolment_id = other.execute(text("SELECT id FROM enrolments FOR UPDATE")).scalar_one()
        other.execute(text(record_other), {"id": enrolment_id})
        result: dict[str, Any] = {}
        delivery = threading.Thread(target=lambda: result.setdefault("response", deliver()))
        delivery.start()
        delivery.join(timeout=1.0)
        waiting = lock_waiters(other)
        assert delivery.is_alive() and waiting == 1, "the delivery did not wait for the other"
        in_flight.commit()
        delivery.join(timeout=10)
    finally:
        other.close()
    return result["response"]


@pytest.mark.skipif(backend() != "postgres", reason="row locks are PostgreSQL's")
def test_a_module_and_the_post_test_completing_at_once_complete_the_enrolment(
    cat, people, enrolled
):
    # elearning's module.completed and evaluation's assessment.passed come from different
    # producers, so at the same time; neither may decide without seeing the other.
    assert _module(cat, people, M1).status_code == 200
    answer = _while_another_signal_is_in_flight(
        cat,
        "INSERT INTO enrolment_module_completions (enrolment_id, module_id, completed_at)"
        f" VALUES (:id, '{M2}', now())",
        lambda: _passed(cat, people),
    )
    assert answer.status_code == 200, answer.get_json()
    assert _status(cat, enrolled)["status"] == "completed"
    assert len(cat.events("enrolment.completed")) == 1


@pytest.mark.skipif(backend() != "postgres", reason="row locks are PostgreSQL's")
def test_the_last_module_arriving_beside_the_post_test_completes_the_enrolment(
    cat, people, enrolled
):
    assert _module(cat, people, M1).status_code == 200
    answer = _while_another_signal_is_in_flight(
        cat,
        "UPDATE enrolments SET post_test_passed = true WHERE id = :id",
        lambda: _module(cat, people, M2),
    )
    assert answer.status_code == 200, answer.get_json()
    assert _status(cat, enrolled)["status"] == "completed"


def test_handlers_are_idempotent(cat, people, enrolled):
    event_id = "33333333-0000-4000-8000-000000000001"
    assert _module(cat, people, M1, event_id=event_id).get_json()["status"] == "handled"
    assert _module(cat, people, M1, event_id=event_id).get_json()["status"] == "duplicate"
    _module(cat, people, M1)  # the same fact in another event
    _module(cat, people, M2)
    _passed(cat, people)
    _passed(cat, people)
    _module(cat, people, M2)
    assert _status(cat, enrolled)["status"] == "completed"
    assert len(cat.events("enrolment.completed")) == 1


def test_signals_for_others_change_nothing(cat, people, enrolled):
    cat.deliver("module.completed", {"module_id": M1, "learner_id": people.other_asn})
    cat.deliver("module.completed", {"module_id": "unrelated", "learner_id": people.learner})
    assert _status(cat, enrolled)["completed_module_ids"] == []


def test_malformed_events_rejected(cat, people, enrolled):
    r = cat.deliver("module.completed", {"learner_id": people.learner})
    assert r.status_code == 422
    r = cat.deliver(
        "assessment.passed", {"learner_id": people.learner, "assessment_id": POST, "passed": False}
    )
    assert r.status_code == 422
    assert (
        cat.client.post("/internal/events", json={}, headers=cat.who["learner"]).status_code == 403
    )


def test_requested_learner_is_not_completed(cat, people):
    course = cat.course(module_ids=[M1])
    e = cat.request(cat.klass(course["id"])["id"])
    _module(cat, people, M1)
    assert (
        _status(cat, e)["status"] == "requested" and _status(cat, e)["completed_module_ids"] == []
    )


def test_person_updated_in_a_batch_applies_each_in_order(cat, people, enrolled):
    """The batch form: a malformed event is refused alone, the person's later one wins."""
    base = {"person_id": people.learner, "unit_code": "DISKOMINFO-SANDI", "supervisor_id": None}
    batch = [
        event_envelope("person.updated", {**base, "name": "Nama Lama"}, producer="personnel"),
        event_envelope("person.updated", {**base, "unit_code": 5}, producer="personnel"),
        event_envelope("person.updated", {**base, "name": "Nama Baru"}, producer="personnel"),
    ]
    answer = deliver_events(cat.client, batch, "catalog")
    assert answer.status_code == 200, answer.get_json()
    statuses = [r["status"] for r in answer.get_json()["results"]]
    assert statuses == ["handled", "rejected", "handled"]
    now = cat.ok(cat.client.get(f"/api/v1/enrolments/{enrolled['id']}", headers=cat.who["admin"]))
    assert now["learner_name"] == "Nama Baru" and now["unit_code"] == "DISKOMINFO-SANDI"
    again = [
        event_envelope("person.updated", {**base, "name": f"Nama {n}"}, producer="personnel")
        for n in range(3)
    ]
    results = deliver_events(cat.client, again, "catalog").get_json()["results"]
    assert [r["status"] for r in results] == ["handled"] * 3
    now = cat.ok(cat.client.get(f"/api/v1/enrolments/{enrolled['id']}", headers=cat.who["admin"]))
    assert now["learner_name"] == "Nama 2"


def test_person_updated_refreshes_open_enrolments(cat, people, enrolled):
    data = {
        "person_id": people.learner,
        "name": "Nyimas Ayu Lestari, S.Kom.",
        "unit_code": "DISKOMINFO-SANDI",
        "supervisor_id": people.other_supervisor,
        "position": "Pranata Komputer",
        "grade": "III/b",
        "status": "active",
    }
    assert cat.deliver("person.updated", data).status_code == 200
    now = cat.ok(cat.client.get(f"/api/v1/enrolments/{enrolled['id']}", headers=cat.who["admin"]))
    assert now["learner_name"] == "Nyimas Ayu Lestari, S.Kom."
    assert (
        now["unit_code"] == "DISKOMINFO-SANDI" and now["supervisor_id"] == people.other_supervisor
    )
    # the new supervisor decides now, the old one no longer sees it
    assert (
        cat.client.get(
            f"/api/v1/enrolments/{enrolled['id']}", headers=cat.who["supervisor"]
        ).status_code
        == 404
    )
    assert (
        cat.client.get(
            f"/api/v1/enrolments/{enrolled['id']}", headers=cat.who["other_supervisor"]
        ).status_code
        == 200
    )


def test_learning_access(cat, people, enrolled):
    url = "/api/v1/learning-access"
    q = lambda **kw: cat.ok(cat.client.get(url, query_string=kw, headers=cat.who["service"]))  # noqa: E731
    yes = q(learner_id=people.learner, module_id=M1)
    assert yes["allowed"] is True and yes["course_ids"] == [enrolled["course_id"]]
    assert yes["class_ids"] == [enrolled["class_id"]]
    assert q(learner_id=people.learner, assessment_id=POST)["allowed"] is True
    assert q(learner_id=people.learner, assessment_id=PRE)["allowed"] is True
    assert q(learner_id=people.other_asn, module_id=M1)["allowed"] is False
    assert q(learner_id=people.learner, module_id="other")["allowed"] is False
    r = cat.client.get(url, query_string={"learner_id": people.learner}, headers=cat.who["service"])
    assert r.status_code == 422
    r = cat.client.get(
        url,
        query_string={"learner_id": people.learner, "module_id": M1},
        headers=cat.who["learner"],
    )
    assert r.status_code == 403
    cat.ok(cat.act(enrolled["id"], "withdraw", as_="learner"))
    assert q(learner_id=people.learner, module_id=M1)["allowed"] is False


def test_a_completed_course_makes_its_modules_reviewable(cat, people, enrolled):
    url = "/api/v1/learning-access"
    q = lambda **kw: cat.ok(cat.client.get(url, query_string=kw, headers=cat.who["service"]))  # noqa: E731
    assert q(learner_id=people.learner, module_id=M1)["reviewable"] is False  # only enrolled
    _module(cat, people, M1)
    _module(cat, people, M2)
    _passed(cat, people)
    assert _status(cat, enrolled)["status"] == "completed"
    done = q(learner_id=people.learner, module_id=M1)
    assert (done["allowed"], done["reviewable"]) == (False, True)
    assert q(learner_id=people.other_asn, module_id=M1)["reviewable"] is False
    assert q(learner_id=people.learner, module_id="other")["reviewable"] is False
    assert q(learner_id=people.learner, assessment_id=POST)["reviewable"] is False


def test_manual_completion_of_classroom_course(cat, people):
    course = cat.course(code="KLS-1", title="Pelayanan Prima", form="klasikal")
    e = cat.request(cat.klass(course["id"])["id"])
    cat.ok(cat.act(e["id"], "approve", as_="supervisor"))
    done = cat.ok(
        cat.client.post(f"/api/v1/enrolments/{e['id']}/complete", headers=cat.who["trainer"])
    )
    assert done["status"] == "completed"
    assert cat.events("enrolment.completed")[0]["data"]["form"] == "klasikal"


GAPS = [
    {"code": "M-KOM", "required": 3, "current": 1, "gap": 2},
    {"code": "M-INT", "required": 4, "current": 3, "gap": 1},
    {"code": "T-SPBE", "required": 2, "current": 2, "gap": 0},
]


@pytest.fixture
def gaps(monkeypatch):
    """Personnel answers with GAPS; the learner's supervisor is SUPERVISOR."""
    from catalog_service.clients import personnel

    state = {"gaps": GAPS, "down": False}

    def competency_gaps(person_id):
        if state["down"]:
            raise ServiceUnavailable("personnel: ConnectionError")
        return state["gaps"]

    monkeypatch.setattr(personnel, "competency_gaps", competency_gaps)
    monkeypatch.setattr(
        personnel, "supervisor_ids", lambda person_id: ["0c3a8f59-0000-4000-8000-000000000002"]
    )
    return state


def test_recommendations_best_first(cat, people, gaps):
    for code in ("M-KOM", "M-INT", "T-SPBE"):
        cat.competency(code)
    both = cat.course(
        code="BOTH", competencies=[{"code": "M-KOM", "level": 3}, {"code": "M-INT", "level": 4}]
    )
    kom = cat.course(code="KOM", competencies=[{"code": "M-KOM", "level": 3}])
    partial = cat.course(code="KOM-2", competencies=[{"code": "M-KOM", "level": 2}])
    cat.course(code="SPBE", competencies=[{"code": "T-SPBE", "level": 3}])  # no gap there
    cat.course(code="DRAFT", publish=False, competencies=[{"code": "M-KOM", "level": 5}])
    url = f"/api/v1/recommendations?person_id={people.learner}"
    body = cat.ok(cat.client.get(url, headers=cat.who["learner"]))
    assert [r["course"]["code"] for r in body["items"]] == ["BOTH", "KOM", "KOM-2"]
    assert body["items"][0]["gaps_closed"] == 2 and body["items"][2]["gaps"][0]["closes"] is False
    assert [both["id"], kom["id"], partial["id"]] == [r["course"]["id"] for r in body["items"]]
    assert cat.client.get(url, headers=cat.who["supervisor"]).status_code == 200
    assert cat.client.get(url, headers=cat.who["admin"]).status_code == 200
    assert cat.client.get(url, headers=cat.who["other_supervisor"]).status_code == 403
    assert cat.client.get(url, headers=cat.who["other_asn"]).status_code == 403
    gaps["down"] = True
    r = cat.client.get(url, headers=cat.who["learner"])
    assert r.status_code == 503 and r.get_json()["status"] == 503


def test_recommendations_unconfigured_personnel_is_503(cat, people):
    r = cat.client.get(
        f"/api/v1/recommendations?person_id={people.learner}", headers=cat.who["learner"]
    )
    assert r.status_code == 503

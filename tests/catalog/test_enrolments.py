"""Enrolment: request rules, the transition table (every illegal move is 409), waitlist, rights."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest
from cakap_shared.testing import backend, lock_waiters
from catalog_service.domain import enrolments
from catalog_service.domain.enrolment_transitions import TRANSITIONS
from catalog_service.extensions import db


@pytest.fixture
def klass(cat):
    """An open class of a free published classroom course, capacity 1."""
    course = cat.course(code="KL-1", title="Kepemimpinan")
    return cat.klass(course["id"], capacity=1)


def test_request_contract(cat, who, klass, people):
    e = cat.request(klass["id"])
    assert e["status"] == "requested"
    assert e["learner_id"] == people.learner and e["supervisor_id"] == people.supervisor
    assert e["unit_code"] == people.unit
    assert e["learner_name"] == "Nyimas Ayu Lestari" and e["course_code"] == "KL-1"
    r = cat.client.post(
        "/api/v1/enrolments", json={"class_id": klass["id"]}, headers=who["learner"]
    )
    assert r.status_code == 409 and "active enrolment" in r.get_json()["detail"]
    assert r.get_json()["code"] == "enrolment-exists"
    assert [ev["data"]["enrolment_id"] for ev in cat.events("enrolment.requested")] == [e["id"]]
    # after a withdrawal the learner may ask again
    cat.ok(cat.act(e["id"], "withdraw", as_="learner"))
    assert cat.request(klass["id"])["status"] == "requested"


@pytest.mark.parametrize(
    ("today", "words", "code"),
    [
        (date(2026, 11, 1), "opens on 2026-11-25", "enrolment-not-open"),
        (date(2026, 12, 6), "closed on 2026-12-05", "enrolment-closed"),
    ],
)
def test_request_outside_window(cat, who, klass, clock, today, words, code):
    clock.set(today)
    r = cat.client.post(
        "/api/v1/enrolments", json={"class_id": klass["id"]}, headers=who["learner"]
    )
    assert r.status_code == 409 and words in r.get_json()["detail"]
    assert r.get_json()["code"] == code


def test_request_rules(cat, who, klass):
    r = cat.client.post(
        "/api/v1/enrolments", json={"class_id": klass["id"]}, headers=who["trainer"]
    )
    assert r.status_code == 403
    r = cat.client.post("/api/v1/enrolments", json={"class_id": "nope"}, headers=who["learner"])
    assert r.status_code == 404
    r = cat.client.post("/api/v1/enrolments", json={}, headers=who["learner"])
    assert r.status_code == 422 and "class_id" in r.get_json()["errors"]
    draft = cat.course(publish=False)
    dclass = cat.klass(draft["id"])
    r = cat.client.post(
        "/api/v1/enrolments", json={"class_id": dclass["id"]}, headers=who["learner"]
    )
    assert r.status_code == 409 and "is draft" in r.get_json()["detail"]
    assert r.get_json()["code"] == "course-not-open"
    cat.client.post(f"/api/v1/courses/{klass['course_id']}/archive", headers=who["admin"])
    r = cat.client.post(
        "/api/v1/enrolments", json={"class_id": klass["id"]}, headers=who["learner"]
    )
    assert r.status_code == 409 and "archived" in r.get_json()["detail"]


def test_prerequisites(cat, who):
    base = cat.course(code="DASAR")
    advanced = cat.course(code="LANJUT", prerequisites=["DASAR"])
    c_adv = cat.klass(advanced["id"])
    r = cat.client.post(
        "/api/v1/enrolments", json={"class_id": c_adv["id"]}, headers=who["learner"]
    )
    assert r.status_code == 409 and "DASAR" in r.get_json()["detail"]
    assert r.get_json()["code"] == "prerequisites-missing"
    e = cat.request(cat.klass(base["id"])["id"])
    cat.ok(cat.act(e["id"], "approve"))
    cat.ok(cat.act(e["id"], "complete"))
    assert cat.request(c_adv["id"])["status"] == "requested"


def _in_status(cat, klass, status):
    """An enrolment of the learner in `status` (the class has one seat)."""
    if status == "waitlisted":
        filler = cat.request(klass["id"], as_="other_asn")
        cat.ok(cat.act(filler["id"], "approve"))
    e = cat.request(klass["id"])
    steps = {
        "requested": [],
        "enrolled": [("approve", {})],
        "waitlisted": [("approve", {})],
        "rejected": [("reject", {"reason": "kuota unit habis"})],
        "withdrawn": [("withdraw", {})],
        "completed": [("approve", {}), ("complete", {})],
    }[status]
    for action, body in steps:
        cat.ok(cat.act(e["id"], action, **body))
    assert (
        cat.ok(cat.client.get(f"/api/v1/enrolments/{e['id']}", headers=cat.admin))["status"]
        == status
    )
    return e


STATUSES = ("requested", "enrolled", "waitlisted", "rejected", "withdrawn", "completed")
ACTIONS = ("approve", "reject", "withdraw", "complete")


@pytest.mark.parametrize("status", STATUSES)
def test_transition_table(cat, klass, status):
    """Every (status, action): allowed ones succeed, all others are 409 and change nothing."""
    for action in ACTIONS:
        e = _in_status(cat, klass, status)
        r = cat.act(e["id"], action, **({"reason": "x"} if action == "reject" else {}))
        if (status, action) in TRANSITIONS:
            assert r.status_code == 200, (status, action, r.get_json())
            assert r.get_json()["status"] in TRANSITIONS[(status, action)]
        else:
            assert r.status_code == 409, (status, action, r.get_json())
            assert status in r.get_json()["detail"]
            assert r.get_json()["code"] == "enrolment-state"
            after = cat.client.get(f"/api/v1/enrolments/{e['id']}", headers=cat.admin).get_json()
            assert after["status"] == status
        _reset(cat, klass)


def _reset(cat, klass):
    from catalog_service.extensions import db
    from catalog_service.models import CourseClass, Enrolment, ModuleCompletion
    from sqlalchemy import delete, update

    with cat.client.application.app_context():
        db.session.execute(delete(ModuleCompletion))
        db.session.execute(delete(Enrolment))
        db.session.execute(update(CourseClass).values(seats_taken=0))
        db.session.commit()


def test_approve_fills_then_waitlists_and_withdraw_promotes(cat, who):
    course = cat.course()
    klass = cat.klass(course["id"], capacity=2)
    a = cat.request(klass["id"], as_="learner")
    b = cat.request(klass["id"], as_="other_asn")
    c = cat.request(klass["id"], as_="supervisor")
    d = cat.request(klass["id"], as_="other_supervisor")
    assert cat.ok(cat.act(a["id"], "approve"))["status"] == "enrolled"
    assert cat.ok(cat.act(b["id"], "approve"))["status"] == "enrolled"
    assert cat.ok(cat.act(c["id"], "approve"))["status"] == "waitlisted"
    assert cat.ok(cat.act(d["id"], "approve"))["status"] == "waitlisted"
    seats = cat.ok(cat.client.get(f"/api/v1/classes/{klass['id']}", headers=who["admin"]))
    assert seats["seats_taken"] == 2 and seats["seats_left"] == 0
    # withdrawing a waitlisted one frees no seat
    cat.ok(cat.act(d["id"], "withdraw", as_="other_supervisor"))
    # withdrawing an enrolled one promotes the first on the waitlist, in the same request
    assert (
        cat.ok(cat.act(a["id"], "withdraw", as_="learner", reason="dinas luar"))["status"]
        == "withdrawn"
    )
    assert (
        cat.ok(cat.client.get(f"/api/v1/enrolments/{c['id']}", headers=who["admin"]))["status"]
        == "enrolled"
    )
    seats = cat.ok(cat.client.get(f"/api/v1/classes/{klass['id']}", headers=who["admin"]))
    assert seats["seats_taken"] == 2
    # a further withdrawal with nobody waiting leaves the seat free
    cat.ok(cat.act(b["id"], "withdraw", as_="other_asn"))
    seats = cat.ok(cat.client.get(f"/api/v1/classes/{klass['id']}", headers=who["admin"]))
    assert seats["seats_taken"] == 1
    roster = cat.ok(cat.client.get(f"/api/v1/classes/{klass['id']}/roster", headers=who["trainer"]))
    assert [r["status"] for r in roster["items"]] == ["enrolled"]
    assert "nip" not in roster["items"][0]


def test_waitlist_is_first_come_first_served(cat):
    course = cat.course()
    klass = cat.klass(course["id"], capacity=1)
    a = cat.request(klass["id"], as_="learner")
    later = cat.request(klass["id"], as_="other_asn")
    first = cat.request(klass["id"], as_="supervisor")
    cat.ok(cat.act(a["id"], "approve"))
    cat.ok(cat.act(first["id"], "approve"))  # waitlisted first
    cat.ok(cat.act(later["id"], "approve"))  # waitlisted second
    cat.ok(cat.act(a["id"], "withdraw"))
    get = lambda e: cat.client.get(f"/api/v1/enrolments/{e['id']}", headers=cat.admin).get_json()  # noqa: E731
    assert get(first)["status"] == "enrolled" and get(later)["status"] == "waitlisted"


@pytest.mark.skipif(backend() != "postgres", reason="row locks are PostgreSQL's")
def test_a_seat_freed_while_a_learner_joins_the_waitlist_goes_to_that_learner(
    cat, who, monkeypatch
):
    course = cat.course()
    klass = cat.klass(course["id"], capacity=1)
    seated = cat.request(klass["id"], as_="learner")
    cat.ok(cat.act(seated["id"], "approve"))
    joining = cat.request(klass["id"], as_="other_asn")
    full, carry_on = threading.Event(), threading.Event()
    real_take_seat = enrolments.take_seat

    def finds_the_class_full(class_id: str) -> bool:
        taken = real_take_seat(class_id)
        full.set()  # the approval is about to waitlist `joining`, not yet committed
        carry_on.wait(10)
        return taken

    monkeypatch.setattr(enrolments, "take_seat", finds_the_class_full)
    answers: dict[str, Any] = {}
    approval = threading.Thread(
        target=lambda: answers.setdefault("approve", cat.act(joining["id"], "approve"))
    )
    approval.start()
    assert full.wait(10)
    monkeypatch.setattr(enrolments, "take_seat", real_take_seat)
    withdrawal = threading.Thread(
        target=lambda: answers.setdefault("withdraw", cat.act(seated["id"], "withdraw"))
    )
    withdrawal.start()
    withdrawal.join(timeout=1.0)
    with cat.client.application.app_context(), db.engine.connect() as probe:
        waiting = lock_waiters(probe)
    carry_on.set()
    approval.join(timeout=10)
    withdrawal.join(timeout=10)
    assert waiting == 1, "the withdrawal did not wait for the approval holding the class"
    assert cat.ok(answers["approve"])["status"] == "waitlisted"
    assert cat.ok(answers["withdraw"])["status"] == "withdrawn"
    now = cat.ok(cat.client.get(f"/api/v1/enrolments/{joining['id']}", headers=who["admin"]))
    assert now["status"] == "enrolled"


ROLES = (
    "learner",
    "other_asn",
    "supervisor",
    "other_supervisor",
    "trainer",
    "other_trainer",
    "admin",
)


@pytest.mark.security
def test_rights_per_route(cat, who, klass):
    e = cat.request(klass["id"])
    url = f"/api/v1/enrolments/{e['id']}"
    expected_get = {"learner": 200, "supervisor": 200, "admin": 200}
    for role in ROLES:
        assert cat.client.get(url, headers=who[role]).status_code == expected_get.get(role, 404), (
            role
        )
    # approve/reject: the direct supervisor or admin; the learner sees it (403); others 404
    decide = {"learner": 403, "supervisor": 200, "admin": 200}
    for action, body in (("reject", {"reason": "belum prioritas"}), ("approve", {})):
        for role in ROLES:
            expected = decide.get(role, 404)
            if expected == 200:
                continue
            r = cat.client.post(f"{url}/{action}", json=body, headers=who[role])
            assert r.status_code == expected, (action, role, r.get_json())
    assert cat.ok(cat.act(e["id"], "approve", as_="supervisor"))["status"] == "enrolled"
    # complete: admin or a trainer of the class; viewers 403; others 404
    complete = {
        "learner": 403,
        "supervisor": 403,
        "other_asn": 404,
        "other_supervisor": 404,
        "other_trainer": 404,
    }
    for role, expected in complete.items():
        assert cat.client.post(f"{url}/complete", headers=who[role]).status_code == expected, role
    # withdraw: the learner or admin; the supervisor sees it (403)
    withdraw = {"supervisor": 403, "other_asn": 404, "trainer": 404, "other_supervisor": 404}
    for role, expected in withdraw.items():
        assert (
            cat.client.post(f"{url}/withdraw", json={}, headers=who[role]).status_code == expected
        ), role
    assert (
        cat.ok(cat.client.post(f"{url}/complete", headers=who["trainer"]))["status"] == "completed"
    )
    # roster: trainers of the class and admins; learners 403
    roster = f"/api/v1/classes/{klass['id']}/roster"
    for role, expected in {
        "trainer": 200,
        "admin": 200,
        "service": 200,
        "learner": 403,
        "other_trainer": 403,
    }.items():
        assert cat.client.get(roster, headers=who[role]).status_code == expected, role


def test_lists_by_scope(cat, who, klass, people):
    mine = cat.request(klass["id"], as_="learner")
    theirs = cat.request(klass["id"], as_="other_asn")
    ids = lambda role, q="": [  # noqa: E731
        e["id"]
        for e in cat.ok(cat.client.get(f"/api/v1/enrolments{q}", headers=who[role]))["items"]
    ]
    assert ids("learner") == [mine["id"]]
    assert ids("other_asn") == [theirs["id"]]
    assert ids("supervisor", "?scope=team") == [mine["id"]]
    assert ids("supervisor") == []  # their own
    assert ids("other_supervisor", "?scope=team") == [theirs["id"]]
    assert sorted(ids("admin")) == sorted([mine["id"], theirs["id"]])
    assert ids("admin", f"?learner_id={people.other_asn}") == [theirs["id"]]
    assert cat.client.get("/api/v1/enrolments?scope=all", headers=who["learner"]).status_code == 403
    assert (
        cat.client.get("/api/v1/enrolments?status=bogus", headers=who["admin"]).status_code == 422
    )


def test_reject_needs_reason_and_records_it(cat, who, klass):
    e = cat.request(klass["id"])
    r = cat.act(e["id"], "reject", as_="supervisor")
    assert r.status_code == 422 and "reason" in r.get_json()["errors"]
    done = cat.ok(cat.act(e["id"], "reject", as_="supervisor", reason="Belum prioritas tahun ini"))
    assert done["status"] == "rejected" and done["reason"] == "Belum prioritas tahun ini"

"""Personal development plans: the ASN drafts and submits, the supervisor approves or returns
with a comment; rights on every plan; refusals name the field."""

from __future__ import annotations

import pytest

BASE = "/api/v1/development-plans"


@pytest.fixture
def line(monkeypatch, people):
    """Personnel's line: the learner's supervisor, then OTHER_SUPERVISOR above them."""
    from catalog_service.clients import personnel

    monkeypatch.setattr(
        personnel,
        "supervisor_ids",
        lambda pid: [people.supervisor, people.other_supervisor] if pid == people.learner else [],
    )


def _plan(cat, as_="learner", year=2027):
    return cat.ok(cat.client.post(BASE, json={"year": year}, headers=cat.who[as_]), 201)


def _add(cat, plan_id, course_id, as_="learner", **extra):
    return cat.client.post(
        f"{BASE}/{plan_id}/items", json={"course_id": course_id, **extra}, headers=cat.who[as_]
    )


def _post(cat, plan_id, action, as_="learner", **body):
    return cat.client.post(f"{BASE}/{plan_id}/{action}", json=body, headers=cat.who[as_])


def _refused(response, status, code, field=None):
    body = response.get_json()
    assert response.status_code == status, body
    assert response.mimetype == "application/problem+json"
    assert body["code"] == code, body
    if field:
        assert field in body["errors"], body


def test_draft_submit_return_resubmit_approve(cat, people):
    course = cat.course(title="Analisis Kebijakan", jp=24)
    plan = _plan(cat)
    assert plan["status"] == "draft" and plan["supervisor_id"] == people.supervisor
    plan = cat.ok(_add(cat, plan["id"], course["id"], note="untuk tugas baru"), 201)
    assert [(i["course_title"], i["note"]) for i in plan["items"]] == [
        ("Analisis Kebijakan", "untuk tugas baru")
    ]
    assert plan["total_jp"] == 24
    assert cat.ok(_post(cat, plan["id"], "submit"))["status"] == "submitted"
    waiting = cat.client.get(BASE, query_string={"scope": "team", "status": "submitted"},
                             headers=cat.who["supervisor"])  # fmt: skip
    assert [p["id"] for p in cat.ok(waiting)["items"]] == [plan["id"]]

    returned = cat.ok(_post(cat, plan["id"], "return", as_="supervisor", comment="Tambah satu"))
    assert (returned["status"], returned["supervisor_comment"]) == ("returned", "Tambah satu")
    second = cat.course(title="Etika Publik")
    cat.ok(_add(cat, plan["id"], second["id"]), 201)
    cat.ok(_post(cat, plan["id"], "submit"))
    approved = cat.ok(_post(cat, plan["id"], "approve", as_="supervisor"))
    assert approved["status"] == "approved" and approved["decided_by"] == people.supervisor
    mine = cat.ok(cat.client.get(BASE, query_string={"year": 2027}, headers=cat.who["learner"]))
    assert [(p["id"], p["status"], len(p["items"])) for p in mine["items"]] == [
        (plan["id"], "approved", 2)
    ]


def test_an_approved_or_submitted_plan_is_not_edited(cat):
    course, other = cat.course(), cat.course()
    plan = _plan(cat)
    cat.ok(_add(cat, plan["id"], course["id"]), 201)
    cat.ok(_post(cat, plan["id"], "submit"))
    _refused(_add(cat, plan["id"], other["id"]), 409, "plan-not-editable")
    cat.ok(_post(cat, plan["id"], "approve", as_="supervisor"))
    _refused(_add(cat, plan["id"], other["id"]), 409, "plan-not-editable")
    removed = cat.client.delete(f"{BASE}/{plan['id']}/items/{course['id']}",
                                headers=cat.who["learner"])  # fmt: skip
    _refused(removed, 409, "plan-not-editable")
    _refused(_post(cat, plan["id"], "submit"), 409, "plan-not-editable")
    _refused(_post(cat, plan["id"], "return", as_="supervisor", comment="x"), 409,
             "plan-not-submitted")  # fmt: skip
    again = cat.ok(cat.client.get(f"{BASE}/{plan['id']}", headers=cat.who["learner"]))
    assert again["status"] == "approved" and len(again["items"]) == 1


def test_bad_courses_are_refused_naming_the_field(cat):
    plan = _plan(cat)
    draft = cat.course(publish=False)
    _refused(_add(cat, plan["id"], "no-such-course"), 422, "unknown-course", "course_id")
    _refused(_add(cat, plan["id"], draft["id"]), 422, "course-not-published", "course_id")
    course = cat.course()
    cat.ok(_add(cat, plan["id"], course["id"]), 201)
    _refused(_add(cat, plan["id"], course["id"]), 422, "plan-duplicate-course", "course_id")
    response = _add(cat, plan["id"], course["id"], note="x" * 501)
    assert response.status_code == 422 and "note" in response.get_json()["errors"]
    from catalog_service.domain.development_plans import MAX_ITEMS

    for _ in range(MAX_ITEMS - 1):
        cat.ok(_add(cat, plan["id"], cat.course()["id"]), 201)
    _refused(_add(cat, plan["id"], cat.course()["id"]), 422, "plan-full", "course_id")
    mine = cat.ok(cat.client.get(f"{BASE}/{plan['id']}", headers=cat.who["learner"]))
    assert len(mine["items"]) == MAX_ITEMS


def test_bad_plan_input(cat):
    plan = _plan(cat)
    _refused(cat.client.post(BASE, json={"year": 2027}, headers=cat.who["learner"]), 409,
             "plan-exists", "year")  # fmt: skip
    for year in (1999, "dua ribu", None):
        response = cat.client.post(BASE, json={"year": year}, headers=cat.who["learner"])
        assert response.status_code == 422 and "year" in response.get_json()["errors"]
    _refused(_post(cat, plan["id"], "submit"), 422, "plan-empty", "items")
    cat.ok(_add(cat, plan["id"], cat.course()["id"]), 201)
    cat.ok(_post(cat, plan["id"], "submit"))
    response = _post(cat, plan["id"], "return", as_="supervisor", comment="   ")
    assert response.status_code == 422 and "comment" in response.get_json()["errors"]
    response = _post(cat, plan["id"], "return", as_="supervisor")
    assert response.status_code == 422 and "comment" in response.get_json()["errors"]
    assert (
        cat.ok(cat.client.get(f"{BASE}/{plan['id']}", headers=cat.who["learner"]))["status"]
        == "submitted"
    )


@pytest.mark.security
def test_rights_on_every_plan(cat, people, line):
    plan = _plan(cat)
    course = cat.course()
    cat.ok(_add(cat, plan["id"], course["id"]), 201)
    # Another ASN neither reads nor edits it, and learns nothing of it (404).
    assert cat.client.get(f"{BASE}/{plan['id']}", headers=cat.who["other_asn"]).status_code == 404
    assert _add(cat, plan["id"], cat.course()["id"], as_="other_asn").status_code == 404
    assert _post(cat, plan["id"], "submit", as_="other_asn").status_code == 404
    # The supervisor reads but does not edit or submit the person's plan.
    cat.ok(cat.client.get(f"{BASE}/{plan['id']}", headers=cat.who["supervisor"]))
    _refused(_add(cat, plan["id"], cat.course()["id"], as_="supervisor"), 403, "plan-not-yours")
    _refused(_post(cat, plan["id"], "submit", as_="supervisor"), 403, "plan-not-yours")
    cat.ok(_post(cat, plan["id"], "submit"))
    # Nobody approves their own plan.
    _refused(_post(cat, plan["id"], "approve"), 403, "plan-not-your-decision")
    # A supervisor up the line reads, but the decision is the direct one's (as on enrolments).
    cat.ok(cat.client.get(f"{BASE}/{plan['id']}", headers=cat.who["other_supervisor"]))
    _refused(_post(cat, plan["id"], "approve", as_="other_supervisor"), 403,
             "plan-not-your-decision")  # fmt: skip
    team = cat.client.get(BASE, query_string={"scope": "team"}, headers=cat.who["other_supervisor"])
    assert cat.ok(team)["items"] == []
    # Admins read all; others may not ask for all.
    everyone = cat.ok(cat.client.get(BASE, query_string={"scope": "all"}, headers=cat.admin))
    assert [p["id"] for p in everyone["items"]] == [plan["id"]]
    _refused(cat.client.get(BASE, query_string={"scope": "all"}, headers=cat.who["learner"]),
             403, "plans-all-admin")  # fmt: skip
    assert cat.ok(_post(cat, plan["id"], "approve", as_="supervisor"))["status"] == "approved"


@pytest.mark.security
def test_a_supervisor_outside_the_line_sees_nothing(cat, people, line):
    plan = _plan(cat)
    cat.ok(_add(cat, plan["id"], cat.course()["id"]), 201)
    cat.ok(_post(cat, plan["id"], "submit"))
    other = _plan(cat, as_="other_asn")
    # The learner's supervisor is not in other_asn's line.
    assert cat.client.get(f"{BASE}/{other['id']}", headers=cat.who["supervisor"]).status_code == 404
    assert _post(cat, other["id"], "approve", as_="supervisor").status_code == 404
    # Trainers have no business with plans; only ASN start one.
    assert cat.client.get(f"{BASE}/{plan['id']}", headers=cat.who["trainer"]).status_code == 404
    _refused(cat.client.post(BASE, json={"year": 2027}, headers=cat.who["trainer"]), 403,
             "plan-asn-only")  # fmt: skip


def test_without_a_supervisor_on_record_the_plan_stays_a_draft(cat):
    # The `supervisor` token has no supervisor of their own.
    plan = _plan(cat, as_="supervisor")
    cat.ok(_add(cat, plan["id"], cat.course()["id"], as_="supervisor"), 201)
    _refused(_post(cat, plan["id"], "submit", as_="supervisor"), 409, "plan-no-supervisor")
    again = cat.ok(cat.client.get(f"{BASE}/{plan['id']}", headers=cat.who["supervisor"]))
    assert (again["status"], again["supervisor_id"]) == ("draft", None)


def test_an_admin_reads_and_decides_any_plan(cat):
    plan = _plan(cat)
    cat.ok(_add(cat, plan["id"], cat.course()["id"]), 201)
    cat.ok(_post(cat, plan["id"], "submit"))
    assert cat.ok(cat.client.get(f"{BASE}/{plan['id']}", headers=cat.admin))["id"] == plan["id"]
    returned = cat.ok(_post(cat, plan["id"], "return", as_="admin", comment="Lengkapi"))
    assert returned["status"] == "returned"


def test_of_two_decisions_at_once_the_second_hears_the_plan_was_decided(cat, monkeypatch):
    from catalog_service.domain import development_plans
    from catalog_service.extensions import db
    from sqlalchemy import text

    plan = _plan(cat)
    cat.ok(_add(cat, plan["id"], cat.course()["id"]), 201)
    cat.ok(_post(cat, plan["id"], "submit"))
    rights = development_plans.can_decide

    def the_admin_returns_it_meanwhile(loaded, who):
        # The supervisor's request has read the plan as submitted; the admin's commits first.
        with db.engine.begin() as other:
            other.execute(
                text("UPDATE development_plans SET status = 'returned' WHERE id = :id"),
                {"id": plan["id"]},
            )
        return rights(loaded, who)

    monkeypatch.setattr(development_plans, "can_decide", the_admin_returns_it_meanwhile)
    late = _post(cat, plan["id"], "approve", as_="supervisor")
    _refused(late, 409, "plan-not-submitted")
    assert late.get_json()["status_now"] == "returned"
    monkeypatch.undo()
    mine = cat.ok(cat.client.get(f"{BASE}/{plan['id']}", headers=cat.who["learner"]))
    assert (mine["status"], mine["decided_by"]) == ("returned", None)

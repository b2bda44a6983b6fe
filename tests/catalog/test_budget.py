"""Budgets: approvals reserve the cost atomically; overspending needs an admin override."""

from __future__ import annotations

from catalog_service.extensions import db
from catalog_service.models import BudgetOverride
from sqlalchemy import select


def _budget(cat, who, unit, amount, year=2026):
    body = {"unit_code": unit, "year": year, "amount": amount}
    return cat.ok(cat.client.post("/api/v1/budgets", json=body, headers=who["admin"]), 201)


def _get(cat, who, budget):
    return cat.ok(cat.client.get(f"/api/v1/budgets/{budget['id']}", headers=who["admin"]))


def test_budget_api(cat, who, people):
    b = _budget(cat, who, people.unit, 5_000_000)
    assert b["reserved"] == 0 and b["available"] == 5_000_000
    r = cat.client.post(
        "/api/v1/budgets",
        json={"unit_code": people.unit, "year": 2026, "amount": 1},
        headers=who["admin"],
    )
    assert r.status_code == 409
    r = cat.client.post(
        "/api/v1/budgets", json={"unit_code": "X", "year": 2026, "amount": -5}, headers=who["admin"]
    )
    assert r.status_code == 422 and "amount" in r.get_json()["errors"]
    for role in ("learner", "supervisor", "trainer"):
        assert cat.client.get("/api/v1/budgets", headers=who[role]).status_code == 403
        r = cat.client.post(
            "/api/v1/budgets", json={"unit_code": "X", "year": 2026, "amount": 1}, headers=who[role]
        )
        assert r.status_code == 403
    listed = cat.ok(
        cat.client.get(f"/api/v1/budgets?unit_code={people.unit}", headers=who["admin"])
    )
    assert listed["total"] == 1


def test_approval_reserves_and_withdraw_releases(cat, who, people):
    b = _budget(cat, who, people.unit, 3_000_000)
    course = cat.course(cost_per_participant=1_250_000)
    klass = cat.klass(course["id"])
    e = cat.request(klass["id"])
    approved = cat.ok(cat.act(e["id"], "approve", as_="supervisor"))
    assert approved["cost_reserved"] == 1_250_000
    assert _get(cat, who, b)["reserved"] == 1_250_000
    # the amount may not drop below what is reserved
    r = cat.client.patch(
        f"/api/v1/budgets/{b['id']}", json={"amount": 1_000_000}, headers=who["admin"]
    )
    assert r.status_code == 409 and "reserved" in r.get_json()["detail"]
    withdrawn = cat.ok(cat.act(e["id"], "withdraw", as_="learner"))
    assert withdrawn["cost_reserved"] == 0
    assert _get(cat, who, b)["reserved"] == 0


def test_overspend_refused_with_clear_message_then_admin_override(cat, who, people):
    b = _budget(cat, who, people.unit, 1_000_000)
    course = cat.course(cost_per_participant=1_500_000)
    klass = cat.klass(course["id"])
    e = cat.request(klass["id"])
    r = cat.act(e["id"], "approve", as_="supervisor")
    assert r.status_code == 409
    detail = r.get_json()["detail"]
    assert (
        "Rp 1,000,000 left" in detail and "Rp 1,500,000" in detail and "override_reason" in detail
    )
    # nothing half-written: still requested, no seat, nothing reserved
    assert (
        cat.ok(cat.client.get(f"/api/v1/enrolments/{e['id']}", headers=who["admin"]))["status"]
        == "requested"
    )
    assert (
        cat.ok(cat.client.get(f"/api/v1/classes/{klass['id']}", headers=who["admin"]))[
            "seats_taken"
        ]
        == 0
    )
    assert _get(cat, who, b)["reserved"] == 0
    # only an admin may override
    r = cat.act(e["id"], "approve", as_="supervisor", override_reason="penting sekali")
    assert r.status_code == 403 and "override_reason" in r.get_json()["errors"]
    assert cat.act(e["id"], "approve", as_="admin", override_reason="").status_code == 422
    ok = cat.ok(cat.act(e["id"], "approve", as_="admin", override_reason="Prioritas SPBE 2026"))
    assert ok["status"] == "enrolled" and ok["cost_reserved"] == 1_500_000
    assert _get(cat, who, b)["reserved"] == 1_500_000
    with cat.client.application.app_context():
        override = db.session.scalar(select(BudgetOverride))
        assert override.reason == "Prioritas SPBE 2026" and override.actor_id == people.admin


def test_no_budget_for_unit(cat, who, people):
    course = cat.course(cost_per_participant=100_000)
    e = cat.request(cat.klass(course["id"])["id"], as_="other_asn")
    r = cat.act(e["id"], "approve", as_="other_supervisor")
    assert (
        r.status_code == 409
        and f"Unit {people.other_unit} has no training budget for 2026" in r.get_json()["detail"]
    )
    assert (
        cat.ok(cat.act(e["id"], "approve", override_reason="darurat"))["cost_reserved"] == 100_000
    )
    listed = cat.ok(
        cat.client.get(f"/api/v1/budgets?unit_code={people.other_unit}", headers=who["admin"])
    )
    assert listed["items"][0]["reserved"] == 100_000 and listed["items"][0]["amount"] == 0


def test_waitlisted_reservation_released_on_reject(cat, who, people):
    b = _budget(cat, who, people.unit, 10_000_000)
    course = cat.course(cost_per_participant=2_000_000)
    klass = cat.klass(course["id"], capacity=1)
    first = cat.request(klass["id"], as_="supervisor")
    second = cat.request(klass["id"], as_="learner")
    cat.ok(cat.act(first["id"], "approve"))
    assert cat.ok(cat.act(second["id"], "approve"))["status"] == "waitlisted"
    assert _get(cat, who, b)["reserved"] == 4_000_000
    cat.ok(cat.act(second["id"], "reject", reason="kelas penuh"))
    assert _get(cat, who, b)["reserved"] == 2_000_000


def test_free_course_needs_no_budget(cat):
    course = cat.course(cost_per_participant=0)
    e = cat.request(cat.klass(course["id"])["id"])
    assert cat.ok(cat.act(e["id"], "approve", as_="supervisor"))["cost_reserved"] == 0


def test_spent_is_the_reserved_cost_of_completed_enrolments(cat, who, people):
    b = _budget(cat, who, people.unit, 10_000_000)
    course = cat.course(cost_per_participant=2_000_000)
    klass = cat.klass(course["id"])
    e = cat.request(klass["id"])
    cat.ok(cat.act(e["id"], "approve", as_="admin"))
    assert _get(cat, who, b)["spent"] == 0
    cat.ok(cat.act(e["id"], "complete", as_="admin"))
    budget = _get(cat, who, b)
    assert (budget["reserved"], budget["spent"], budget["available"]) == (
        2_000_000, 2_000_000, 8_000_000
    )  # fmt: skip
    listed = cat.ok(cat.client.get("/api/v1/budgets?year=2026", headers=who["admin"]))
    assert [x["spent"] for x in listed["items"] if x["id"] == b["id"]] == [2_000_000]


def test_monthly_completions_and_spending(cat, who, people):
    from datetime import date

    _budget(cat, who, people.unit, 10_000_000, year=date.today().year)
    course = cat.course(cost_per_participant=1_000_000, jp=12)
    e = cat.request(cat.klass(course["id"])["id"])
    cat.ok(cat.act(e["id"], "approve", as_="admin"))
    cat.ok(cat.act(e["id"], "complete", as_="admin"))
    year = date.today().year
    answer = cat.ok(cat.client.get(f"/api/v1/enrolments/monthly?year={year}", headers=who["admin"]))
    assert len(answer["items"]) == 12
    busy = [m for m in answer["items"] if m["completions"]]
    assert busy == [{"month": busy[0]["month"], "completions": 1, "jp": 12, "spent": 1_000_000}]
    assert cat.client.get(
        f"/api/v1/enrolments/monthly?year={year}", headers=who["learner"]
    ).status_code == 403  # fmt: skip
    assert cat.client.get("/api/v1/enrolments/monthly", headers=who["admin"]).status_code == 422

"""What the published OpenAPI promises matches what catalog takes and sends (found by fuzzing)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

HUGE = 2674496285970203437689665272938496  # past any database integer


def test_errors_are_documented_as_the_problem_json_they_are(client):
    spec = client.get("/api/openapi.json").get_json()
    for name in ("DEFAULT_ERROR", "UNPROCESSABLE_ENTITY"):
        assert set(spec["components"]["responses"][name]["content"]) == {"application/problem+json"}
    assert spec["components"]["schemas"]["Problem"]["additionalProperties"] is True


def test_budget_conflict_carries_the_existing_id_as_documented(cat):
    body = {"unit_code": "DISKOMINFO", "year": 2026, "amount": 1000}
    first = cat.ok(cat.client.post("/api/v1/budgets", json=body, headers=cat.admin), 201)
    again = cat.client.post("/api/v1/budgets", json=body, headers=cat.admin)
    assert again.status_code == 409 and again.mimetype == "application/problem+json"
    assert again.get_json()["budget_id"] == first["id"]


@pytest.mark.parametrize("field", ["jp_min", "jp_max"])
def test_huge_jp_filter_is_refused_not_a_500(cat, field):
    response = cat.client.get(f"/api/v1/courses?{field}={HUGE}", headers=cat.admin)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]


def test_huge_cost_is_refused_and_nothing_is_written(cat):
    response = cat.client.post(
        "/api/v1/courses",
        json={"code": "MAHAL", "title": "Mahal", "jp": 10, "cost_per_participant": HUGE},
        headers=cat.admin,
    )
    assert response.status_code == 422, response.get_json()
    assert "cost_per_participant" in response.get_json()["errors"]
    listed = cat.client.get("/api/v1/courses?status=draft", headers=cat.admin).get_json()
    assert listed["total"] == 0


def test_moments_carry_their_utc_offset(cat):
    course = cat.course(publish=False)
    again = cat.ok(cat.client.get(f"/api/v1/courses/{course['id']}", headers=cat.admin))
    competency = cat.competency()
    for body, keys in ((course, ("created_at", "updated_at")), (again, ("created_at",)),
                       (competency, ("created_at",))):  # fmt: skip
        for key in keys:
            assert datetime.fromisoformat(body[key]).utcoffset() == timedelta(0), body[key]


@pytest.mark.parametrize("amount", [5.776937937694869e-242, 1.5])
def test_fractional_amount_is_refused_not_truncated(cat, amount):
    body = {"unit_code": "DISKOMINFO", "year": 2026, "amount": amount}
    response = cat.client.post("/api/v1/budgets", json=body, headers=cat.admin)
    assert response.status_code == 422 and "amount" in response.get_json()["errors"]


@pytest.mark.security
def test_nul_in_text_is_refused_and_nothing_is_written(cat):
    body = {"unit_code": "DISK\u0000OMINFO", "year": 2026, "amount": 1}
    response = cat.client.post("/api/v1/budgets", json=body, headers=cat.admin)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["errors"] == {
        "unit_code": [response.get_json()["errors"]["unit_code"][0]]
    }
    assert cat.client.get("/api/v1/budgets", headers=cat.admin).get_json()["total"] == 0
    query = cat.client.get("/api/v1/courses?q=a%00b", headers=cat.admin)
    assert query.status_code == 422 and "q" in query.get_json()["errors"]

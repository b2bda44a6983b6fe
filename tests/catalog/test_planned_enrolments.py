"""Planned enrolment requests (POST /enrolments/planned); the class fields planning reads."""

from __future__ import annotations

from datetime import timedelta

from .conftest import LEARNER, OTHER_ASN, SUPERVISOR, TODAY, UNIT, CatalogDriver


def _item(class_id: str, learner: str = LEARNER) -> dict:
    return {"class_id": class_id, "learner_id": learner, "learner_name": "Nyimas",
            "unit_code": UNIT, "supervisor_id": SUPERVISOR}  # fmt: skip


def test_planned_requests_are_made_once(cat: CatalogDriver, who: dict) -> None:
    course = cat.course(cost_per_participant=750_000)
    # The window opens next month: a plan may still ask ahead.
    later = cat.klass(
        course["id"],
        enrolment_opens_on=(TODAY + timedelta(days=30)).isoformat(),
        enrolment_closes_on=(TODAY + timedelta(days=40)).isoformat(),
        starts_on=(TODAY + timedelta(days=50)).isoformat(),
        ends_on=(TODAY + timedelta(days=51)).isoformat(),
    )
    closed = cat.klass(
        course["id"],
        enrolment_opens_on=(TODAY - timedelta(days=30)).isoformat(),
        enrolment_closes_on=(TODAY - timedelta(days=1)).isoformat(),
    )
    items = [_item(later["id"]), _item(later["id"], OTHER_ASN), _item(closed["id"])]
    body = {"reference": "plan:1", "items": [*items, _item("no-such-class")]}
    first = cat.ok(cat.client.post("/api/v1/enrolments/planned", json=body, headers=who["service"]))
    assert (first["created"], first["existing"], first["refused"]) == (2, 0, 2)
    assert [i["created"] for i in first["items"]] == [True, True, False, False]
    assert "closed" in first["items"][2]["problem"] and "no class" in first["items"][3]["problem"]
    mine = cat.ok(cat.client.get(f"/api/v1/enrolments/{first['items'][0]['enrolment_id']}",
                                         headers=who["learner"]))  # fmt: skip
    assert mine["status"] == "requested" and mine["supervisor_id"] == SUPERVISOR
    assert len(cat.events("enrolment.requested")) == 2
    second = cat.ok(cat.client.post("/api/v1/enrolments/planned", json=body, headers=who["admin"]))
    assert (second["created"], second["existing"], second["refused"]) == (0, 2, 2)
    assert [i["enrolment_id"] for i in second["items"][:2]] == [
        i["enrolment_id"] for i in first["items"][:2]
    ]
    assert len(cat.events("enrolment.requested")) == 2
    # The supervisor decides as for any request.
    rejected = cat.act(first["items"][0]["enrolment_id"], "reject", as_="supervisor", reason="x")
    assert rejected.status_code == 200, rejected.get_json()


def test_planned_requests_rights_and_input(cat: CatalogDriver, who: dict) -> None:
    course = cat.course()
    klass = cat.klass(course["id"])
    body = {"reference": "plan:1", "items": [_item(klass["id"])]}
    for role in ("learner", "supervisor", "trainer"):
        answer = cat.client.post("/api/v1/enrolments/planned", json=body, headers=who[role])
        assert answer.status_code == 403, role
    for bad in ({"reference": "x", "items": []}, {"items": [_item(klass["id"])]},
                {"reference": "x", "items": [{"class_id": klass["id"]}]}):  # fmt: skip
        answer = cat.client.post("/api/v1/enrolments/planned", json=bad, headers=who["admin"])
        assert answer.status_code == 422, bad


def test_classes_carry_cost_jp_competencies_and_filter_by_year(
    cat: CatalogDriver, who: dict
) -> None:
    cat.competency("T-DKI-DATA", "teknis")
    course = cat.course(jp=16, cost_per_participant=500_000,
                            competencies=[{"code": "T-DKI-DATA", "level": 3}])  # fmt: skip
    klass = cat.klass(course["id"])
    next_year = TODAY.year + 1
    cat.klass(course["id"], starts_on=f"{next_year}-02-01", ends_on=f"{next_year}-02-02")
    page = cat.ok(cat.client.get(f"/api/v1/classes?year={TODAY.year}", headers=who["service"]))
    assert [c["id"] for c in page["items"]] == [klass["id"]]
    found = page["items"][0]
    assert found["jp"] == 16 and found["cost_per_participant"] == 500_000
    assert found["competencies"] == [{"code": "T-DKI-DATA", "level": 3}]
    assert found["course_status"] == "published"
    assert (
        cat.ok(cat.client.get(f"/api/v1/classes?year={next_year}", headers=who["service"]))["total"]
        == 1
    )

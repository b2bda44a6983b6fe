"""GET /api/v1/development-needs: many people's gaps and JP at once, for planning."""

from __future__ import annotations

from datetime import date

from .conftest import Org


def test_needs_of_a_unit_and_its_sub_units(org: Org) -> None:
    body = {
        "position": "Pranata Komputer Ahli Pertama",
        "competencies": [{"code": "T-X", "level": 3}],
    }
    assert org.post("/api/v1/position-standards", json=body).status_code == 201
    staff = org.ids["staff"]
    assessed = {"code": "T-X", "level": 1, "source": "assessment_centre"}
    assert (
        org.post(f"/api/v1/people/{staff}/competency-assessments", json=assessed).status_code == 201
    )
    assessed = {"code": "M-INT", "level": 5, "source": "assessment_centre"}
    assert (
        org.post(f"/api/v1/people/{staff}/competency-assessments", json=assessed).status_code == 201
    )
    entry = {"title": "Seminar", "jp": 8, "form": "seminar", "evidence_url": "https://x.id/a.pdf",
             "completed_on": date.today().isoformat()}  # fmt: skip
    assert org.post(f"/api/v1/people/{staff}/jp-entries", json=entry).status_code == 201
    answer = org.get(f"/api/v1/development-needs?unit_code=OPD-A&year={date.today().year}")
    assert answer.status_code == 200, answer.get_json()
    page = answer.get_json()
    assert page["total"] == 4 and {p["id"] for p in page["items"]} == {
        org.ids[k] for k in ("kadis", "kabid", "staff", "peer")
    }
    mine = next(p for p in page["items"] if p["id"] == staff)
    assert mine["jp_earned"] == 8 and mine["jp_target"] == 20
    assert mine["appointed"] == "2019-02" and mine["supervisor_id"] == org.ids["kabid"]
    gaps = {g["code"]: g for g in mine["gaps"]}
    assert gaps["T-X"] == {"code": "T-X", "required": 3, "current": 1, "gap": 2}
    assert "M-INT" not in gaps  # assessed above the fungsional standard: no gap
    assert all(g["gap"] > 0 for p in page["items"] for g in p["gaps"])


def test_everyone_by_page_for_services_only(org: Org) -> None:
    first = org.get("/api/v1/development-needs?per_page=2", who="service").get_json()
    second = org.get("/api/v1/development-needs?per_page=2&page=2", who="service").get_json()
    third = org.get("/api/v1/development-needs?per_page=2&page=3", who="service").get_json()
    assert first["total"] == 5  # ASN with a NIP; admin and trainer have none
    ids = [p["id"] for page in (first, second, third) for p in page["items"]]
    assert len(ids) == len(set(ids)) == 5
    assert org.get("/api/v1/development-needs", who="kadis").status_code == 403
    assert org.get("/api/v1/development-needs?unit_code=NOPE").status_code == 404
    assert org.get("/api/v1/development-needs?year=1200").status_code == 422

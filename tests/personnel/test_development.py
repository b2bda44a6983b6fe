"""JP ledger (totals per year, external entries, the enrolment.completed consumer, compliance)
and competency profiles (assessment rights, gaps for the current and a target position)."""

from __future__ import annotations

import uuid

import pytest
from personnel_service.domain.competencies import gap_items


def completed_event(learner_id, jp=12, completed_on="2025-03-10", event_id=None, **data):
    return {
        "id": event_id or str(uuid.uuid4()),
        "type": "enrolment.completed",
        "version": 1,
        "occurred_at": "2025-03-10T08:00:00+00:00",
        "producer": "catalog",
        "aggregate_id": str(uuid.uuid4()),
        "data": {
            "enrolment_id": str(uuid.uuid4()),
            "learner_id": learner_id,
            "learner_name": "Staff",
            "unit_code": "OPD-A-SUB",
            "supervisor_id": None,
            "course_id": str(uuid.uuid4()),
            "course_code": "TIK-101",
            "course_title": "Keamanan Informasi bagi ASN",
            "jp": jp,
            "form": "e-learning",
            "competencies": [],
            "class_id": str(uuid.uuid4()),
            "class_name": "TIK-101-1",
            "trainer_ids": [],
            "starts_on": "2025-03-01",
            "ends_on": completed_on,
            "completed_on": completed_on,
            **data,
        },
    }


def deliver(org, envelope):
    return org.post("/internal/events", who="service", json=envelope)


def test_enrolment_completed_adds_one_entry_even_when_delivered_twice(org):
    staff = org.ids["staff"]
    event = completed_event(staff)
    assert deliver(org, event).status_code == 200
    assert deliver(org, event).get_json()["status"] == "duplicate"
    jp = org.get(f"/api/v1/people/{staff}/jp?year=2025", who="staff").get_json()
    assert jp["earned"] == 12 and jp["target"] == 20 and jp["year"] == 2025
    [entry] = jp["entries"]
    assert entry["course_code"] == "TIK-101" and entry["completed_on"] == "2025-03-10"
    assert entry["source_event_id"] == event["id"]


def test_same_event_id_is_one_entry_even_past_the_inbox(app, org):
    """The ledger's own unique source_event_id guards even a handler called directly."""
    from personnel_service.events import on_enrolment_completed
    from personnel_service.extensions import db
    from personnel_service.models import JpEntry

    event = completed_event(org.ids["staff"])
    with app.app_context():
        on_enrolment_completed(event)
        on_enrolment_completed(event)
        db.session.commit()
        assert db.session.query(JpEntry).count() == 1


def test_malformed_or_unknown_learner_events_are_rejected(org):
    assert deliver(org, completed_event(org.ids["staff"], jp="many")).status_code == 422
    assert deliver(org, completed_event(str(uuid.uuid4()))).status_code == 422


def test_jp_totals_are_per_year(org):
    staff = org.ids["staff"]
    deliver(org, completed_event(staff, jp=12, completed_on="2024-12-31"))
    deliver(org, completed_event(staff, jp=8, completed_on="2025-01-01"))
    deliver(org, completed_event(staff, jp=6, completed_on="2025-06-30"))
    assert org.get(f"/api/v1/people/{staff}/jp?year=2024").get_json()["earned"] == 12
    year = org.get(f"/api/v1/people/{staff}/jp?year=2025").get_json()
    assert year["earned"] == 14 and year["shortfall"] == 6
    assert [e["jp"] for e in year["entries"]] == [8, 6]
    assert org.get(f"/api/v1/people/{staff}/jp?year=2023").get_json()["earned"] == 0
    assert org.get(f"/api/v1/people/{staff}/jp?year=abc").status_code == 422


def test_admin_records_external_development_with_evidence(org):
    staff = org.ids["staff"]
    entry = {
        "title": "Magister Ilmu Komputer",
        "jp": 30,
        "form": "pendidikan",
        "completed_on": "2025-02-01",
        "evidence_url": "https://ijazah.example/123",
    }
    created = org.post(f"/api/v1/people/{staff}/jp-entries", json=entry)
    assert created.status_code == 201
    assert created.get_json()["year"] == 2025 and created.get_json()["course_code"] is None
    assert org.get(f"/api/v1/people/{staff}/jp?year=2025").get_json()["earned"] == 30
    no_evidence = {k: v for k, v in entry.items() if k != "evidence_url"}
    bad = org.post(f"/api/v1/people/{staff}/jp-entries", json=no_evidence)
    assert bad.status_code == 422 and "evidence_url" in bad.get_json()["errors"]
    assert (
        org.post(f"/api/v1/people/{staff}/jp-entries", who="kabid", json=entry).status_code == 403
    )
    assert (
        org.post(f"/api/v1/people/{staff}/jp-entries", who="other", json=entry).status_code == 404
    )


def test_targets_per_employment_type_and_agency(org):
    staff = org.ids["staff"]
    assert (
        org.put("/api/v1/jp-targets", json={"employment_type": "PNS", "target": 24}).status_code
        == 200
    )
    assert org.get(f"/api/v1/people/{staff}/jp?year=2025").get_json()["target"] == 24
    org.put(
        "/api/v1/jp-targets", json={"employment_type": "PNS", "agency_code": "OPD-A", "target": 30}
    )
    assert org.get(f"/api/v1/people/{staff}/jp?year=2025").get_json()["target"] == 30
    assert org.get(f"/api/v1/people/{org.ids['other']}/jp?year=2025").get_json()["target"] == 24
    bad = org.put(
        "/api/v1/jp-targets",
        json={"employment_type": "PNS", "agency_code": "OPD-A-SUB", "target": 1},
    )
    assert bad.status_code == 422 and "agency_code" in bad.get_json()["errors"]
    assert (
        org.put(
            "/api/v1/jp-targets", who="kadis", json={"employment_type": "PNS", "target": 1}
        ).status_code
        == 403
    )


def test_compliance_sorted_by_shortfall_and_limited_to_the_supervisors_line(org):
    deliver(org, completed_event(org.ids["staff"], jp=15, completed_on="2025-05-01"))
    deliver(org, completed_event(org.ids["peer"], jp=4, completed_on="2025-05-01"))
    deliver(org, completed_event(org.ids["kadis"], jp=20, completed_on="2025-05-01"))
    report = org.get("/api/v1/units/OPD-A/compliance?year=2025").get_json()
    assert report["people"] == 4 and report["below_target"] == 3
    assert [(i["name"], i["shortfall"]) for i in report["items"]] == [
        ("Kabid", 20),
        ("Peer", 16),
        ("Staff", 5),
    ]
    mine = org.get("/api/v1/units/OPD-A/compliance?year=2025", who="kabid").get_json()
    assert [i["name"] for i in mine["items"]] == ["Staff"]
    assert org.get("/api/v1/units/OPD-B/compliance", who="kabid").status_code == 404
    assert org.get("/api/v1/units/OPD-A/compliance", who="staff").status_code == 403
    assert org.get("/api/v1/units/NOPE/compliance").status_code == 404


def test_gap_items_never_negative_and_unassessed_is_zero():
    items = gap_items({"M-INT": 3, "M-KS": 2, "SK-PB": 2}, {"M-INT": 4, "M-KS": 1})
    assert items == [
        {"code": "M-INT", "required": 3, "current": 4, "gap": 0},
        {"code": "M-KS", "required": 2, "current": 1, "gap": 1},
        {"code": "SK-PB", "required": 2, "current": 0, "gap": 2},
    ]


def test_gaps_for_current_and_target_position(org):
    staff = org.ids["staff"]  # fungsional: managerial level 2 everywhere
    org.post(
        f"/api/v1/people/{staff}/competency-assessments",
        json={
            "code": "M-INT",
            "level": 3,
            "source": "assessment_centre",
            "assessed_on": "2024-01-10",
        },
    )
    org.post(
        f"/api/v1/people/{staff}/competency-assessments",
        who="kabid",
        json={"code": "M-KS", "level": 1, "source": "supervisor"},
    )
    gaps = org.get(f"/api/v1/people/{staff}/competency-gaps", who="service").get_json()
    by_code = {i["code"]: i for i in gaps["items"]}
    assert len(by_code) == 9
    assert by_code["M-INT"] == {"code": "M-INT", "required": 2, "current": 3, "gap": 0}
    assert by_code["M-KS"]["gap"] == 1 and by_code["SK-PB"]["gap"] == 2
    assert gaps["target"] is None
    target = org.get(
        f"/api/v1/people/{staff}/competency-gaps?target_position=administrator"
    ).get_json()["target"]
    assert {i["code"]: i["gap"] for i in target["items"]}["M-INT"] == 0
    assert {i["code"]: i["gap"] for i in target["items"]}["M-KS"] == 2


def test_position_name_standard_overrides_its_type(org):
    staff = org.ids["staff"]
    standard = {
        "position": "Pranata Komputer Ahli Pertama",
        "competencies": [{"code": "T-KAMI", "level": 3}, {"code": "M-INT", "level": 4}],
    }
    assert org.post("/api/v1/position-standards", json=standard).status_code == 201
    assert org.post("/api/v1/position-standards", who="kadis", json=standard).status_code == 403
    items = {
        i["code"]: i for i in org.get(f"/api/v1/people/{staff}/competency-gaps").get_json()["items"]
    }
    assert items["T-KAMI"]["required"] == 3 and items["M-INT"]["required"] == 4
    assert items["M-KS"]["required"] == 2  # from the type
    bad = org.get(f"/api/v1/people/{staff}/competency-gaps?target_position=Astronaut")
    assert bad.status_code == 422 and "target_position" in bad.get_json()["errors"]


def test_seeded_managerial_standard_levels(org):
    standards = {
        s["position"]: s["competencies"]
        for s in org.get("/api/v1/position-standards").get_json()["items"]
    }
    levels = {kind: {c["level"] for c in items} for kind, items in standards.items()}
    assert levels == {
        "jpt_madya": {5},
        "jpt_pratama": {4},
        "administrator": {3},
        "pengawas": {2},
        "fungsional": {2},
        "pelaksana": {1},
    }
    assert len(standards["pengawas"]) == 9


def test_profile_shows_the_trusted_level_and_sources_are_checked(org):
    staff = org.ids["staff"]
    path = f"/api/v1/people/{staff}/competency-assessments"
    assert (
        org.post(
            path,
            json={
                "code": "M-INT",
                "level": 2,
                "source": "assessment_centre",
                "assessed_on": "2023-01-01",
            },
        ).status_code
        == 201
    )
    assert (
        org.post(
            path, who="staff", json={"code": "M-INT", "level": 3, "source": "self"}
        ).status_code
        == 201
    )
    assert (
        org.post(
            path, who="staff", json={"code": "M-INT", "level": 5, "source": "supervisor"}
        ).status_code
        == 403
    )
    assert (
        org.post(
            path, who="kadis", json={"code": "M-INT", "level": 5, "source": "assessment_centre"}
        ).status_code
        == 403
    )
    assert (
        org.post(
            path, who="other", json={"code": "M-INT", "level": 5, "source": "self"}
        ).status_code
        == 404
    )
    assert org.post(path, json={"code": "M-INT", "level": 6, "source": "self"}).status_code == 422
    profile = org.get(f"/api/v1/people/{staff}/competencies", who="kabid").get_json()
    # The later self-assessment does not replace the assessment centre's level.
    assert profile["items"] == [
        {
            "id": profile["items"][0]["id"],
            "code": "M-INT",
            "level": 2,
            "source": "assessment_centre",
            "assessed_on": "2023-01-01",
            "evidence": None,
        }
    ]
    # ... and is shown beside it.
    assert [(a["code"], a["level"]) for a in profile["self_assessments"]] == [("M-INT", 3)]
    assert [h["source"] for h in profile["history"]] == ["self", "assessment_centre"]


@pytest.mark.security
def test_a_self_assessment_never_erases_a_gap_the_supervisor_found(org):
    """Issue 10, item 3: sources have precedence (assessment centre > supervisor > self)."""
    staff = org.ids["staff"]  # fungsional: M-KS required at level 2
    path = f"/api/v1/people/{staff}/competency-assessments"

    def current(code: str) -> dict:
        gaps = org.get(f"/api/v1/people/{staff}/competency-gaps", who="service").get_json()
        profile = org.get(f"/api/v1/people/{staff}/competencies", who="staff").get_json()
        by_code = {i["code"]: i for i in profile["items"]}
        return {**{i["code"]: i for i in gaps["items"]}[code], "source": by_code[code]["source"]}

    supervisor = {"code": "M-KS", "level": 1, "source": "supervisor", "assessed_on": "2025-01-10"}
    assert org.post(path, who="kabid", json=supervisor).status_code == 201
    mine = {"code": "M-KS", "level": 5, "source": "self", "assessed_on": "2025-06-01"}
    assert org.post(path, who="staff", json=mine).status_code == 201  # stored all the same
    assert current("M-KS") == {
        "code": "M-KS", "required": 2, "current": 1, "gap": 1, "source": "supervisor"
    }  # fmt: skip

    # A newer supervisor assessment replaces the older one, up or down.
    newer = {**supervisor, "level": 2, "assessed_on": "2025-07-01"}
    assert org.post(path, who="kabid", json=newer).status_code == 201
    assert (current("M-KS")["current"], current("M-KS")["gap"]) == (2, 0)

    # The assessment centre outranks the supervisor, even with an older date.
    centre = {
        "code": "M-KS",
        "level": 1,
        "source": "assessment_centre",
        "assessed_on": "2024-01-01",
    }
    assert org.post(path, json=centre).status_code == 201
    assert current("M-KS")["source"] == "assessment_centre"
    assert current("M-KS")["gap"] == 1

    # Where only the person assessed themself, their level is what there is.
    own = {"code": "SK-PB", "level": 3, "source": "self"}
    assert org.post(path, who="staff", json=own).status_code == 201
    assert (current("SK-PB")["current"], current("SK-PB")["source"]) == (3, "self")
    history = org.get(f"/api/v1/people/{staff}/competencies", who="kabid").get_json()["history"]
    assert sorted(h["source"] for h in history if h["code"] == "M-KS") == [
        "assessment_centre", "self", "supervisor", "supervisor"
    ]  # fmt: skip

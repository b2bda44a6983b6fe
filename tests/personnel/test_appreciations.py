"""Apresiasi: given for a completed training or a shown improvement, only within one's line;
read by the person, their supervisors and the unit's head."""

from __future__ import annotations

import pytest

from tests.personnel.test_development import completed_event, deliver


def give(org, giver: str, to: str, **body):
    return org.post(f"/api/v1/people/{org.ids[to]}/appreciations", who=giver, json=body)


@pytest.mark.security
def test_only_a_supervisor_in_the_line_gives_apresiasi(org):
    improvement = {"reason": "Layanan lebih cepat", "basis": "improvement"}
    assert give(org, "kabid", "staff", **improvement).status_code == 201
    assert give(org, "kadis", "staff", **improvement).status_code == 201  # indirect
    assert give(org, "peer", "staff", **improvement).status_code == 404  # beside, not above
    assert give(org, "other", "staff", **improvement).status_code == 404
    assert give(org, "staff", "staff", **improvement).status_code == 403  # not for oneself
    assert give(org, "admin", "staff", **improvement).status_code == 403
    received = org.get(f"/api/v1/people/{org.ids['staff']}/appreciations", who="staff").json
    assert [a["from_name"] for a in received] == ["Kadis", "Kabid"]
    assert {a["basis"] for a in received} == {"improvement"} and received[0]["to_name"] == "Staff"


def test_a_training_apresiasi_names_a_course_the_person_completed(org):
    body = {"reason": "Menerapkan ilmu keamanan informasi", "basis": "training"}
    missing = give(org, "kabid", "staff", **body)
    assert missing.status_code == 422 and "course_code" in missing.json["errors"]
    not_done = give(org, "kabid", "staff", **body, course_code="TIK-101")
    assert not_done.status_code == 422 and "course_code" in not_done.json["errors"]
    assert deliver(org, completed_event(org.ids["staff"])).status_code == 200
    given = give(org, "kabid", "staff", **body, course_code="TIK-101")
    assert given.status_code == 201, given.json
    assert given.json["course_title"] == "Keamanan Informasi bagi ASN"
    stray = give(org, "kabid", "staff", reason="Rajin", basis="improvement", course_code="X")
    assert stray.status_code == 422 and "course_code" in stray.json["errors"]
    assert give(org, "kabid", "staff", reason="Rajin", basis="bonus").status_code == 422
    assert give(org, "kabid", "staff", reason="").status_code == 422
    listed = org.get(f"/api/v1/people/{org.ids['staff']}/appreciations", who="staff").json
    assert len(listed) == 1  # nothing half-written by the refusals


@pytest.mark.security
def test_the_unit_head_reads_the_units_apresiasi(org):
    assert give(org, "kabid", "staff", reason="Tuntas migrasi data").status_code == 201
    assert give(org, "kadis", "peer", reason="Kebijakan baru terbit").status_code == 201

    def unit(code: str, who: str):
        return org.get(f"/api/v1/units/{code}/appreciations", who=who)

    whole = unit("OPD-A", "kadis").json
    assert whole["total"] == 2 and {a["to_name"] for a in whole["items"]} == {"Staff", "Peer"}
    # The kabid heads OPD-A-SUB: its people, none beside him.
    assert [a["to_name"] for a in unit("OPD-A-SUB", "kabid").json["items"]] == ["Staff"]
    assert [a["to_name"] for a in unit("OPD-A", "kabid").json["items"]] == ["Staff"]
    assert unit("OPD-A", "other").status_code == 404
    assert unit("OPD-A", "staff").status_code == 404
    assert unit("NOPE", "admin").status_code == 404
    assert unit("OPD-A", "admin").json["total"] == 2
    assert unit("OPD-A", "kadis").json["items"][0]["to_name"] == "Peer"  # newest first

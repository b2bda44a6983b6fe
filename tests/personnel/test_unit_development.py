"""Unit figures for leaders: share at the JP target and trainings completed per unit, its
sub-units counted; no names, and no figures for a unit too small to hide anyone."""

from __future__ import annotations

import pytest

from tests.personnel.test_development import completed_event, deliver


@pytest.fixture
def min_people(app):
    saved = app.config["UNIT_SUMMARY_MIN_PEOPLE"]
    app.config["UNIT_SUMMARY_MIN_PEOPLE"] = 2
    yield 2
    app.config["UNIT_SUMMARY_MIN_PEOPLE"] = saved


def test_units_compare_without_names(org, min_people):
    for key in ("staff", "peer"):
        event = completed_event(org.ids[key], jp=20, completed_on="2026-03-10")
        assert deliver(org, event).status_code == 200
    top = org.get("/api/v1/unit-development?year=2026", who="kabid").json
    by_code = {row["unit_code"]: row for row in top["items"]}
    assert set(by_code) == {"OPD-A", "OPD-B"}  # top-level units, compared
    a = by_code["OPD-A"]
    assert (a["people"], a["at_target_share"], a["trainings_completed"]) == (4, 0.5, 2)
    assert a["mine"] is True and a["has_children"] is True
    b = by_code["OPD-B"]  # one person: a share would name them
    assert (b["people"], b["enough_people"], b["at_target_share"]) == (1, False, None)
    assert b["trainings_completed"] is None
    # Unit figures only: nothing that names or counts out a person.
    assert set(a) == {"unit_code", "name", "has_children", "mine", "people", "enough_people",
                      "at_target_share", "trainings_completed", "unit_codes"}  # fmt: skip
    sub = org.get("/api/v1/unit-development?parent_code=OPD-A&year=2026", who="kadis").json
    [(code, row)] = [(r["unit_code"], r) for r in sub["items"]]
    assert code == "OPD-A-SUB" and (row["people"], row["at_target_share"]) == (2, 0.5)


@pytest.mark.security
def test_only_leaders_and_admins_read_unit_figures(org):
    assert org.get("/api/v1/unit-development", who="staff").status_code == 403
    assert org.get("/api/v1/unit-development", who="admin").status_code == 200
    assert org.get("/api/v1/unit-development?parent_code=NOPE", who="kadis").status_code == 404
    assert org.get("/api/v1/unit-development?year=1800", who="kadis").status_code == 422

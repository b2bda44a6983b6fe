"""The unit compliance report, summed, compared, counted, sorted and paged by the database:
every page equals what the ledger's rules (jp.Targets, the year's entries) give person by
person, for an admin and for a supervisor's line, whatever the names, kinds and years."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import pytest
from personnel_service.domain.jp import Targets
from personnel_service.domain.units import subtree_codes
from personnel_service.extensions import db
from personnel_service.models import JpEntry, JpTarget, Person, Unit
from sqlalchemy import select

YEAR = 2025
# Ties, case, accents and prefixes: the order must be Python's (code points), not a locale's.
NAMES = ["Ayu", "ayu", "Ayu", "Ärni", "Zainal", "zainal", "Élise", "Budi", "Budi Santoso",
         "Budi santoso", "Ō", "_Dewi", "dewi", "Dewi", "10 Agus", "9 Agus"]  # fmt: skip
# None and "" are PNS; HONORER has its own target row; KONTRAK has none (PNS's default).
KINDS = ["PNS", "PNS", "PPPK", "PPPK", None, "", "HONORER", "KONTRAK"]


@pytest.fixture
def ledger(app: Any, org: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """OPD-A > OPD-A-SUB > OPD-A-SUB-X, OPD-B; 90 more people in them, 30 of them in kabid's
    line; targets per kind and agency; entries this year, the years around it, or none."""
    monkeypatch.setitem(app.config, "JP_TARGET_PPPK", 16)
    rng = random.Random(20)
    units = ["OPD-A", "OPD-A-SUB", "OPD-A-SUB-X", "OPD-B"]
    with app.app_context():
        db.session.add(Unit(code="OPD-A-SUB-X", name="Seksi A1x", parent_code="OPD-A-SUB"))
        db.session.add_all(
            JpTarget(employment_type=kind, agency_code=agency, target=target)
            for kind, agency, target in [
                ("PNS", "", 24), ("PPPK", "OPD-A", 30), ("PNS", "OPD-B", 18), ("HONORER", "", 6)
            ]
        )  # fmt: skip
        bosses = [org.ids["kabid"]]
        for n in range(90):
            person = Person(
                name=NAMES[n % len(NAMES)],
                unit_code=units[rng.randrange(4)],
                position=rng.choice(["Analis", None]),
                employment_type=KINDS[n % len(KINDS)],
                status="active" if n % 9 else "on_leave",
                supervisor_id=rng.choice(bosses) if n % 3 == 0 else None,
            )
            db.session.add(person)
            db.session.flush()
            if person.supervisor_id:
                bosses.append(person.id)
            if n % 7 == 0:  # over every target
                entries = [(YEAR, 30)]
            elif n % 7 == 1:  # plenty, but only in other years
                entries = [(YEAR - 1, 40), (YEAR + 1, 40)]
            else:
                years = [YEAR - 1, YEAR, YEAR, YEAR, YEAR + 1]
                entries = [(y, rng.randrange(1, 13)) for y in years if rng.random() < 0.5]
            db.session.add_all(
                JpEntry(person_id=person.id, year=year, title="Pelatihan", jp=jp,
                        form="klasikal", completed_on=date(year, 5, 1))
                for year, jp in entries
            )  # fmt: skip
        db.session.commit()
    return org.ids


def expected(app: Any, unit: str, line_of: str | None) -> tuple[int, list[dict[str, Any]]]:
    """People counted and those below target, worked out one person at a time in Python."""
    with app.app_context():
        targets = Targets()
        codes = subtree_codes(unit, targets.units)
        people = db.session.scalars(
            select(Person).where(Person.unit_code.in_(codes), Person.status == "active")
        ).all()
        if line_of is not None:
            line = _line(line_of, db.session.scalars(select(Person)).all())
            people = [p for p in people if p.id in line]
        earned: dict[str, int] = {}
        for entry in db.session.scalars(select(JpEntry).where(JpEntry.year == YEAR)):
            earned[entry.person_id] = earned.get(entry.person_id, 0) + entry.jp
        below = []
        for p in people:
            target, got = targets.for_person(p), earned.get(p.id, 0)
            if got < target:
                below.append({"person_id": p.id, "name": p.name, "unit_code": p.unit_code,
                              "position": p.position, "target": target, "earned": got,
                              "shortfall": target - got})  # fmt: skip
    below.sort(key=lambda i: (-i["shortfall"], i["name"], i["person_id"]))
    return len(people), below


def _line(boss: str, everyone: list[Person]) -> set[str]:
    found, todo = set(), [boss]
    while todo:
        current = todo.pop()
        for p in everyone:
            if p.supervisor_id == current and p.id not in found:
                found.add(p.id)
                todo.append(p.id)
    return found


@pytest.mark.parametrize(
    "unit, who",
    [("OPD-A", "admin"), ("OPD-A-SUB", "admin"), ("OPD-B", "admin"), ("OPD-A", "kabid")],
)
def test_every_page_is_the_rules_person_by_person(app, org, ledger, unit, who):
    people, below = expected(app, unit, ledger["kabid"] if who == "kabid" else None)
    assert len(below) > 7 and people > len(below)  # several pages, someone at target
    pages = []
    for page in range(1, len(below) // 7 + 3):  # to one page past the end
        response = org.get(f"/api/v1/units/{unit}/compliance?year={YEAR}&per_page=7&page={page}",
                           who=who)  # fmt: skip
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert (body["people"], body["below_target"], body["total"]) == (
            people, len(below), len(below)
        )  # fmt: skip
        pages.append(body["items"])
    assert [item for items in pages for item in items] == below
    assert pages[-1] == []


def test_counts_stand_when_nobody_is_below_target_or_nobody_is_counted(app, org):
    with app.app_context():
        for key in ("kadis", "kabid", "staff", "peer"):
            db.session.add(
                JpEntry(person_id=org.ids[key], year=YEAR, title="Diklat", jp=20,
                        form="klasikal", completed_on=date(YEAR, 2, 1))
            )  # fmt: skip
        db.session.add(Unit(code="OPD-C", name="Dinas C"))
        db.session.commit()
    met = org.get(f"/api/v1/units/OPD-A/compliance?year={YEAR}").get_json()
    assert (met["people"], met["below_target"], met["total"], met["items"]) == (4, 0, 0, [])
    earlier = org.get(f"/api/v1/units/OPD-A/compliance?year={YEAR - 1}").get_json()
    assert (earlier["people"], earlier["below_target"]) == (4, 4)
    empty = org.get(f"/api/v1/units/OPD-C/compliance?year={YEAR}").get_json()
    assert (empty["people"], empty["below_target"], empty["items"]) == (0, 0, [])


def test_a_supervisor_outside_the_unit_still_gets_404_and_a_non_supervisor_403(org):
    assert org.get("/api/v1/units/OPD-B/compliance", who="kabid").status_code == 404
    assert org.get("/api/v1/units/OPD-B/compliance", who="other").status_code == 403
    line = org.get("/api/v1/units/OPD-A-SUB/compliance", who="kadis").get_json()
    assert sorted(i["name"] for i in line["items"]) == ["Kabid", "Staff"]


def test_every_unit_row_is_the_rules_person_by_person(app, org, ledger):
    """GET /jp-compliance: each unit with its sub-units, earned capped at each target."""
    with app.app_context():
        targets = Targets()
        earned: dict[str, int] = {}
        for entry in db.session.scalars(select(JpEntry).where(JpEntry.year == YEAR)):
            earned[entry.person_id] = earned.get(entry.person_id, 0) + entry.jp
        active = db.session.scalars(select(Person).where(Person.status == "active")).all()
        rows = []
        for code, unit in targets.units.items():
            codes = subtree_codes(code, targets.units)
            mine = [(targets.for_person(p), earned.get(p.id, 0)) for p in active
                    if p.unit_code in codes]  # fmt: skip
            below = sum(1 for target, got in mine if got < target)
            rows.append({
                "unit_code": code, "name": unit.name, "parent_code": unit.parent_code,
                "people": len(mine), "below_target": below,
                "target": sum(t for t, _ in mine), "earned": sum(min(t, g) for t, g in mine),
                "shortfall": sum(max(t - g, 0) for t, g in mine),
                "compliance_rate": round((len(mine) - below) / len(mine), 4) if mine else None,
            })  # fmt: skip
    rows.sort(key=lambda r: (-r["shortfall"], r["unit_code"]))
    response = org.get(f"/api/v1/jp-compliance?year={YEAR}")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["items"] == rows
    assert {r["unit_code"] for r in rows if r["people"]} == {"OPD-A", "OPD-A-SUB", "OPD-A-SUB-X",
                                                            "OPD-B"}  # fmt: skip

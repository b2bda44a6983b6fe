"""Training needs analysis (analisis kebutuhan pelatihan) of a unit or the city.

Gaps against position standards aggregated by competency and required level, people below
their JP target, and mandatory trainings owed (rules in this service's table). Personal
development plans are not read: personnel keeps none yet.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from cakap_shared.db import local_date, utcnow
from cakap_shared.problems import CakapError
from sqlalchemy import select

from ..clients import personnel
from ..clients.personnel import PersonNeeds
from ..extensions import db
from ..models import MandatoryTraining

CITY = "*"


@dataclass
class Needs:
    """The people of a scope and what each must attend."""

    unit_code: str
    year: int
    people: list[PersonNeeds]
    mandatory: dict[str, list[str]]  # person id -> course codes
    jp_year: int

    def below_jp(self, person: PersonNeeds) -> bool:
        """Whether the person has not yet earned the year's target."""
        return person.jp_earned < person.jp_target


def collect(unit_code: str, year: int) -> Needs:
    """Read the people from personnel and apply the mandatory rules.

    JP are read for the plan year when it has begun, else for this year: planning next
    year, nobody has earned anything in it yet, and this year's shortfall is what tells.
    """
    jp_year = min(year, local_date(utcnow()).year)
    if unit_code != CITY and not personnel.unit_exists(unit_code):
        raise CakapError(
            422, f"unit_code: no unit {unit_code}", errors={"unit_code": ["unknown unit"]}
        )
    people = personnel.development_needs(None if unit_code == CITY else unit_code, jp_year)
    rules = db.session.scalars(select(MandatoryTraining)).all()
    mandatory: dict[str, list[str]] = {}
    for person in people:
        owed = sorted({r.course_code for r in rules if _applies(r, person, year)})
        if owed:
            mandatory[person.id] = owed
    return Needs(unit_code, year, people, mandatory, jp_year)


def _applies(rule: MandatoryTraining, person: PersonNeeds, year: int) -> bool:
    if rule.position_type and rule.position_type != person.position_type:
        return False
    if rule.appointed_within_months is not None:
        if not person.appointed:
            return False
        y, m = (int(part) for part in person.appointed.split("-"))
        months_before_year = (year - y) * 12 - (m - 1)
        return months_before_year <= rule.appointed_within_months
    return True


def analysis(needs: Needs) -> dict[str, Any]:
    """The aggregate the page and the export show."""
    by_level: dict[tuple[str, int], dict[str, int]] = defaultdict(lambda: {"people": 0, "gap": 0})
    for person in needs.people:
        for code, (current, required) in person.gaps.items():
            row = by_level[(code, required)]
            row["people"] += 1
            row["gap"] += required - current
    gaps = [
        {"competency_code": code, "required_level": level, **row}
        for (code, level), row in sorted(by_level.items(), key=lambda kv: (-kv[1]["gap"], kv[0]))
    ]
    below: list[dict[str, Any]] = [
        {
            "person_id": p.id,
            "name": p.name,
            "unit_code": p.unit_code,
            "jp_target": p.jp_target,
            "jp_earned": p.jp_earned,
            "shortfall": p.jp_target - p.jp_earned,
        }
        for p in needs.people
        if needs.below_jp(p)
    ]
    below.sort(key=lambda r: (-r["shortfall"], r["name"], r["person_id"]))
    names = {p.id: p for p in needs.people}
    mandatory = [
        {"person_id": pid, "name": names[pid].name, "unit_code": names[pid].unit_code,
         "course_code": code}
        for pid, codes in sorted(needs.mandatory.items(), key=lambda kv: names[kv[0]].name)
        for code in codes
    ]  # fmt: skip
    return {
        "unit_code": needs.unit_code,
        "year": needs.year,
        "jp_year": needs.jp_year,
        "people": len(needs.people),
        "people_with_gaps": sum(1 for p in needs.people if p.gaps),
        "total_gap": sum(r["gap"] for r in gaps),
        "gaps": gaps,
        "below_jp": below,
        "mandatory": mandatory,
        "development_plan_requests": [],
    }


def person_rows(needs: Needs) -> list[list[Any]]:
    """One row per person and gap (or per person without gaps) for the spreadsheet."""
    rows: list[list[Any]] = []
    for p in sorted(needs.people, key=lambda p: (p.unit_code or "", p.name, p.id)):
        mandatory = ", ".join(needs.mandatory.get(p.id, []))
        common = [p.nip or "", p.name, p.unit_code or "", p.position or "", p.jp_earned,
                  p.jp_target, mandatory]  # fmt: skip
        if not p.gaps:
            rows.append([*common, "", "", "", ""])
        for code, (current, required) in sorted(p.gaps.items()):
            rows.append([*common, code, current, required, required - current])
    return rows


EXPORT_HEADER = [
    "nip",
    "nama",
    "unit",
    "jabatan",
    "jp_tercapai",
    "jp_target",
    "pelatihan_wajib",
    "kompetensi",
    "level_saat_ini",
    "level_dibutuhkan",
    "kesenjangan",
]

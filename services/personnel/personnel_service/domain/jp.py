"""The JP ledger: yearly targets, totals, unit compliance, and entries from completed courses."""

from __future__ import annotations

from typing import Any

from cakap_shared.auth import Principal
from cakap_shared.db import MAX_PER_PAGE
from cakap_shared.logs import audit
from cakap_shared.problems import CakapError, invalid
from flask import current_app
from sqlalchemy import func, select

from ..clock import today
from ..extensions import db
from ..models import JpEntry, JpTarget, Person, Unit
from . import rights
from . import units as unit_tree
from .rights import Relation

ALL_AGENCIES = ""


def default_targets() -> dict[str, int]:
    """Targets from configuration (JP_TARGET_PNS, JP_TARGET_PPPK)."""
    config = current_app.config
    return {"PNS": config["JP_TARGET_PNS"], "PPPK": config["JP_TARGET_PPPK"]}


class Targets:
    """Resolves yearly targets: agency override, then type-wide override, then configuration."""

    def __init__(self) -> None:
        self.units: dict[str, Unit] = unit_tree.all_units()
        self.rows = {(t.employment_type, t.agency_code): t.target for t in db.session.scalars(
            select(JpTarget))}  # fmt: skip
        self.defaults = default_targets()

    def for_person(self, person: Person) -> int:
        """The target that applies to this person."""
        return self.value(
            person.employment_type or "PNS", unit_tree.agency_of(person.unit_code, self.units)
        )

    def value(self, kind: str, agency: str | None) -> int:
        """The target of an employment type in an agency (None: no agency)."""
        for key in ((kind, agency or ALL_AGENCIES), (kind, ALL_AGENCIES)):
            if key in self.rows:
                return self.rows[key]
        return self.defaults.get(kind, self.defaults["PNS"])


def person_summary(principal: Principal, person_id: str, year: int | None) -> dict[str, Any]:
    """The JP of a person the caller may see, in `year` (default this year); else 404."""
    person, _rel = rights.visible_person(principal, person_id)
    return summary(person, year or today().year)


def summary(person: Person, year: int) -> dict[str, Any]:
    """{"year", "target", "earned", "shortfall", "entries"} of one person."""
    entries = db.session.scalars(
        select(JpEntry)
        .where(JpEntry.person_id == person.id, JpEntry.year == year)
        .order_by(JpEntry.completed_on, JpEntry.created_at)
    ).all()
    target = Targets().for_person(person)
    earned = sum(e.jp for e in entries)
    return {
        "year": year,
        "target": target,
        "earned": earned,
        "shortfall": max(target - earned, 0),
        "entries": entries,
    }


def unit_compliance_page(
    principal: Principal, code: str, year: int | None, page: int, per_page: int
) -> dict[str, Any]:
    """A page of the unit's people below target (compliance), for an admin or a supervisor
    whose line reaches into the unit (their own line only); year defaults to this year."""
    if db.session.get(Unit, code) is None:
        raise CakapError(404, "No such unit.")
    only = None if principal.is_admin else _line_in_unit(principal, code)
    report = compliance(code, year or today().year, only)
    per_page = min(per_page, MAX_PER_PAGE)
    start = (page - 1) * per_page
    return {
        "unit_code": code,
        "year": report["year"],
        "people": report["people"],
        "below_target": len(report["below"]),
        "items": report["below"][start : start + per_page],
        "total": len(report["below"]),
        "page": page,
        "per_page": per_page,
    }


def _line_in_unit(principal: Principal, code: str) -> set[str]:
    """The caller's line (ids below them); 403 without one, 404 when it misses the unit."""
    only = set(db.session.scalars(rights.subordinate_ids(principal.id)))
    if not only:
        raise CakapError(403, "Only administrators and supervisors read compliance.")
    codes = unit_tree.subtree_codes(code)
    me = db.session.get(Person, principal.id)
    mine = me is not None and me.unit_code in codes
    in_unit = db.session.scalar(
        select(Person.id).where(Person.id.in_(only), Person.unit_code.in_(codes)).limit(1)
    )
    if not mine and in_unit is None:
        raise CakapError(404, "No such unit in your line.")
    return only


def compliance(unit_code: str, year: int, only: set[str] | None) -> dict[str, Any]:
    """Active people of the unit and its sub-units below target, largest shortfall first.

    `only` limits the people counted (a supervisor sees their own line only).
    """
    targets = Targets()
    codes = unit_tree.subtree_codes(unit_code, targets.units)
    people = db.session.scalars(
        select(Person).where(Person.unit_code.in_(codes), Person.status == "active")
    ).all()
    if only is not None:
        people = [p for p in people if p.id in only]
    earned = dict(
        db.session.execute(
            select(JpEntry.person_id, func.sum(JpEntry.jp))
            .where(JpEntry.year == year, JpEntry.person_id.in_([p.id for p in people]))
            .group_by(JpEntry.person_id)
        ).all()
    ) if people else {}  # fmt: skip
    below = []
    for person in people:
        target, got = targets.for_person(person), int(earned.get(person.id) or 0)
        if got < target:
            below.append(
                {
                    "person_id": person.id,
                    "name": person.name,
                    "unit_code": person.unit_code,
                    "position": person.position,
                    "target": target,
                    "earned": got,
                    "shortfall": target - got,
                }
            )
    below.sort(key=lambda item: (-item["shortfall"], item["name"], item["person_id"]))
    return {"unit_code": unit_code, "year": year, "people": len(people), "below": below}


def every_unit_compliance(year: int | None) -> dict[str, Any]:
    """Every unit's compliance in `year` (default this year), largest shortfall first."""
    year = year or today().year
    return {"year": year, "items": compliance_by_unit(year)}


def compliance_by_unit(year: int) -> list[dict[str, Any]]:
    """Every unit's JP compliance for `year`, each counting its sub-units too.

    One pass over active people and one grouped sum of the year's JP; each person's
    figures are added to their unit and to every unit above it.
    """
    targets = Targets()
    units = targets.units
    people = db.session.execute(
        select(Person.id, Person.unit_code, Person.employment_type).where(
            Person.status == "active", Person.unit_code.is_not(None)
        )
    ).all()
    earned = dict(
        db.session.execute(
            select(JpEntry.person_id, func.sum(JpEntry.jp))
            .where(JpEntry.year == year)
            .group_by(JpEntry.person_id)
        ).all()
    )
    totals: dict[str, dict[str, int]] = {
        code: {"people": 0, "below_target": 0, "target": 0, "earned": 0, "shortfall": 0}
        for code in units
    }
    for person_id, unit_code, employment_type in people:
        agency = unit_tree.agency_of(unit_code, units)
        target = targets.value(employment_type or "PNS", agency)
        got = int(earned.get(person_id) or 0)
        short = max(target - got, 0)
        for code in _self_and_ancestors(unit_code, units):
            row = totals[code]
            row["people"] += 1
            row["below_target"] += 1 if short else 0
            row["target"] += target
            row["earned"] += min(got, target)
            row["shortfall"] += short
    rows = []
    for code, row in totals.items():
        unit = units[code]
        compliant = row["people"] - row["below_target"]
        rows.append(
            {
                "unit_code": code,
                "name": unit.name,
                "parent_code": unit.parent_code,
                **row,
                "compliance_rate": round(compliant / row["people"], 4) if row["people"] else None,
            }
        )
    rows.sort(key=lambda r: (-r["shortfall"], r["unit_code"]))
    return rows


def _self_and_ancestors(code: str | None, units: dict[str, Unit]) -> list[str]:
    chain: list[str] = []
    while code is not None and code in units and code not in chain:
        chain.append(code)
        code = units[code].parent_code
    return chain


def add_entry(person_id: str, data: dict[str, Any], recorded_by: str | None) -> JpEntry:
    """Add a ledger entry (year from the completion date)."""
    entry = JpEntry(
        person_id=person_id,
        year=data["completed_on"].year,
        course_code=data.get("course_code"),
        title=data["title"],
        jp=data["jp"],
        form=data["form"],
        completed_on=data["completed_on"],
        source_event_id=data.get("source_event_id"),
        evidence_url=data.get("evidence_url"),
        recorded_by=recorded_by,
    )
    db.session.add(entry)
    return entry


def record_external(principal: Principal, person_id: str, data: dict[str, Any]) -> JpEntry:
    """Record (commit, audit) external development an admin enters, with its evidence."""
    _person, rel = rights.visible_person(principal, person_id)
    if rel is not Relation.ADMIN:
        raise CakapError(403, "Only an administrator records external development.")
    if data["completed_on"] > today():
        raise invalid("completed_on", "the completion date is in the future")
    entry = add_entry(person_id, data, recorded_by=principal.id)
    db.session.commit()
    audit("jp.recorded", actor=principal.id, person_id=person_id, jp=entry.jp)
    return entry


def target_list() -> list[dict[str, Any]]:
    """Configured defaults per employment type, then overrides (type-wide or per agency)."""
    items = [
        {"employment_type": kind, "agency_code": None, "target": target}
        for kind, target in default_targets().items()
    ]
    for row in db.session.scalars(
        select(JpTarget).order_by(JpTarget.employment_type, JpTarget.agency_code)
    ):
        items.append(
            {
                "employment_type": row.employment_type,
                "agency_code": row.agency_code or None,
                "target": row.target,
            }
        )
    return items


def set_target(
    employment_type: str, agency_code: str | None, target: int, actor: str
) -> dict[str, Any]:
    """Override (commit, audit) the target of an employment type, everywhere or in one agency."""
    agency = agency_code or ALL_AGENCIES
    if agency:
        unit = db.session.get(Unit, agency)
        if unit is None or unit.parent_code is not None:
            raise invalid("agency_code", "agency_code must be the code of a top-level unit")
    row = db.session.scalar(
        select(JpTarget).where(
            JpTarget.employment_type == employment_type, JpTarget.agency_code == agency
        )
    )
    if row is None:
        row = JpTarget(employment_type=employment_type, agency_code=agency)
        db.session.add(row)
    row.target = target
    db.session.commit()
    audit("jp.target_set", actor=actor, agency=agency, target=target)
    return {
        "employment_type": row.employment_type,
        "agency_code": agency or None,
        "target": row.target,
    }

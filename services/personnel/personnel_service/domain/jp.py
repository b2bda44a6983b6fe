"""The JP ledger: yearly targets, totals, unit compliance, and entries from completed courses."""

from __future__ import annotations

from datetime import date
from typing import Any

from cakap_shared.events import EventRejected
from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..models import JpEntry, JpTarget, Person, Unit
from . import units as unit_tree

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


def entry_view(entry: JpEntry) -> dict[str, Any]:
    """A ledger entry as the API shows it."""
    return {
        "id": entry.id,
        "course_code": entry.course_code,
        "title": entry.title,
        "jp": entry.jp,
        "form": entry.form,
        "completed_on": entry.completed_on,
        "year": entry.year,
        "source_event_id": entry.source_event_id,
        "evidence_url": entry.evidence_url,
    }


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
        "entries": [entry_view(e) for e in entries],
    }


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


def record_completion(envelope: dict[str, Any]) -> None:
    """A completed course earns its JP: one ledger entry per event, whatever the redeliveries."""
    data = envelope["data"]
    event_id = str(envelope["id"])
    if db.session.scalar(select(JpEntry.id).where(JpEntry.source_event_id == event_id)):
        return
    try:
        learner_id = str(data["learner_id"])
        jp = int(data["jp"])
        completed_on = date.fromisoformat(str(data["completed_on"])[:10])
        title = str(data.get("course_title") or data.get("course_code") or "")[:300]
        course_code = str(data["course_code"])[:50] if data.get("course_code") else None
    except (KeyError, TypeError, ValueError) as err:
        raise EventRejected(f"learner_id, jp and completed_on are required ({err})") from None
    if jp < 0 or not title:
        raise EventRejected("jp must be 0 or more and the course needs a code or title")
    if db.session.get(Person, learner_id) is None:
        raise EventRejected(f"no person {learner_id}")
    if jp == 0:
        return  # nothing earned: no entry
    add_entry(
        learner_id,
        {
            "course_code": course_code,
            "title": title,
            "jp": jp,
            "form": str(data.get("form") or "lainnya")[:50],
            "completed_on": completed_on,
            "source_event_id": event_id,
        },
        recorded_by=f"event:{envelope.get('producer', 'catalog')}",
    )
    db.session.flush()

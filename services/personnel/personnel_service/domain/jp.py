"""The JP ledger: yearly targets, totals, unit compliance, and entries from completed courses."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from cakap_shared.auth import Principal
from cakap_shared.db import MAX_PER_PAGE
from cakap_shared.logs import audit
from cakap_shared.problems import CakapError, invalid
from flask import current_app
from sqlalchemy import ColumnElement, Row, Select, case, func, literal, select, true
from sqlalchemy.orm import aliased

from ..clock import today
from ..extensions import db
from ..models import JpEntry, JpTarget, Person, Unit
from . import rights
from . import units as unit_tree
from .rights import Relation

ALL_AGENCIES = ""
# What compliance_by_unit adds up per unit, in this order.
FIGURES = ("people", "below_target", "target", "earned", "shortfall")


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
    per_page = min(per_page, MAX_PER_PAGE)
    report = compliance(code, year or today().year, only, page, per_page)
    return {
        "unit_code": code,
        "year": report["year"],
        "people": report["people"],
        "below_target": report["below_target"],
        "items": report["items"],
        "total": report["below_target"],
        "page": page,
        "per_page": per_page,
    }


def _line_in_unit(principal: Principal, code: str) -> Select:
    """The caller's line (a SELECT of the ids below them); 403 without one, 404 when it
    misses the unit. A SELECT, not a set: a head of agency's line may be the whole agency."""
    only = rights.subordinate_ids(principal.id)
    if db.session.scalar(only.limit(1)) is None:
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


def compliance(
    unit_code: str, year: int, only: Select | None, page: int, per_page: int
) -> dict[str, Any]:
    """Active people of the unit and its sub-units, how many are below target, and one page
    of those, largest shortfall first (then name, then id).

    `only` limits the people counted (a supervisor sees their own line only). The database
    sums, compares, counts, sorts and pages in one statement: each person's figures are
    computed once (a CTE read twice, so both databases materialise it), counted, and only
    the page's rows reach Python.
    """
    targets = Targets()
    codes = sorted(unit_tree.subtree_codes(unit_code, targets.units))
    ranked = _ranked(year, codes, only, target_expression(targets, codes)).cte("ranked")
    below = ranked.c.earned < ranked.c.target
    counts = select(
        func.count().label("people"), func.count(case((below, 1))).label("below")
    ).subquery("counts")
    rows = db.session.execute(
        select(ranked, counts.c.people, counts.c.below)
        .join_from(ranked, counts, true())
        .where(below)
        .order_by(
            (ranked.c.target - ranked.c.earned).desc(),
            _bytewise(ranked.c.name),
            _bytewise(ranked.c.id),
        )
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    # A page past the end, or nobody below target: the counts alone.
    people, below_target = rows[0][-2:] if rows else db.session.execute(select(counts)).one()
    items = [
        {
            "person_id": row.id,
            "name": row.name,
            "unit_code": row.unit_code,
            "position": row.position,
            "target": int(row.target),
            "earned": int(row.earned),
            "shortfall": int(row.target) - int(row.earned),
        }
        for row in rows
    ]
    return {
        "unit_code": unit_code,
        "year": year,
        "people": people,
        "below_target": below_target,
        "items": items,
    }


def _counted(person: Any, codes: list[str], only: Select | None) -> list[ColumnElement[bool]]:
    """Who the report counts: active people of `codes`, within `only` when given."""
    conditions = [person.unit_code.in_(codes), person.status == "active"]
    if only is not None:
        conditions.append(person.id.in_(only))
    return conditions


def _ranked(year: int, codes: list[str], only: Select | None, target: ColumnElement[int]) -> Select:
    """One row per person counted: id, name, unit_code, position, target, and the JP earned
    in `year` (0 without entries), summed as each database does it best.

    PostgreSQL hash-joins the year's sums of the people counted, grouped once from the index
    (year, person_id, jp); per person it took twice as long. SQLite, which has no hash join
    and would index that subquery on every request, sums per person from an index.
    """
    columns = [Person.id, Person.name, Person.unit_code, Person.position, target.label("target")]
    counted = _counted(Person, codes, only)
    if db.engine.dialect.name != "postgresql":
        earned = (
            select(func.coalesce(func.sum(JpEntry.jp), 0))
            .where(JpEntry.person_id == Person.id, JpEntry.year == year)
            .scalar_subquery()
        )
        return select(*columns, earned.label("earned")).where(*counted)
    someone = aliased(Person)
    sums = (
        select(JpEntry.person_id, func.sum(JpEntry.jp).label("jp"))
        .where(
            JpEntry.year == year,
            JpEntry.person_id.in_(select(someone.id).where(*_counted(someone, codes, only))),
        )
        .group_by(JpEntry.person_id)
        .subquery("earned")
    )
    return (
        select(*columns, func.coalesce(sums.c.jp, 0).label("earned"))
        .outerjoin(sums, sums.c.person_id == Person.id)
        .where(*counted)
    )


def _bytewise(column: ColumnElement[str]) -> ColumnElement[str]:
    """Order as Python compares strings (by code point): PostgreSQL's "C" collation; SQLite's
    default (BINARY, UTF-8 bytes) already does."""
    return column.collate("C") if db.engine.dialect.name == "postgresql" else column


def target_expression(targets: Targets, codes: Iterable[str]) -> ColumnElement[int]:
    """The target of a person as SQL: the rules of Targets.value.

    A CASE on the employment type (read once per row); per type, the value of a person in no
    agency override (or in no unit), else a CASE naming those of `codes` whose agency
    overrides it. One value for everyone is a plain literal.
    """
    fallback = targets.defaults["PNS"]  # the target of a type nobody configured
    per_kind: dict[str, ColumnElement[int]] = {}
    values = {fallback}
    for kind in sorted({*targets.defaults, *(k for k, _agency in targets.rows)}):
        usual = targets.value(kind, None)
        units_by_value: dict[int, list[str]] = defaultdict(list)
        for code in codes:
            value = targets.value(kind, unit_tree.agency_of(code, targets.units))
            if value != usual:
                units_by_value[value].append(code)
        others = [
            (Person.unit_code.in_(units), value) for value, units in sorted(units_by_value.items())
        ]
        per_kind[kind] = case(*others, else_=usual) if others else literal(usual)
        values |= {usual, *units_by_value}
    if len(values) == 1:
        return literal(fallback)
    kind_of = func.coalesce(func.nullif(Person.employment_type, ""), "PNS")  # as `or "PNS"`
    return case(per_kind, value=kind_of, else_=fallback)


def every_unit_compliance(year: int | None) -> dict[str, Any]:
    """Every unit's compliance in `year` (default this year), largest shortfall first."""
    year = year or today().year
    return {"year": year, "items": compliance_by_unit(year)}


def compliance_by_unit(year: int) -> list[dict[str, Any]]:
    """Every unit's JP compliance for `year`, each counting its sub-units too.

    The database adds up each unit's own active people (the unit report's figures per
    person, grouped by unit); each unit's sums are then added to it and to every unit
    above it, a few hundred rows instead of one per person.
    """
    targets = Targets()
    units = targets.units
    totals: dict[str, dict[str, int]] = {code: dict.fromkeys(FIGURES, 0) for code in units}
    for unit_code, *figures in _own_figures(year, targets):
        for code in _self_and_ancestors(unit_code, units):
            for key, value in zip(FIGURES, figures, strict=True):
                totals[code][key] += int(value)
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


def _own_figures(year: int, targets: Targets) -> Sequence[Row[Any]]:
    """Per unit, its own active people's FIGURES: JP earned counts up to each target."""
    codes = sorted(targets.units)
    ranked = (
        _ranked(year, codes, None, target_expression(targets, codes))
        .cte("ranked")
        .prefix_with("MATERIALIZED")  # each figure reads earned: sum it once per person
    )
    below = ranked.c.earned < ranked.c.target
    return db.session.execute(
        select(
            ranked.c.unit_code,
            func.count(),
            func.count(case((below, 1))),
            func.sum(ranked.c.target),
            func.sum(case((below, ranked.c.earned), else_=ranked.c.target)),
            func.sum(case((below, ranked.c.target - ranked.c.earned), else_=0)),
        ).group_by(ranked.c.unit_code)
    ).all()


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

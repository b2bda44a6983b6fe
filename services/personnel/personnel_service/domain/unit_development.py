"""How units are doing, without naming anyone: share of people at the JP target and
trainings completed, per unit (each counting its sub-units), so leaders compare units.

A unit with fewer than UNIT_SUMMARY_MIN_PEOPLE active people shows no shares: with two
people a share names one of them.
"""

from __future__ import annotations

from typing import Any

from cakap_shared.auth import Principal
from cakap_shared.problems import CakapError
from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..models import JpEntry, Person, Unit
from . import jp
from . import units as unit_tree


def summaries(principal: Principal, parent: str | None, year: int) -> dict[str, Any]:
    """The units directly under `parent` (top-level units without one), each with its
    people, share at target and trainings completed in `year` (admins and supervisors)."""
    if not (principal.is_admin or principal.has_role("supervisor")):
        raise CakapError(403, "Unit figures are for leaders and administrators.")
    units = unit_tree.all_units()
    if parent is not None and parent not in units:
        raise CakapError(404, "No such unit.")
    minimum = current_app.config["UNIT_SUMMARY_MIN_PEOPLE"]
    compliance = {row["unit_code"]: row for row in jp.compliance_by_unit(year)}
    trainings = _trainings_by_unit(year, units)
    mine = db.session.scalar(select(Person.unit_code).where(Person.id == principal.id))
    rows = []
    for code in sorted(c for c, u in units.items() if u.parent_code == parent):
        row = compliance.get(code) or {"people": 0, "below_target": 0}
        people = row["people"]
        shown = people >= minimum
        rows.append(
            {
                "unit_code": code,
                "name": units[code].name,
                "has_children": any(u.parent_code == code for u in units.values()),
                "mine": mine in unit_tree.subtree_codes(code, units) if mine else False,
                "people": people,
                "enough_people": shown,
                "at_target_share": (
                    round((people - row["below_target"]) / people, 4) if shown else None
                ),
                "trainings_completed": trainings.get(code, 0) if shown else None,
                "unit_codes": sorted(unit_tree.subtree_codes(code, units)),
            }
        )
    return {"year": year, "parent_code": parent, "min_people": minimum, "items": rows}


def _trainings_by_unit(year: int, units: dict[str, Unit]) -> dict[str, int]:
    """Completed courses (ledger entries from a course) in `year`, per unit and its parents."""
    per_leaf = db.session.execute(
        select(Person.unit_code, func.count(JpEntry.id))
        .join(Person, Person.id == JpEntry.person_id)
        .where(JpEntry.year == year, JpEntry.course_code.is_not(None), Person.status == "active")
        .group_by(Person.unit_code)
    ).all()
    totals: dict[str, int] = {}
    for leaf, count in per_leaf:
        code, seen = leaf, set()
        while code is not None and code in units and code not in seen:
            seen.add(code)
            totals[code] = totals.get(code, 0) + int(count)
            code = units[code].parent_code
    return totals

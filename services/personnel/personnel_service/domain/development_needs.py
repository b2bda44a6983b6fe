"""Development needs of many people at once: gaps, JP and appointment, for planning.

One answer per page of people instead of two calls per person: planning reads a city of
12,000 people, which would otherwise be 24,000 requests.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from cakap_shared.auth import Principal
from cakap_shared.db import MAX_PER_PAGE
from cakap_shared.problems import CakapError
from sqlalchemy import func, select

from ..clock import today
from ..extensions import db
from ..models import CompetencyAssessment, JpEntry, Person, PositionStandard, Unit
from . import units as unit_tree
from .competencies import gap_items
from .jp import Targets


def needs(
    principal: Principal, unit_code: str | None, year: int | None, page: int, per_page: int
) -> dict[str, Any]:
    """needs_page for an admin or a service: 404 for an unknown unit, year default this year."""
    if not (principal.is_admin or principal.is_service):
        raise CakapError(403, "Only administrators and services read development needs.")
    if unit_code and db.session.get(Unit, unit_code) is None:
        raise CakapError(404, "No such unit.")
    return needs_page(unit_code, year or today().year, page, min(per_page, MAX_PER_PAGE))


def needs_page(unit_code: str | None, year: int, page: int, per_page: int) -> dict[str, Any]:
    """Active people with a NIP (of a unit and its sub-units, or all), one page, by name."""
    targets = Targets()
    query = select(Person).where(Person.status == "active", Person.nip.is_not(None))
    if unit_code:
        query = query.where(Person.unit_code.in_(unit_tree.subtree_codes(unit_code, targets.units)))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    people = db.session.scalars(
        query.order_by(Person.name, Person.id).limit(per_page).offset((page - 1) * per_page)
    ).all()
    ids = [p.id for p in people]
    earned = dict(
        db.session.execute(
            select(JpEntry.person_id, func.sum(JpEntry.jp))
            .where(JpEntry.year == year, JpEntry.person_id.in_(ids))
            .group_by(JpEntry.person_id)
        ).all()
    ) if ids else {}  # fmt: skip
    latest = _latest_levels(ids)
    standards = _standards({k for p in people for k in (p.position, p.position_type) if k})
    items = []
    for person in people:
        required = dict(standards.get(person.position_type or "", {}))
        if person.position and person.position != person.position_type:
            required.update(standards.get(person.position, {}))
        items.append(
            {
                "id": person.id,
                "nip": person.nip,
                "name": person.name,
                "unit_code": person.unit_code,
                "supervisor_id": person.supervisor_id,
                "position": person.position,
                "position_type": person.position_type,
                "employment_type": person.employment_type,
                # NIP digits 9-14 are the appointment month (YYYYMM).
                "appointed": f"{person.nip[8:12]}-{person.nip[12:14]}" if person.nip else None,
                "jp_target": targets.for_person(person),
                "jp_earned": int(earned.get(person.id) or 0),
                "gaps": [g for g in gap_items(required, latest[person.id]) if g["gap"] > 0],
            }
        )
    return {"items": items, "total": total, "page": page, "per_page": per_page, "year": year}


def _latest_levels(ids: list[str]) -> dict[str, dict[str, int]]:
    """Per person, the level of their latest assessment of each competency."""
    latest: dict[str, dict[str, tuple[Any, Any, int]]] = defaultdict(dict)
    for row in db.session.execute(
        select(
            CompetencyAssessment.person_id,
            CompetencyAssessment.competency_code,
            CompetencyAssessment.assessed_on,
            CompetencyAssessment.created_at,
            CompetencyAssessment.level,
        ).where(CompetencyAssessment.person_id.in_(ids))
    ):
        key = (row.assessed_on, row.created_at)
        seen = latest[row.person_id].get(row.competency_code)
        if seen is None or key > seen[:2]:
            latest[row.person_id][row.competency_code] = (*key, row.level)
    levels: dict[str, dict[str, int]] = defaultdict(dict)
    for person_id, by_code in latest.items():
        levels[person_id] = {code: level for code, (_, _, level) in by_code.items()}
    return levels


def _standards(positions: set[str]) -> dict[str, dict[str, int]]:
    """Required level per competency code of each position name or type asked for."""
    standards: dict[str, dict[str, int]] = defaultdict(dict)
    for row in db.session.scalars(
        select(PositionStandard).where(PositionStandard.position.in_(positions))
    ):
        standards[row.position][row.competency_code] = row.required_level
    return standards

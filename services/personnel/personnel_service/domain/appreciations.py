"""Apresiasi: recognition a supervisor gives someone in their line, and who reads it.

A recognition rests on a completed training (a course in the person's JP ledger, so the
training is real and theirs) or on a shown improvement. The person reads their own; a
supervisor reads those of their line; a unit's list holds the people of the unit (and
its sub-units) the caller may see, so a unit head sees the whole unit.
"""

from __future__ import annotations

from typing import Any

from cakap_shared.auth import Principal
from cakap_shared.db import paginate
from cakap_shared.logs import audit
from cakap_shared.problems import CakapError, invalid
from sqlalchemy import Select, select

from ..extensions import db
from ..models import Appreciation, JpEntry, Person, Unit
from . import rights
from . import units as unit_tree
from .rights import Relation


def _newest_first(where: Any) -> Select:
    return (
        select(Appreciation).where(where).order_by(Appreciation.created_at.desc(), Appreciation.id)
    )


def of_person(person_id: str, limit: int = 100) -> list[Appreciation]:
    """Latest appreciations a person received, newest first (giver and receiver loaded)."""
    return list(
        db.session.scalars(_newest_first(Appreciation.to_person_id == person_id).limit(limit))
    )


def received(principal: Principal, person_id: str) -> list[Appreciation]:
    """What a person received, for the person, their supervisors and admins; else 404."""
    rights.visible_person(principal, person_id)
    return of_person(person_id)


def give(principal: Principal, person_id: str, body: dict[str, Any]) -> Appreciation:
    """Record (commit, audit) an appreciation for someone in the caller's line."""
    person, rel = rights.visible_person(principal, person_id)
    if rel is not Relation.SUPERVISOR:
        raise CakapError(403, "Only a supervisor of this person records an appreciation.")
    basis, course_code = body.get("basis"), body.get("course_code")
    course_title = None
    if basis == "training":
        if not course_code:
            raise invalid("course_code", "name the completed training (its course code)")
        course_title = db.session.scalar(
            select(JpEntry.title)
            .where(JpEntry.person_id == person.id, JpEntry.course_code == course_code)
            .order_by(JpEntry.completed_on.desc())
            .limit(1)
        )
        if course_title is None:
            raise invalid("course_code", f"{person.name} has not completed {course_code}")
    elif course_code:
        raise invalid("course_code", "a course belongs only to a recognition for a training")
    appreciation = Appreciation(
        from_person_id=principal.id,
        to_person_id=person.id,
        reason=body["reason"].strip(),
        basis=basis,
        course_code=course_code if basis == "training" else None,
        course_title=course_title,
    )
    db.session.add(appreciation)
    db.session.commit()
    audit("appreciation.created", actor=principal.id, person_id=person_id)
    return appreciation


def of_unit(principal: Principal, code: str, page: int, per_page: int) -> dict[str, Any]:
    """Appreciations received in a unit and its sub-units that the caller may read."""
    if db.session.get(Unit, code) is None:
        raise CakapError(404, "No such unit.")
    codes = unit_tree.subtree_codes(code)
    receivers = select(Person.id).where(Person.unit_code.in_(codes))
    if not principal.is_admin:
        line = rights.subordinate_ids(principal.id)
        receivers = receivers.where(Person.id.in_(line))
        if db.session.scalar(receivers.limit(1)) is None:
            # Not the unit's head nor anyone above its people: the unit is not theirs.
            raise CakapError(404, "No such unit in your line.")
    stmt = _newest_first(Appreciation.to_person_id.in_(receivers))
    return paginate(db, stmt, page, per_page)

"""Apresiasi: recognition a supervisor gives someone in their line, and who reads it.

A recognition rests on a completed training (a course in the person's JP ledger, so the
training is real and theirs) or on a shown improvement. The person reads their own; a
supervisor reads those of their line; a unit's list holds the people of the unit (and
its sub-units) the caller may see, so a unit head sees the whole unit.
"""

from __future__ import annotations

from typing import Any

from cakap_shared.auth import Principal
from cakap_shared.problems import CakapError, invalid
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Appreciation, JpEntry, Person, Unit
from . import rights
from . import units as unit_tree
from .rights import Relation


def view(a: Appreciation, from_name: str, to_name: str) -> dict[str, Any]:
    """An appreciation as the API shows it."""
    return {
        "id": a.id,
        "from_person_id": a.from_person_id,
        "from_name": from_name,
        "to_person_id": a.to_person_id,
        "to_name": to_name,
        "reason": a.reason,
        "basis": a.basis,
        "course_code": a.course_code,
        "course_title": a.course_title,
        "created_at": a.created_at,
    }


def _listing(where: Any) -> Any:
    giver, receiver = aliased(Person), aliased(Person)
    return (
        select(Appreciation, giver.name, receiver.name)
        .join(giver, giver.id == Appreciation.from_person_id)
        .join(receiver, receiver.id == Appreciation.to_person_id)
        .where(where)
        .order_by(Appreciation.created_at.desc(), Appreciation.id)
    )


def of_person(person_id: str, limit: int = 100) -> list[dict[str, Any]]:
    """Latest appreciations a person received, newest first, with the giver's name."""
    rows = db.session.execute(_listing(Appreciation.to_person_id == person_id).limit(limit))
    return [view(a, giver, receiver) for a, giver, receiver in rows]


def give(principal: Principal, person_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Record an appreciation for someone in the caller's line (direct or indirect)."""
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
    db.session.flush()
    giver = db.session.get(Person, principal.id)
    return view(appreciation, giver.name if giver else "", person.name)


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
    where = Appreciation.to_person_id.in_(receivers)
    total = db.session.scalar(select(func.count()).select_from(Appreciation).where(where)) or 0
    rows = db.session.execute(_listing(where).limit(per_page).offset((page - 1) * per_page))
    return {
        "items": [view(a, giver, receiver) for a, giver, receiver in rows],
        "total": total,
        "page": page,
        "per_page": per_page,
    }

"""Who may see whom: admin and services everyone, a supervisor their whole line, a person themself.

Supervision is read from the data (the supervisor chain), not from the `supervisor`
role in a token, so a token issued before a move cannot widen what a caller sees.
"""

from __future__ import annotations

from enum import Enum

from cakap_shared.auth import Principal
from cakap_shared.problems import CakapError
from sqlalchemy import Select, literal, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Person
from .units import subtree_codes

# A chain longer than this is broken data; stop walking rather than loop.
MAX_DEPTH = 50


class Relation(Enum):
    """How the caller relates to a person record."""

    ADMIN = "admin"
    SERVICE = "service"
    SELF = "self"
    SUPERVISOR = "supervisor"  # direct or indirect
    NONE = "none"


def subordinate_ids(person_id: str) -> Select:
    """SELECT of the ids of everyone below `person_id` (direct and indirect)."""
    base = select(Person.id).where(Person.supervisor_id == person_id).cte("subs", recursive=True)
    lower = aliased(Person)
    # UNION (not UNION ALL) stops on a cycle that bad old data might still hold.
    tree = base.union(select(lower.id).where(lower.supervisor_id == base.c.id))
    return select(tree.c.id)


def supervisor_chain(person_id: str) -> list[Person]:
    """The person's supervisors, direct supervisor first."""
    base = (
        select(Person.supervisor_id.label("id"), literal(1).label("depth"))
        .where(Person.id == person_id)
        .cte("chain", recursive=True)
    )
    upper = aliased(Person)
    chain = base.union_all(
        select(upper.supervisor_id, base.c.depth + 1).where(
            upper.id == base.c.id, upper.supervisor_id.is_not(None), base.c.depth < MAX_DEPTH
        )
    )
    rows = db.session.execute(
        select(Person, chain.c.depth).join(chain, chain.c.id == Person.id).order_by(chain.c.depth)
    ).all()
    seen: set[str] = set()
    people = []
    for person, _depth in rows:
        if person.id in seen:
            break
        seen.add(person.id)
        people.append(person)
    return people


def is_above(supervisor_id: str, person_id: str) -> bool:
    """True when `supervisor_id` is somewhere in the supervisor chain of `person_id`."""
    return any(p.id == supervisor_id for p in supervisor_chain(person_id))


def relation(principal: Principal, person_id: str) -> Relation:
    """The caller's relation to the person (admin and service win over everything)."""
    if principal.is_admin:
        return Relation.ADMIN
    if principal.is_service:
        return Relation.SERVICE
    if principal.id == person_id:
        return Relation.SELF
    if is_above(principal.id, person_id):
        return Relation.SUPERVISOR
    return Relation.NONE


def visible_person(principal: Principal, person_id: str) -> tuple[Person, Relation]:
    """The person and the caller's relation to them; 404 when they do not exist or are hidden."""
    person = db.session.get(Person, person_id)
    rel = relation(principal, person_id) if person is not None else Relation.NONE
    if person is None or rel is Relation.NONE:
        raise CakapError(404, "No such person.")
    return person, rel


def sees_personal_data(rel: Relation) -> bool:
    """NIP, birth date, sex and e-mail: only for admin, services and the person themself."""
    return rel in (Relation.ADMIN, Relation.SERVICE, Relation.SELF)


# ---- account administration: BKPSDM everywhere, an OPD's own admin in their unit subtree ----

OPD_ADMIN = "opd_admin"


def managed_units(principal: Principal) -> set[str] | None:
    """Units whose people's accounts the caller administers: None means every unit.

    An OPD admin's scope is read from the data (their own unit and everything below it),
    like supervision, so a token issued before a move cannot reach the old unit. Anyone
    else, or an OPD admin without a unit, gets 403.
    """
    if principal.is_admin:
        return None
    if principal.has_role(OPD_ADMIN):
        own = db.session.get(Person, principal.id)
        if own is not None and own.unit_code:
            return subtree_codes(own.unit_code)
    raise CakapError(403, "Your role does not allow this action.")


def managed_person(principal: Principal, person_id: str) -> Person:
    """A person whose account the caller administers; 404 outside an OPD admin's units."""
    scope = managed_units(principal)
    person = db.session.get(Person, person_id)
    if person is None or (scope is not None and person.unit_code not in scope):
        raise CakapError(404, "No such person.")
    return person


def managed_unit(principal: Principal, unit_code: str) -> None:
    """403 unless the caller administers the accounts of this unit (and so its subtree)."""
    scope = managed_units(principal)
    if scope is not None and unit_code not in scope:
        raise CakapError(403, "This unit is outside the units you administer.", code="unit-outside")

"""People records: validation of each field, create and update, history, and person.updated."""

from __future__ import annotations

from datetime import date
from typing import Any

from cakap_shared.auth import Principal
from cakap_shared.db import utcnow
from cakap_shared.logs import audit
from cakap_shared.problems import CakapError, invalid
from sqlalchemy import select, text

from ..clock import today
from ..extensions import db, events
from ..models import Account, Person, PersonUnitHistory, Unit
from . import appreciations, rights
from .grades import (
    EmploymentType,
    InvalidGrade,
    grade_by_code,
    normalise_grade,
    parse_employment_type,
    parse_position_type,
    parse_status,
)
from .nip import InvalidNip, NipInfo, parse_nip
from .passwords import hash_password
from .rights import Relation, sees_personal_data

# Fields other services copy: a change to any of them is published as person.updated.
PUBLISHED_FIELDS = ("name", "unit_code", "supervisor_id", "position", "grade", "status", "email")
# An account whose password was never set: argon2 refuses this "hash", so nobody signs in.
UNUSABLE_PASSWORD = "!unset"


def published_data(person: Person) -> dict[str, Any]:
    """The data of a person.updated event (contract v1)."""
    return {"person_id": person.id, **{name: getattr(person, name) for name in PUBLISHED_FIELDS}}


def publish_updated(person: Person) -> None:
    """Add person.updated to the current transaction."""
    events.publish("person.updated", published_data(person), aggregate_id=person.id)


# ---- field checks: each raises a 422 naming its field ----


def check_nip(nip: str, field: str = "nip") -> NipInfo:
    """The parsed NIP, or 422 on `field` saying why it cannot be anyone's."""
    try:
        return parse_nip(nip.strip(), today())
    except InvalidNip as err:
        raise invalid(field, err.message) from None


def check_employment_type(text: str | None) -> EmploymentType:
    """PNS (the default) or PPPK."""
    if not text:
        return EmploymentType.PNS
    try:
        return parse_employment_type(text)
    except ValueError as err:
        raise invalid("employment_type", str(err)) from None


def check_grade(text: str | None, employment_type: EmploymentType) -> str:
    """The canonical grade code ("III/a", "IX") for the employment type."""
    try:
        return normalise_grade(text or "", employment_type).code
    except InvalidGrade as err:
        raise invalid("grade", err.message) from None


def check_unit(code: str | None) -> str:
    """An existing unit code."""
    if not code:
        raise invalid("unit_code", "unit_code is required")
    if db.session.get(Unit, code) is None:
        raise invalid("unit_code", f"there is no unit {code}")
    return code


def check_position_type(text: str | None) -> str | None:
    """A position type value or None."""
    if not text:
        return None
    try:
        return parse_position_type(text).value
    except ValueError as err:
        raise invalid("position_type", str(err)) from None


def check_status(text: str) -> str:
    """active, on_leave or retired."""
    try:
        return parse_status(text).value
    except ValueError as err:
        raise invalid("status", str(err)) from None


def supervisor_by_nip(nip: str, field: str = "supervisor_nip") -> Person:
    """The supervisor with this NIP; 422 when the NIP is invalid or nobody has it."""
    check_nip(nip, field)
    supervisor = db.session.scalar(select(Person).where(Person.nip == nip.strip()))
    if supervisor is None:
        raise invalid(field, f"no person has NIP {nip.strip()}")
    return supervisor


# Changes to the supervisor line take turns (PostgreSQL advisory lock, until the transaction
# ends): A under B and B under A, checked at once, would each find no loop in what is
# committed and together close one. SQLite has one writer at a time already.
SUPERVISOR_LINE_LOCK = 0x43414B4150_4C4E  # "CAKAPLN", any constant key of this service


def check_no_cycle(person: Person, supervisor: Person, field: str) -> None:
    """422 when making `supervisor` the person's supervisor would close a loop."""
    if supervisor.id == person.id:
        raise invalid(field, "a person cannot be their own supervisor")
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": SUPERVISOR_LINE_LOCK}
        )
    if rights.is_above(person.id, supervisor.id):
        raise invalid(
            field, f"{supervisor.name} is below {person.name} in the line; that would be a cycle"
        )


# ---- create / update ----


def create_person(data: dict[str, Any]) -> Person:
    """Validate and add a new person (and their account when roles or a password are given)."""
    # An absent or null NIP is a non-ASN account; an empty string is a NIP typed wrong.
    nip = data["nip"].strip() if data.get("nip") is not None else None
    person = Person(name=" ".join(data["name"].split()), status=check_status(data["status"]))
    if nip is not None:
        info = check_nip(nip)
        if db.session.scalar(select(Person.id).where(Person.nip == nip)) is not None:
            raise CakapError(409, f"A person with NIP {nip} already exists.")
        kind = check_employment_type(data.get("employment_type"))
        person.nip, person.birth_date, person.sex = nip, info.birth_date, info.sex
        person.employment_type = kind.value
        person.grade = check_grade(data.get("grade"), kind)
        person.unit_code = check_unit(data.get("unit_code"))
        if not data.get("position"):
            raise invalid("position", "position is required")
    else:
        # Trainers and admins from outside the civil service: no NIP, no grade.
        if data.get("grade"):
            raise invalid("grade", "only ASN with a NIP have a grade")
        if data.get("unit_code"):
            person.unit_code = check_unit(data["unit_code"])
        if data.get("password") and not data.get("username"):
            raise invalid("username", "a person without NIP signs in with a username")
    person.position = data.get("position")
    person.position_type = check_position_type(data.get("position_type"))
    person.email = data.get("email")
    if data.get("supervisor_nip"):
        if nip is not None and data["supervisor_nip"].strip() == nip:
            raise invalid("supervisor_nip", "a person cannot be their own supervisor")
        person.supervisor_id = supervisor_by_nip(data["supervisor_nip"]).id
    db.session.add(person)
    db.session.flush()
    if person.unit_code:
        db.session.add(
            PersonUnitHistory(person_id=person.id, unit_code=person.unit_code, from_date=today())
        )
    # Everyone with a NIP gets an account: active at once with a password, else waiting for
    # activation. Without NIP only when a login name comes with roles or a password.
    if nip is not None or data.get("roles") is not None or data.get("password"):
        _add_account(person, nip, data)
    publish_updated(person)
    return person


def _add_account(person: Person, nip: str | None, data: dict[str, Any]) -> None:
    """The new person's account: signing in by NIP (or the login name given), with roles."""
    username = (data.get("username") or nip or "").strip()
    if not username:
        raise invalid("username", "a person without NIP signs in with a username")
    taken = db.session.scalar(select(Account.id).where(Account.username == username))
    if taken is not None:
        raise CakapError(409, f"The username {username} is taken.")
    roles = data.get("roles") or (["asn"] if nip else [])
    password = data.get("password")
    db.session.add(
        Account(
            person_id=person.id,
            username=username,
            password_hash=hash_password(password) if password else UNUSABLE_PASSWORD,
            roles=",".join(sorted(set(roles))),
            is_active=bool(password),
            activated_at=utcnow() if password else None,
        )
    )


def update_person(person: Person, data: dict[str, Any]) -> Person:
    """Apply a PATCH; moves keep history; person.updated when a published field changed."""
    before = published_data(person)
    if "name" in data:
        person.name = " ".join(data["name"].split())
    if "employment_type" in data or "grade" in data:
        if not person.nip:
            raise invalid("grade", "only ASN with a NIP have a grade")
        kind = check_employment_type(data.get("employment_type") or person.employment_type)
        person.employment_type = kind.value
        person.grade = check_grade(data.get("grade", person.grade), kind)
    if "position" in data:
        person.position = data["position"]
    if "position_type" in data:
        person.position_type = check_position_type(data["position_type"])
    if "status" in data:
        person.status = check_status(data["status"])
    if "email" in data:
        person.email = data["email"]
    if "unit_code" in data and data["unit_code"] != person.unit_code:
        move_unit(person, check_unit(data["unit_code"]), data.get("moved_on") or today())
    if "supervisor_nip" in data or "supervisor_id" in data:
        set_supervisor(person, data)
    if "roles" in data:
        set_roles(person, data["roles"])
    db.session.flush()
    if published_data(person) != before:
        publish_updated(person)
    return person


def move_unit(person: Person, unit_code: str, on: date) -> None:
    """Close the open stay and open one in the new unit."""
    open_stay = db.session.scalar(
        select(PersonUnitHistory).where(
            PersonUnitHistory.person_id == person.id, PersonUnitHistory.to_date.is_(None)
        )
    )
    if open_stay is not None:
        if on < open_stay.from_date:
            raise invalid("moved_on", "the move cannot be before the start of the current stay")
        open_stay.to_date = on
    person.unit_code = unit_code
    db.session.add(PersonUnitHistory(person_id=person.id, unit_code=unit_code, from_date=on))


def set_supervisor(person: Person, data: dict[str, Any]) -> None:
    """Change (or clear) the direct supervisor, refusing cycles."""
    field = "supervisor_nip" if "supervisor_nip" in data else "supervisor_id"
    value = data[field]
    if not value:
        person.supervisor_id = None
        return
    if field == "supervisor_nip":
        supervisor = supervisor_by_nip(value)
    else:
        supervisor = db.session.get(Person, value)
        if supervisor is None:
            raise invalid(field, "no such person")
    check_no_cycle(person, supervisor, field)
    person.supervisor_id = supervisor.id


def set_roles(person: Person, roles: list[str]) -> None:
    """Replace the account's roles (an account is made, without password, when missing)."""
    account = person.account
    if account is None:
        username = person.nip
        if not username:
            raise invalid("roles", "this person has no account; create it with a username")
        account = Account(
            person_id=person.id, username=username, password_hash=UNUSABLE_PASSWORD, is_active=False
        )
        db.session.add(account)
    account.roles = ",".join(sorted(set(roles)))


# ---- reading ----

PERSONAL_FIELDS = frozenset({"nip", "birth_date", "sex", "email"})
ACCOUNT_FIELDS = frozenset({"username", "roles"})


class SeenPerson:
    """A person as one caller may see them.

    A field the caller's relation may not read is absent (AttributeError), so the response
    schema leaves it out rather than sending null: NIP, birth date, sex and e-mail only
    for admins, services and the person; login name and roles only for admins and the
    person, when there is an account.
    """

    def __init__(self, person: Person, rel: Relation) -> None:
        self.person = person
        self.relation = rel

    def __getattr__(self, name: str) -> Any:
        person = self.person
        if name in PERSONAL_FIELDS and not sees_personal_data(self.relation):
            raise AttributeError(name)
        if name in ACCOUNT_FIELDS:
            if self.relation not in (Relation.ADMIN, Relation.SELF) or person.account is None:
                raise AttributeError(name)
            return person.account.username if name == "username" else person.account.role_list
        if name == "pangkat":
            return _pangkat(person)
        return getattr(person, name)


class PersonDetail(SeenPerson):
    """One person's page: what the list shows plus names, unit history and appreciations."""

    def __init__(self, person: Person, rel: Relation) -> None:
        super().__init__(person, rel)
        unit = db.session.get(Unit, person.unit_code) if person.unit_code else None
        supervisor = db.session.get(Person, person.supervisor_id) if person.supervisor_id else None
        self.unit_name = unit.name if unit else None
        self.supervisor_name = supervisor.name if supervisor else None
        self.unit_history = db.session.scalars(
            select(PersonUnitHistory)
            .where(PersonUnitHistory.person_id == person.id)
            .order_by(PersonUnitHistory.from_date, PersonUnitHistory.to_date.is_(None))
        ).all()
        self.appreciations = appreciations.of_person(person.id, limit=20)


def listing_relation(principal: Principal, person: Person) -> Relation:
    """The caller's relation to a person of their list (it holds only people they may see)."""
    if principal.is_admin:
        return Relation.ADMIN
    if principal.is_service:
        return Relation.SERVICE
    return Relation.SELF if person.id == principal.id else Relation.SUPERVISOR


def detail(principal: Principal, person_id: str) -> PersonDetail:
    """A person as the caller may see them; 404 when hidden (rights.visible_person)."""
    person, rel = rights.visible_person(principal, person_id)
    return PersonDetail(person, rel)


def create(principal: Principal, data: dict[str, Any]) -> PersonDetail:
    """Create a person (the caller is an admin), commit and audit."""
    person = create_person(data)
    db.session.commit()
    audit("person.created", actor=principal.id, person_id=person.id)
    return PersonDetail(person, Relation.ADMIN)


def change(principal: Principal, person_id: str, data: dict[str, Any]) -> PersonDetail:
    """Apply a PATCH (admin), commit and audit."""
    person, rel = rights.visible_person(principal, person_id)
    if rel is not Relation.ADMIN:
        raise CakapError(403, "Only an administrator changes people records.")
    update_person(person, data)
    db.session.commit()
    audit("person.updated", actor=principal.id, person_id=person.id, fields=sorted(data))
    return PersonDetail(person, rel)


def supervisors(principal: Principal, person_id: str) -> dict[str, list[Person]]:
    """The supervisors of a person the caller may see, direct supervisor first."""
    rights.visible_person(principal, person_id)
    return {"items": rights.supervisor_chain(person_id)}


def _pangkat(person: Person) -> str | None:
    if not person.grade or not person.employment_type:
        return None
    try:
        return grade_by_code(person.grade, EmploymentType(person.employment_type)).pangkat
    except (KeyError, ValueError):
        return None

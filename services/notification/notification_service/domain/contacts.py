"""Whom to reach: the copy kept from person.updated, completed from personnel on demand."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cakap_shared.db import utcnow
from sqlalchemy import select

from ..extensions import db
from ..models import Contact

COPIED = ("name", "email", "unit_code", "supervisor_id", "status")

PersonLookup = Callable[[str], dict[str, Any] | None]


def remember_all(people: list[dict[str, Any]]) -> None:
    """`remember` each of `people` (with its `person_id`) in order, reading the known
    contacts in one query instead of one each (an import sends thousands at once)."""
    ids = {data["person_id"] for data in people}
    known = {
        c.person_id: c
        for c in db.session.scalars(select(Contact).where(Contact.person_id.in_(ids)))
    }
    for data in people:
        person_id = data["person_id"]
        contact = known.get(person_id)
        if contact is None:
            contact = known[person_id] = Contact(person_id=person_id, name="")
            db.session.add(contact)
        _copy(contact, data)


def remember(person_id: str, data: dict[str, Any]) -> Contact:
    """Create or refresh the copy with the fields `data` carries (absent ones stay)."""
    contact = db.session.get(Contact, person_id)
    if contact is None:
        contact = Contact(person_id=person_id, name="")
        db.session.add(contact)
    _copy(contact, data)
    return contact


def _copy(contact: Contact, data: dict[str, Any]) -> None:
    for name in COPIED:
        if name in data:
            setattr(contact, name, data[name] if name != "name" else (data[name] or ""))
    contact.updated_at = utcnow()


def contact_for(person_id: str, lookup: PersonLookup) -> Contact | None:
    """The copy, fetched once from personnel when we never heard of the person.

    `lookup` raises ServiceUnavailable while personnel is down; None means unknown there.
    """
    contact = db.session.get(Contact, person_id)
    if contact is not None:
        return contact
    found = lookup(person_id)
    return None if found is None else remember(person_id, found)


def name_of(person_id: str) -> str | None:
    """The name in the copy (for admins' delivery log); None when never heard of."""
    contact = db.session.get(Contact, person_id)
    return contact.name if contact is not None else None

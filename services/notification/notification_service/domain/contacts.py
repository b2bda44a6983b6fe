"""Whom to reach: the copy kept from person.updated, completed from personnel on demand."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cakap_shared.db import utcnow
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..models import Contact

COPIED = ("name", "email", "unit_code", "supervisor_id", "status")

PersonLookup = Callable[[str], dict[str, Any] | None]


def remember_all(people: list[dict[str, Any]]) -> None:
    """`remember` each of `people` (with its `person_id`) in order, as one upsert per set of
    fields carried: an import sends thousands at once, and an ORM object each (read, made,
    flushed) was most of the batch's cost here."""
    latest: dict[str, dict[str, Any]] = {}  # a person's events merged in order: the last wins
    for data in people:
        merged = latest.setdefault(data["person_id"], {})
        merged.update({name: data[name] for name in COPIED if name in data})
    now = utcnow()
    by_fields: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for person_id, fields in latest.items():
        values = {**fields, "name": fields["name"] or ""} if "name" in fields else fields
        by_fields.setdefault(tuple(sorted(values)), []).append(
            {"name": "", **values, "person_id": person_id, "updated_at": now}
        )
    table = Contact.__table__
    upsert = (
        postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    )
    for names, rows in by_fields.items():
        statement = upsert(table)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.person_id],
            set_={name: statement.excluded[name] for name in (*names, "updated_at")},
        )
        db.session.execute(statement, rows)
    # Copies this session already holds are read again, not taken from before the upsert.
    for held in [c for c in db.session.identity_map.values() if isinstance(c, Contact)]:
        if held.person_id in latest:
            db.session.expire(held)


def remember(person_id: str, data: dict[str, Any]) -> Contact:
    """Create or refresh the copy with the fields `data` carries (absent ones stay).

    An upsert, not a read then an insert: an event about the same new person may be
    writing the copy at this moment, and the second insert would fail.
    """
    remember_all([{**data, "person_id": person_id}])
    contact = db.session.get(Contact, person_id)
    assert contact is not None  # just written in this transaction
    return contact


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

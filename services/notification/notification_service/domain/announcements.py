"""Announcements by BKPSDM: to everyone, or to a unit and all its sub-units.

The readers are fixed when it is sent (personnel's active people at that moment): each
gets an inbox item whose event id is the announcement's id, and its e-mail as they chose.
Nothing is written unless the whole audience was read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from cakap_shared.db import local_date, paginate, utcnow
from cakap_shared.problems import CakapError
from sqlalchemy import and_, or_, select

from ..extensions import db
from ..models import Announcement, Notification
from . import contacts, inbox

KIND = "announcement"
PeoplePage = Callable[[str | None, int], dict[str, Any]]
UnitExists = Callable[[str], bool]


def audience(unit_code: str | None, people_page: PeoplePage) -> list[dict[str, Any]]:
    """Every active person of the audience, page by page (ServiceUnavailable on failure)."""
    people: list[dict[str, Any]] = []
    page = 1
    while True:
        body = people_page(unit_code, page)
        items = [p for p in body["items"] if isinstance(p, dict) and p.get("id")]
        people += items
        if not items or len(people) >= int(body.get("total") or 0):
            return people
        page += 1


def publish(
    author_id: str,
    title: str,
    body: str,
    unit_code: str | None,
    people_page: PeoplePage,
    unit_exists: UnitExists,
    expires_on: date | None = None,
) -> Announcement:
    """Send the announcement to its audience; 422 for an unknown unit or an empty one, or
    for an expiry day already past."""
    if expires_on is not None and expires_on < local_date(utcnow()):
        raise CakapError(
            422,
            "expires_on: the day has passed",
            errors={"expires_on": ["the day has passed"]},
            code="expires-in-the-past",
        )
    if unit_code and not unit_exists(unit_code):
        raise CakapError(
            422,
            "unit_code: no such unit",
            errors={"unit_code": ["no such unit"]},
            code="unit-unknown",
        )
    people = audience(unit_code, people_page)
    if not people:
        raise CakapError(
            422,
            "unit_code: nobody active in this unit or below it",
            errors={"unit_code": ["nobody active in this unit or below it"]},
            code="no-recipients",
        )
    announcement = Announcement(
        author_id=author_id,
        title=title,
        body=body,
        unit_code=unit_code or None,
        expires_on=expires_on,
    )
    db.session.add(announcement)
    db.session.flush()
    data = {"title": title, "body": body}
    # the page already carries whom to reach: spare the mailer one lookup per person
    contacts.remember_all([_contact_fields(person) for person in people])
    reached = 0
    for person in people:
        if inbox.notify(announcement.id, str(person["id"]), KIND, data) is not None:
            reached += 1
    announcement.recipients = reached
    db.session.commit()
    return announcement


def _contact_fields(person: dict[str, Any]) -> dict[str, Any]:
    copied = {k: person[k] for k in contacts.COPIED if k in person and k != "status"}
    return {**copied, "person_id": str(person["id"])}


def for_reader(
    person_id: str, unread_only: bool, page_no: int, per_page: int, current_only: bool = False
) -> dict[str, Any]:
    """The announcements sent to the person, newest first, with their read state
    (`current_only`: not past their expiry day)."""
    query = (
        select(Announcement)
        .join(
            Notification,
            and_(Notification.event_id == Announcement.id, Notification.person_id == person_id),
        )
        .order_by(Announcement.created_at.desc(), Announcement.id)
    )
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    if current_only:
        today = local_date(utcnow())
        query = query.where(
            or_(Announcement.expires_on.is_(None), Announcement.expires_on >= today)
        )
    result = paginate(db, query, page_no, per_page)
    # paginate yields the announcements; their inbox items come in one more query
    notes = {
        n.event_id: n
        for n in db.session.scalars(
            select(Notification).where(
                Notification.person_id == person_id,
                Notification.event_id.in_([a.id for a in result["items"]]),
            )
        )
    }
    result["items"] = [_reader_view(a, notes[a.id]) for a in result["items"]]
    return result


def _reader_view(announcement: Announcement, notification: Notification) -> dict[str, Any]:
    return {
        "id": announcement.id,
        "title": announcement.title,
        "body": announcement.body,
        "unit_code": announcement.unit_code,
        "created_at": announcement.created_at,
        "expires_on": announcement.expires_on,
        "notification_id": notification.id,
        "read": notification.read,
    }


def sent(page_no: int, per_page: int) -> dict[str, Any]:
    """Every announcement, newest first, with how many people it reached (admins)."""
    return paginate(
        db,
        select(Announcement).order_by(Announcement.created_at.desc(), Announcement.id),
        page_no,
        per_page,
    )

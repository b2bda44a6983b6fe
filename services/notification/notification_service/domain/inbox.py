"""The inbox: one item per (event, person), plus its e-mail delivery as the person chose."""

from __future__ import annotations

from typing import Any, cast

from cakap_shared.db import paginate, utcnow
from cakap_shared.problems import CakapError
from sqlalchemy import func, select, update
from sqlalchemy.engine import CursorResult

from ..extensions import db
from ..models import DIGEST, PENDING, SKIPPED, Delivery, Notification
from . import preferences
from .templates import DIGEST as DIGEST_MODE
from .templates import OFF, render

EMAIL = "email"


def notify(event_id: str, person_id: str, kind: str, data: dict[str, Any]) -> Notification | None:
    """Write the inbox item and queue its e-mail, in the caller's transaction.

    A second call for the same event and person does nothing (the inbox already dedupes
    by event id; this keeps it true when one event reaches a person by two routes).
    """
    exists = db.session.scalar(
        select(Notification.id).where(
            Notification.event_id == event_id, Notification.person_id == person_id
        )
    )
    if exists is not None:
        return None
    notification = Notification(
        event_id=event_id, person_id=person_id, kind=kind, **render(kind, data)
    )
    db.session.add(notification)
    db.session.flush()
    mode = preferences.email_mode(person_id, kind)
    status = {OFF: SKIPPED, DIGEST_MODE: DIGEST}.get(mode, PENDING)
    db.session.add(
        Delivery(
            notification_id=notification.id,
            event_id=event_id,
            person_id=person_id,
            channel=EMAIL,
            status=status,
            last_error="e-mail off in the person's preferences" if status == SKIPPED else None,
            next_attempt_at=utcnow(),
        )
    )
    return notification


def page(person_id: str, unread_only: bool, page_no: int, per_page: int) -> dict[str, Any]:
    """The person's items newest first, with the unread count for the bell."""
    query = select(Notification).where(Notification.person_id == person_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    result = paginate(
        db,
        query.order_by(Notification.created_at.desc(), Notification.id.desc()),
        page_no,
        per_page,
    )
    result["unread"] = unread_count(person_id)
    return result


def unread_count(person_id: str) -> int:
    """How many of the person's items are unread."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.person_id == person_id, Notification.read_at.is_(None))
        )
        or 0
    )


def mark_read(person_id: str, notification_id: str) -> Notification:
    """Mark one of the person's own items read (404 for anyone else's)."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.person_id != person_id:
        raise CakapError(404, "No notification with this id in your inbox.")
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.commit()
    return notification


def mark_all_read(person_id: str) -> int:
    """Mark every unread item of the person read; how many changed."""
    result = cast(
        "CursorResult[Any]",  # an UPDATE's result, which counts the rows
        db.session.execute(
            update(Notification)
            .where(Notification.person_id == person_id, Notification.read_at.is_(None))
            .values(read_at=utcnow())
        ),
    )
    db.session.commit()
    return result.rowcount or 0

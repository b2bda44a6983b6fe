"""Sending queued e-mails: quiet hours, backoff on 4xx or no answer, bounces on 5xx, digests.

A row is claimed by a conditional UPDATE before it is sent (a lease), so two delivery
processes never send the same row at once; a crash between the server's acceptance and
our commit resends after the lease with the same Message-ID (at least once to the
server, and a receiver that drops duplicate Message-IDs sees it once).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any, cast
from zoneinfo import ZoneInfo

from cakap_shared.db import paginate, utcnow
from cakap_shared.http import ServiceUnavailable
from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.engine import CursorResult

from ..channels import Channel, Message, PermanentFailure, TemporaryFailure
from ..extensions import db
from ..models import BOUNCED, DIGEST, FAILED, PENDING, SENT, SKIPPED, Delivery, Digest
from . import contacts, preferences
from .templates import email_text

log = logging.getLogger("cakap.notification")
LEASE = timedelta(seconds=120)
PersonLookup = contacts.PersonLookup


def backoff(attempts: int, cap: float, base: float = 1.0) -> float:
    """Exponential backoff with jitter, capped (seconds)."""
    ceiling = min(cap, base * (2 ** max(attempts - 1, 0)))
    return random.uniform(ceiling / 2, ceiling)


def _claim(model: type[Delivery] | type[Digest], row_id: str, now: datetime) -> bool:
    result = cast(
        "CursorResult[Any]",  # an UPDATE's result, which counts the rows
        db.session.execute(
            update(model)
            .where(model.id == row_id, model.status == PENDING, model.next_attempt_at <= now)
            .values(next_attempt_at=now + LEASE)
            .execution_options(synchronize_session=False)
        ),
    )
    db.session.commit()
    return result.rowcount == 1


def _item(notification: Any) -> dict[str, str]:
    return {
        "title": notification.title,
        "body": notification.body,
        "title_en": notification.title_en,
        "body_en": notification.body_en,
        "link": notification.link,
    }


def _attempt(
    row: Delivery | Digest,
    person_id: str,
    items: Callable[[], list[dict[str, str]]],
    channel: Channel,
    lookup: PersonLookup,
    now: datetime,
) -> str:
    """Try to send one row; record the outcome on it (caller commits). Returns its status."""
    config = current_app.config
    quiet = preferences.quiet_until(person_id, now, config["TIMEZONE"])
    if quiet is not None:
        row.next_attempt_at = quiet
        return PENDING
    try:
        contact = contacts.contact_for(person_id, lookup)
    except ServiceUnavailable as exc:
        return _retry(row, f"contact: {exc}", now)
    if contact is None or not contact.email:
        row.status, row.last_error = SKIPPED, "no e-mail address known for this person"
        return SKIPPED
    subject, text = email_text(contact.name, items(), config["PUBLIC_BASE_URL"])
    message = Message(row.id, contact.name, contact.email, subject, text)
    row.attempts += 1
    if isinstance(row, Delivery):
        row.address = contact.email  # also kept on a bounce: the admin sees which address
    try:
        channel.send(message)
    except PermanentFailure as exc:
        row.status, row.last_error = BOUNCED, str(exc)[:1000]
        log.warning("e-mail bounced", extra={"fields": {"row": row.id, "error": row.last_error}})
        return BOUNCED
    except TemporaryFailure as exc:
        return _retry(row, str(exc), now)
    row.status, row.sent_at, row.last_error = SENT, utcnow(), None
    return SENT


def _retry(row: Delivery | Digest, error: str, now: datetime) -> str:
    config = current_app.config
    row.last_error = error[:1000]
    if row.attempts >= config["NOTIFY_MAX_ATTEMPTS"]:
        row.status = FAILED
        return FAILED
    row.next_attempt_at = now + timedelta(
        seconds=backoff(row.attempts, config["NOTIFY_BACKOFF_CAP"])
    )
    return PENDING


def send_due(channel: Channel, lookup: PersonLookup, limit: int = 100) -> int:
    """Send due single e-mails and due digests; how many rows were tried."""
    now = utcnow()
    tried = 0
    due = db.session.scalars(
        select(Delivery.id)
        .where(Delivery.status == PENDING, Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at)
        .limit(limit)
    ).all()
    for delivery_id in due:
        if not _claim(Delivery, delivery_id, now):
            continue
        row = db.session.get_one(Delivery, delivery_id)  # claimed just now: it exists
        _attempt(row, row.person_id, partial(_single_item, row), channel, lookup, now)
        db.session.commit()
        tried += 1
    digests = db.session.scalars(
        select(Digest.id)
        .where(Digest.status == PENDING, Digest.next_attempt_at <= now)
        .order_by(Digest.next_attempt_at)
        .limit(limit)
    ).all()
    for digest_id in digests:
        if not _claim(Digest, digest_id, now):
            continue
        digest = db.session.get_one(Digest, digest_id)
        rows = db.session.scalars(
            select(Delivery).where(Delivery.digest_id == digest.id).order_by(Delivery.created_at)
        ).all()
        status = _attempt(
            digest, digest.person_id, partial(_digest_items, rows), channel, lookup, now
        )
        if status in (SENT, BOUNCED, FAILED, SKIPPED):
            _settle(digest, status, [row.id for row in rows])
        db.session.commit()
        tried += 1
    return tried


def _settle(digest: Digest, status: str, included: list[str]) -> None:
    """Give the digest's outcome to the items it held when it was written.

    collect_digests may attach an item while the digest is being sent: that item was not
    in the mail, so it leaves the digest (and waits for the next day's) instead of being
    marked sent. The digest row is held so that collecting waits for this outcome.
    """
    db.session.execute(select(Digest.id).where(Digest.id == digest.id).with_for_update())
    db.session.execute(
        update(Delivery)
        .where(Delivery.id.in_(included))
        .values(status=status, sent_at=digest.sent_at, last_error=digest.last_error)
    )
    db.session.execute(
        update(Delivery)
        .where(Delivery.digest_id == digest.id, Delivery.id.not_in(included))
        .values(digest_id=None)
    )


def _single_item(delivery: Delivery) -> list[dict[str, str]]:
    return [_item(delivery.notification)]


def _digest_items(rows: Sequence[Delivery]) -> list[dict[str, str]]:
    return [_item(row.notification) for row in rows]


def digest_moment(now: datetime, hour: int, zone: str) -> datetime:
    """The latest daily digest time (local `hour`) at or before now."""
    local = now.astimezone(ZoneInfo(zone))
    moment = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    moment = moment if moment <= local else moment - timedelta(days=1)
    return moment.astimezone(UTC)


def collect_digests(now: datetime | None = None, *, right_now: bool = False) -> int:
    """Gather digest-mode items older than the last digest time into one Digest per person.

    `right_now` takes everything waiting (the `send-digests` command). At most one
    digest per person and day: items arriving after it wait for the next day's.
    """
    now = now or utcnow()
    config = current_app.config
    moment = now if right_now else digest_moment(now, config["DIGEST_HOUR"], config["TIMEZONE"])
    day: date = moment.astimezone(ZoneInfo(config["TIMEZONE"])).date()
    people = db.session.scalars(
        select(Delivery.person_id)
        .where(
            Delivery.status == DIGEST,
            Delivery.digest_id.is_(None),
            Delivery.created_at <= moment,
        )
        .group_by(Delivery.person_id)
    ).all()
    made = 0
    for person_id in people:
        # Held and read afresh: a digest being settled (_settle) is not attached to meanwhile.
        existing = db.session.scalar(
            select(Digest)
            .where(Digest.person_id == person_id, Digest.day == day)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if existing is not None and existing.status != PENDING:
            continue  # today's went out already
        digest = existing or Digest(person_id=person_id, day=day, next_attempt_at=now)
        if existing is None:
            db.session.add(digest)
            db.session.flush()
            made += 1
        db.session.execute(
            update(Delivery)
            .where(
                Delivery.person_id == person_id,
                Delivery.status == DIGEST,
                Delivery.digest_id.is_(None),
                Delivery.created_at <= moment,
            )
            .values(digest_id=digest.id)
        )
    db.session.commit()
    return made


def delivery_counts() -> dict[str, int]:
    """E-mail deliveries by status (for admins and the benchmark)."""
    rows = db.session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all()
    return {status: count for status, count in rows}


def delivery_page(status: str, page_no: int, per_page: int) -> dict[str, Any]:
    """Deliveries in one state, newest first, with the counts by state (admins)."""
    query = (
        select(Delivery)
        .where(Delivery.status == status)
        .order_by(Delivery.created_at.desc(), Delivery.id)
    )
    result = paginate(db, query, page_no, per_page)
    result["counts"] = delivery_counts()
    return result

"""Producing: the outbox row written with the change, and the outbox's state for admins."""

from __future__ import annotations

import json
import uuid
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, select
from sqlalchemy.orm import scoped_session

from ..db import aware, utcnow
from ..problems import CakapError
from .models import DEAD, DELIVERED, HANDLED, PARKED, PENDING, EventModels, OutboxEventMixin

# flask-sqlalchemy's `db.session`.
AnySession = scoped_session[Any]


def add_event(
    db: SQLAlchemy,
    outbox: type[OutboxEventMixin],
    producer: str,
    event_type: str,
    data: dict[str, Any],
    aggregate_id: str,
    version: int,
) -> OutboxEventMixin:
    """Add the event to the current transaction; it is sent only if that commits."""
    event = outbox(
        id=str(uuid.uuid4()),
        type=event_type,
        version=version,
        aggregate_id=str(aggregate_id),
        producer=producer,
        occurred_at=utcnow(),
        data=json.dumps(data, default=str),
        fanned_out=False,
    )
    db.session.add(event)
    return event


def _count(session: AnySession, model: type[Any], *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _oldest_pending_age(session: AnySession, m: EventModels) -> float:
    """Seconds since the oldest event still waiting, fanned out or not."""
    oldest = session.scalar(
        select(func.min(m.outbox.occurred_at))
        .join(m.delivery, m.delivery.event_seq == m.outbox.seq)
        .where(m.delivery.status == PENDING)
    )
    oldest_unfanned = session.scalar(
        select(func.min(m.outbox.occurred_at)).where(m.outbox.fanned_out.is_(False))
    )
    candidates = [aware(t) for t in (oldest, oldest_unfanned) if t is not None]
    return (utcnow() - min(candidates)).total_seconds() if candidates else 0.0


def outbox_stats(session: AnySession, m: EventModels, producer: str) -> dict[str, Any]:
    """Counts and ages for /internal/outbox/stats."""
    delivery, inbox = m.delivery, m.inbox
    pending = _count(session, delivery, delivery.status == PENDING)
    unfanned = _count(session, m.outbox, m.outbox.fanned_out.is_(False))
    return {
        "producer": producer,
        "pending": pending + unfanned,
        "oldest_pending_age_seconds": round(_oldest_pending_age(session, m), 3),
        "failing": _count(session, delivery, delivery.status == PENDING, delivery.attempts > 0),
        "dead": _count(session, delivery, delivery.status == DEAD),
        "delivered": _count(session, delivery, delivery.status == DELIVERED),
        "inbox": {
            "handled": _count(session, inbox, inbox.status == HANDLED),
            "parked": _count(session, inbox, inbox.status == PARKED),
        },
    }


def dead_letters(session: AnySession, m: EventModels) -> list[dict[str, Any]]:
    """The dead-letter list, newest first."""
    rows = session.execute(
        select(m.delivery, m.outbox)
        .join(m.outbox, m.outbox.seq == m.delivery.event_seq)
        .where(m.delivery.status == DEAD)
        .order_by(m.delivery.id.desc())
        .limit(500)
    ).all()
    return [
        {
            "id": d.id,
            "subscriber": d.subscriber,
            "attempts": d.attempts,
            "last_error": d.last_error,
            "event": e.envelope(),
        }
        for d, e in rows
    ]


def retry_dead_letter(session: AnySession, m: EventModels, delivery_id: int) -> None:
    """Requeue a dead letter now."""
    delivery = session.get(m.delivery, delivery_id)
    if delivery is None or delivery.status != DEAD:
        raise CakapError(404, "No dead letter with this id.")
    delivery.status = PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = utcnow()
    session.commit()

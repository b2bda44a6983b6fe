"""Consuming: the envelope every producer sends, and handling each event exactly once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.exc import IntegrityError

from ..db import utcnow
from ..problems import CakapError, flatten_errors
from .models import HANDLED, PARKED, InboxEventMixin

log = logging.getLogger("cakap.events")

Handler = Callable[[dict[str, Any]], None]


class EnvelopeSchema(ma.Schema):
    """The event envelope every producer sends."""

    id = ma.fields.UUID(required=True)
    type = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    version = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1))
    occurred_at = ma.fields.AwareDateTime(required=True)
    producer = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=50))
    aggregate_id = ma.fields.String(load_default="", validate=ma.validate.Length(max=100))
    data = ma.fields.Dict(required=True)


class EventRejected(Exception):
    """The event's data is malformed: the consumer answers 422 and the sender dead-letters it."""


def required_text(data: dict[str, Any], name: str, max_length: int = 300) -> str:
    """`data[name]` as a non-blank string of at most `max_length`; EventRejected otherwise."""
    value = data.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise EventRejected(f"{name} must be a non-blank string of at most {max_length} characters")
    return value


def load_envelope(payload: Any, sender: str | None) -> dict[str, Any]:
    """The validated envelope; 422 when malformed, 403 when `sender` is not its producer."""
    try:
        envelope: dict[str, Any] = EnvelopeSchema().load(
            payload if isinstance(payload, dict) else {}
        )
    except ma.ValidationError as exc:
        raise CakapError(
            422, "The event envelope is malformed.", errors=flatten_errors(exc.messages)
        ) from None
    if sender is not None and sender != f"service:{envelope['producer']}":
        raise CakapError(
            403, f"{sender} may not deliver events produced by {envelope['producer']}."
        )
    return envelope


def receive(
    db: SQLAlchemy,
    inbox: type[InboxEventMixin],
    handlers: dict[tuple[str, int], Handler],
    payload: Any,
    sender: str | None = None,
) -> tuple[dict[str, Any], int]:
    """Handle one delivered event exactly once; returns (body, status).

    `sender` is the calling service's token subject: a service may only deliver
    events it produced itself.
    """
    envelope = load_envelope(payload, sender)
    event_id = str(envelope["id"])
    session = db.session
    if session.get(inbox, event_id) is not None:
        return {"status": "duplicate", "id": event_id}, 200
    key = (envelope["type"], envelope["version"])
    handler = handlers.get(key)
    record = inbox(
        event_id=event_id,
        type=envelope["type"],
        version=envelope["version"],
        producer=envelope["producer"],
        status=HANDLED if handler else PARKED,
        reason=None if handler else "no handler for this type and version",
        received_at=utcnow(),
    )
    try:
        session.add(record)
        session.flush()  # claims the id: a concurrent twin fails here
        if handler is not None:
            handler({**envelope, "id": event_id})
        session.commit()
    except IntegrityError:
        session.rollback()
        if session.get(inbox, event_id) is not None:  # a concurrent twin was handled
            return {"status": "duplicate", "id": event_id}, 200
        # The handler's own write collided with a concurrent change (two certificates
        # numbered at once, say): nothing was kept, so the sender must deliver it again.
        log.warning("event %s conflicted, to be delivered again", event_id)
        raise CakapError(
            503, "The event conflicted with a concurrent change and was not kept; deliver it again."
        ) from None
    except EventRejected as exc:
        session.rollback()
        raise CakapError(422, f"The event's data is invalid: {exc}") from None
    except Exception:
        session.rollback()
        raise
    if handler is None:
        log.warning("parked unknown event %s v%s", *key, extra={"fields": {"event_id": event_id}})
        return {"status": "parked", "id": event_id}, 202
    return {"status": "handled", "id": event_id}, 200

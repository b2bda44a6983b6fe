"""Consuming: the envelope every producer sends, and handling each event exactly once."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import marshmallow as ma
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import scoped_session

from ..db import utcnow
from ..problems import CakapError, flatten_errors
from .models import HANDLED, PARKED, InboxEventMixin

log = logging.getLogger("cakap.events")

Handler = Callable[[dict[str, Any]], None]
# Handles several events of one type at once, in the order given (Events.batch_handler).
BatchHandler = Callable[[list[dict[str, Any]]], None]


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


# One instance for every load: building a schema's fields costs more than loading with it.
_ENVELOPE = EnvelopeSchema()
_FIELDS = frozenset(_ENVELOPE.fields)
# The form producers write (str(uuid4())): the UUID field would give back the same text.
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _plainly_well_formed(payload: Any) -> dict[str, Any] | None:
    """The envelope exactly as the schema loads it, when every field has its usual form;
    None to leave it to the schema (which also words the errors).

    The schema's load was the largest per-event cost of a batch (about 0.1 ms an event,
    thousands per import); these checks are the schema's own, narrowed to the usual forms
    (a canonical UUID, an int version, an ISO timestamp with its offset).
    """
    if type(payload) is not dict or not payload.keys() <= _FIELDS:
        return None
    event_id, kind, version = payload.get("id"), payload.get("type"), payload.get("version")
    producer, data = payload.get("producer"), payload.get("data")
    aggregate_id, occurred_at = payload.get("aggregate_id", ""), payload.get("occurred_at")
    if not (
        type(event_id) is str
        and _CANONICAL_UUID.fullmatch(event_id)
        and type(kind) is str
        and 1 <= len(kind) <= 100
        and type(version) is int
        and version >= 1
        and type(producer) is str
        and 1 <= len(producer) <= 50
        and type(aggregate_id) is str
        and len(aggregate_id) <= 100
        and type(data) is dict
        and type(occurred_at) is str
    ):
        return None
    try:
        when = datetime.fromisoformat(occurred_at)  # AwareDateTime's own parser
    except ValueError:
        return None
    if when.utcoffset() is None:
        return None
    return {
        "id": event_id,
        "type": kind,
        "version": version,
        "occurred_at": when,
        "producer": producer,
        "aggregate_id": aggregate_id,
        "data": dict(data),
    }


def load_envelope(payload: Any, sender: str | None) -> dict[str, Any]:
    """The validated envelope, its id as canonical text; 422 when malformed, 403 when
    `sender` is not its producer."""
    envelope = _plainly_well_formed(payload)
    if envelope is None:
        try:
            envelope = _ENVELOPE.load(payload if isinstance(payload, dict) else {})
        except ma.ValidationError as exc:
            raise CakapError(
                422, "The event envelope is malformed.", errors=flatten_errors(exc.messages)
            ) from None
        envelope["id"] = str(envelope["id"])
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
    event_id = envelope["id"]
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
            handler(envelope)
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


# --- the batch form -----------------------------------------------------------
# Per-event answers of POST /internal/events/batch. handled, duplicate and parked are
# kept (the sender marks them delivered); retry was not kept (sent again with backoff);
# rejected is malformed (dead-lettered); deferred was not tried, because an earlier event
# of its aggregate in the batch was not kept or the batch ran out of time (sent again,
# without counting an attempt).
KEPT = frozenset({"handled", "duplicate", "parked"})
BATCH_STATUSES = KEPT | {"retry", "rejected", "deferred"}
MAX_BATCH = 500
# A batch stops trying new events after this long and defers the rest, so that its answer
# comes well within the sender's read timeout and the write lock is not held for long.
BATCH_BUDGET_SECONDS = 10.0


def _checked(payload: Any, sender: str | None) -> dict[str, Any] | CakapError:
    """The envelope, or its 422; a 403 (someone else's event) fails the whole batch."""
    try:
        return load_envelope(payload, sender)
    except CakapError as exc:
        if exc.code == 403:
            raise
        return exc


def _begin_batch(session: scoped_session[Any]) -> None:
    """Open the batch's transaction now, so that each event's savepoint nests inside it.

    pysqlite opens a transaction only before its first INSERT/UPDATE, so a SAVEPOINT
    before that would start (and its RELEASE commit) a transaction of its own. BEGIN
    IMMEDIATE also takes SQLite's write lock up front: a read-then-write transaction
    could otherwise fail at once instead of waiting when another process wrote meanwhile.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.dbapi_connection
    if raw is not None and not raw.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _inbox_row(envelope: dict[str, Any], handled: bool) -> dict[str, Any]:
    """The inbox row recording `envelope`, handled or parked."""
    return {
        "event_id": envelope["id"],
        "type": envelope["type"],
        "version": envelope["version"],
        "producer": envelope["producer"],
        "status": HANDLED if handled else PARKED,
        "reason": None if handled else "no handler for this type and version",
        "received_at": utcnow(),
    }


def _key(envelope: dict[str, Any]) -> tuple[str, int]:
    return envelope["type"], envelope["version"]


def _lane(envelope: dict[str, Any]) -> tuple[str, str]:
    return envelope["producer"], envelope["aggregate_id"]


class _Batch:
    """One batch being applied: what is already in the inbox, which aggregates are stalled."""

    def __init__(
        self,
        session: scoped_session[Any],
        inbox: type[InboxEventMixin],
        handlers: dict[tuple[str, int], Handler],
        batch_handlers: dict[tuple[str, int], BatchHandler],
        seen: set[str],
    ) -> None:
        self.session = session
        self.inbox = inbox
        self.table = inbox.__table__  # type: ignore[attr-defined]
        self.handlers = handlers
        self.batch_handlers = batch_handlers
        self.seen = seen  # ids in the inbox, or kept earlier in this batch
        self.stalled: set[tuple[str, str]] = set()  # aggregates with an event not kept
        self.deadline = time.monotonic() + BATCH_BUDGET_SECONDS
        self.tried = False  # the budget defers nothing before one event was tried: progress

    def apply(self, checked: list[dict[str, Any] | CakapError]) -> list[dict[str, Any]]:
        """One answer per event, in order: runs through their batch handler, else one by one."""
        results: list[dict[str, Any]] = []
        index = 0
        while index < len(checked):
            run = self.run_at(checked, index)
            if run and (not self.tried or time.monotonic() < self.deadline) and self.apply_run(run):
                results += [{"id": e["id"], "status": "handled"} for e in run]
                self.seen.update(e["id"] for e in run)
            else:
                results += [self.one(e) for e in checked[index : index + max(len(run), 1)]]
            index += max(len(run), 1)
        return results

    def run_at(
        self, checked: list[dict[str, Any] | CakapError], start: int
    ) -> list[dict[str, Any]]:
        """The events from `start` on that a batch handler takes at once: consecutive, of one
        type and version that has one, new, and of no stalled aggregate; two or more."""
        run: list[dict[str, Any]] = []
        in_run: set[str] = set()  # a set, not a scan of the run: runs are hundreds long
        for envelope in checked[start:]:
            if not isinstance(envelope, dict) or _key(envelope) not in self.batch_handlers:
                break
            if run and _key(envelope) != _key(run[0]):
                break
            event_id = envelope["id"]
            if event_id in self.seen or event_id in in_run:
                break
            if _lane(envelope) in self.stalled:
                break
            run.append(envelope)
            in_run.add(event_id)
        return run if len(run) > 1 else []

    def apply_run(self, run: list[dict[str, Any]]) -> bool:
        """Record and handle a run in one savepoint; False if it raised (nothing of it kept:
        the events are then applied again one by one, each with its own answer)."""
        self.tried = True
        savepoint = self.session.begin_nested()
        try:
            rows = [_inbox_row(envelope, handled=True) for envelope in run]
            self.session.execute(insert(self.table), rows)
            self.batch_handlers[_key(run[0])](run)
            savepoint.commit()
        except Exception:
            savepoint.rollback()
            log.warning("a batch handler raised: its events one by one instead", exc_info=True)
            return False
        return True

    def one(self, envelope: dict[str, Any] | CakapError) -> dict[str, Any]:
        """The answer for one event (applying it when it is its turn)."""
        if isinstance(envelope, CakapError):
            return {"id": None, "status": "rejected", "detail": envelope.description}
        event_id = envelope["id"]
        if _lane(envelope) in self.stalled:
            return {"id": event_id, "status": "deferred"}
        if event_id in self.seen:
            return {"id": event_id, "status": "duplicate"}
        if self.tried and time.monotonic() > self.deadline:
            self.stalled.add(_lane(envelope))
            return {"id": event_id, "status": "deferred"}
        result = self.apply_one(envelope, self.handlers.get(_key(envelope)))
        self.tried = True
        if result["status"] == "retry":
            self.stalled.add(_lane(envelope))
        elif result["status"] != "rejected":
            self.seen.add(event_id)  # the same id again in this batch is a duplicate
        return result

    def apply_one(self, envelope: dict[str, Any], handler: Handler | None) -> dict[str, Any]:
        """Record and handle one event in a savepoint of the batch's transaction.

        The inbox row is written first, as in `receive`: a concurrent twin waits on its key
        and then fails there, before running the handler a second time.
        """
        event_id = envelope["id"]
        savepoint = self.session.begin_nested()
        try:
            # One Core statement with parameters (compiled once), not session.add: the
            # ORM's unit of work per row was a third of the batch's cost.
            self.session.execute(insert(self.table), _inbox_row(envelope, handler is not None))
            if handler is not None:
                handler(envelope)
            savepoint.commit()  # flushes the handler's changes: their IntegrityError is here
        except IntegrityError:
            savepoint.rollback()
            if self.session.get(self.inbox, event_id) is not None:  # a concurrent twin's
                return {"id": event_id, "status": "duplicate"}
            log.warning("event %s conflicted, to be delivered again", event_id)
            return {
                "id": event_id,
                "status": "retry",
                "detail": "conflicted with a concurrent change",
            }
        except EventRejected as exc:
            savepoint.rollback()
            return {"id": event_id, "status": "rejected", "detail": f"invalid data: {exc}"}
        except Exception as exc:
            savepoint.rollback()
            log.exception("event %s failed in a batch", event_id)
            return {"id": event_id, "status": "retry", "detail": exc.__class__.__name__}
        return {"id": event_id, "status": "handled" if handler else "parked"}


def receive_batch(
    db: SQLAlchemy,
    inbox: type[InboxEventMixin],
    handlers: dict[tuple[str, int], Handler],
    payloads: list[Any],
    sender: str | None = None,
    batch_handlers: dict[tuple[str, int], BatchHandler] | None = None,
) -> list[dict[str, Any]]:
    """Handle a batch of delivered events, each exactly once; one answer per event, in order.

    One transaction for the batch (one commit: that is what makes it fast), one savepoint
    per event (or per run of events a batch handler takes), so that an event that fails or
    is refused keeps nothing while the others are kept. Events are applied in the order
    sent; once one is not kept, the later events of its aggregate are deferred, so the
    order per aggregate holds. Nothing is answered as kept before the commit: if it
    fails, the request fails and all are sent again.
    """
    checked = [_checked(payload, sender) for payload in payloads]
    session = db.session
    ids = [e["id"] for e in checked if isinstance(e, dict)]
    # Ids already in the inbox, read in one query (a twin arriving meanwhile is still
    # caught by the inbox row's unique key).
    seen = set(session.scalars(select(inbox.event_id).where(inbox.event_id.in_(ids))))
    try:
        _begin_batch(session)
        results = _Batch(session, inbox, handlers, batch_handlers or {}, seen).apply(checked)
        session.commit()
    except Exception:
        session.rollback()
        raise
    for result in results:
        if result["status"] == "parked":
            log.warning("parked unknown event", extra={"fields": {"event_id": result["id"]}})
    return results

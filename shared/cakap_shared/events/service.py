"""Events between services: transactional outbox, at-least-once delivery, idempotent inbox.

See docs/decisions/0003-events-outbox.md. A service publishes by adding an outbox row
in the same transaction as its state change; a separate delivery process per service
fans each event out to the subscribers named in the peers' manifests and POSTs it with
backoff; consumers record each handled event id in their inbox, in the handler's
transaction, and acknowledge duplicates without acting twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import marshmallow as ma
import requests
from flask import Blueprint, Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import (
    Boolean,
    DateTime,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from .auth import require_roles
from .db import utcnow
from .problems import CakapError
from .service_auth import TokenSource

log = logging.getLogger("cakap.events")

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
HANDLED, PARKED = "handled", "parked"


class OutboxEventMixin:
    """An event written in the producer's transaction, waiting to be fanned out."""

    __tablename__ = "outbox_events"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    type: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    aggregate_id: Mapped[str] = mapped_column(String(100))
    producer: Mapped[str] = mapped_column(String(50))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    data: Mapped[str] = mapped_column(Text)
    fanned_out: Mapped[bool] = mapped_column(Boolean, default=False, index=True)

    def envelope(self) -> dict[str, Any]:
        """The event as sent on the wire."""
        return {
            "id": self.id,
            "type": self.type,
            "version": self.version,
            "occurred_at": _aware(self.occurred_at).isoformat(),
            "producer": self.producer,
            "aggregate_id": self.aggregate_id,
            "data": json.loads(self.data),
        }


class OutboxDeliveryMixin:
    """One event on its way to one subscriber."""

    __tablename__ = "outbox_deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_seq: Mapped[int] = mapped_column(Integer, index=True)
    subscriber: Mapped[str] = mapped_column(String(50))
    aggregate_id: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default=PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    @declared_attr.directive
    def __table_args__(cls) -> tuple:
        return (UniqueConstraint("event_seq", "subscriber", name="uq_delivery_event_subscriber"),)


class InboxEventMixin:
    """An event this service received: handled once, or parked as unknown."""

    __tablename__ = "inbox_events"
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    producer: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


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


Handler = Callable[[dict[str, Any]], None]


@dataclass
class _Models:
    outbox: type[OutboxEventMixin]
    delivery: type[OutboxDeliveryMixin]
    inbox: type[InboxEventMixin]


class Events:
    """A service's events: what it publishes, what it handles, and the endpoints for both."""

    def __init__(self, producer: str, publishes: list[str]) -> None:
        self.producer = producer
        self.publishes = list(publishes)
        self.handlers: dict[tuple[str, int], Handler] = {}
        self.db: SQLAlchemy | None = None
        self.models: _Models | None = None

    # --- declaring -------------------------------------------------------
    def handler(self, event_type: str, version: int = 1) -> Callable[[Handler], Handler]:
        """Register the function that handles `event_type` at `version`."""

        def register(func: Handler) -> Handler:
            self.handlers[(event_type, version)] = func
            return func

        return register

    @property
    def subscribes(self) -> list[str]:
        """Event types this service consumes (for its manifest)."""
        return sorted({t for t, _ in self.handlers})

    def init_app(
        self,
        app: Flask,
        db: SQLAlchemy,
        outbox: type[OutboxEventMixin],
        delivery: type[OutboxDeliveryMixin],
        inbox: type[InboxEventMixin],
    ) -> None:
        """Attach the inbox endpoint, the outbox admin endpoints and the delivery command."""
        self.db = db
        self.models = _Models(outbox, delivery, inbox)
        app.register_blueprint(self._blueprint())
        app.extensions["cakap_events"] = self

        @app.cli.command("deliver-events")
        def deliver_events() -> None:
            """Run this service's outbox delivery loop until stopped."""
            DeliveryWorker.from_app(app, self).run_forever()

    # --- publishing ------------------------------------------------------
    def publish(
        self, event_type: str, data: dict[str, Any], aggregate_id: str, version: int = 1
    ) -> OutboxEventMixin:
        """Add the event to the current transaction; it is sent only if that commits."""
        assert self.db is not None and self.models is not None, "Events.init_app not called"
        if event_type not in self.publishes:
            raise ValueError(f"{self.producer} does not declare event {event_type}")
        event = self.models.outbox(
            id=str(uuid.uuid4()),
            type=event_type,
            version=version,
            aggregate_id=str(aggregate_id),
            producer=self.producer,
            occurred_at=utcnow(),
            data=json.dumps(data, default=str),
            fanned_out=False,
        )
        self.db.session.add(event)
        return event

    # --- consuming -------------------------------------------------------
    def receive(self, payload: Any, sender: str | None = None) -> tuple[dict[str, Any], int]:
        """Handle one delivered event exactly once; returns (body, status).

        `sender` is the calling service's token subject: a service may only deliver
        events it produced itself.
        """
        assert self.db is not None and self.models is not None
        try:
            envelope = EnvelopeSchema().load(payload if isinstance(payload, dict) else {})
        except ma.ValidationError as exc:
            from .problems import flatten_errors

            raise CakapError(
                422, "The event envelope is malformed.", errors=flatten_errors(exc.messages)
            ) from None
        if sender is not None and sender != f"service:{envelope['producer']}":
            raise CakapError(
                403, f"{sender} may not deliver events produced by {envelope['producer']}."
            )
        event_id = str(envelope["id"])
        session = self.db.session
        if session.get(self.models.inbox, event_id) is not None:
            return {"status": "duplicate", "id": event_id}, 200
        key = (envelope["type"], envelope["version"])
        handler = self.handlers.get(key)
        record = self.models.inbox(
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
            return {"status": "duplicate", "id": event_id}, 200
        except EventRejected as exc:
            session.rollback()
            raise CakapError(422, f"The event's data is invalid: {exc}") from None
        except Exception:
            session.rollback()
            raise
        if handler is None:
            log.warning(
                "parked unknown event %s v%s", *key, extra={"fields": {"event_id": event_id}}
            )
            return {"status": "parked", "id": event_id}, 202
        return {"status": "handled", "id": event_id}, 200

    # --- endpoints -------------------------------------------------------
    def _blueprint(self) -> Blueprint:
        bp = Blueprint("cakap_events", __name__)
        events = self

        @bp.post("/internal/events")
        def receive_event():
            """Receive one event from a peer service (role service only)."""
            sender = require_roles("service")
            payload = request.get_json(silent=True)
            if payload is None:
                raise CakapError(400, "The body must be a JSON event envelope.")
            body, status = events.receive(payload, sender=sender.id)
            return jsonify(body), status

        @bp.get("/internal/outbox/stats")
        def outbox_stats():
            """Delivery state: pending, oldest pending age, failures, dead letters, parked."""
            require_roles("admin", "service")
            return jsonify(events.stats())

        @bp.get("/internal/outbox/dead-letters")
        def dead_letters():
            """Deliveries that gave up after the maximum number of attempts."""
            require_roles("admin")
            return jsonify(items=events.dead_letters())

        @bp.post("/internal/outbox/dead-letters/<int:delivery_id>/retry")
        def retry_dead_letter(delivery_id: int):
            """Put a dead letter back in the queue."""
            principal = require_roles("admin")
            events.retry(delivery_id)
            log.info(
                "dead letter retried",
                extra={"fields": {"delivery_id": delivery_id, "actor": principal.id}},
            )
            return jsonify(status=PENDING, id=delivery_id)

        # The same, for the admin's operations page through the gateway (which blocks
        # /internal): one prefix per producer, so the gateway knows whose outbox it is.
        public = f"/api/v1/outbox/{self.producer}"

        @bp.get(public)
        def public_outbox_stats():
            """Delivery state of this service's events (admins)."""
            require_roles("admin")
            return jsonify(events.stats())

        @bp.get(f"{public}/dead-letters")
        def public_dead_letters():
            """This service's dead letters, newest first (admins)."""
            require_roles("admin")
            return jsonify(items=events.dead_letters())

        @bp.post(f"{public}/dead-letters/<int:delivery_id>/retry")
        def public_retry_dead_letter(delivery_id: int):
            """Put a dead letter back in the queue (admins)."""
            return retry_dead_letter(delivery_id)

        return bp

    def stats(self) -> dict[str, Any]:
        """Counts and ages for /internal/outbox/stats."""
        assert self.db is not None and self.models is not None
        s, m = self.db.session, self.models
        pending = s.scalar(
            select(func.count()).select_from(m.delivery).where(m.delivery.status == PENDING)
        )
        unfanned = s.scalar(
            select(func.count()).select_from(m.outbox).where(m.outbox.fanned_out.is_(False))
        )
        oldest = s.scalar(
            select(func.min(m.outbox.occurred_at))
            .join(m.delivery, m.delivery.event_seq == m.outbox.seq)
            .where(m.delivery.status == PENDING)
        )
        oldest_unfanned = s.scalar(
            select(func.min(m.outbox.occurred_at)).where(m.outbox.fanned_out.is_(False))
        )
        candidates = [_aware(t) for t in (oldest, oldest_unfanned) if t is not None]
        oldest_age = (utcnow() - min(candidates)).total_seconds() if candidates else 0.0
        failing = s.scalar(
            select(func.count())
            .select_from(m.delivery)
            .where(m.delivery.status == PENDING, m.delivery.attempts > 0)
        )
        dead = s.scalar(
            select(func.count()).select_from(m.delivery).where(m.delivery.status == DEAD)
        )
        delivered = s.scalar(
            select(func.count()).select_from(m.delivery).where(m.delivery.status == DELIVERED)
        )
        parked = s.scalar(select(func.count()).select_from(m.inbox).where(m.inbox.status == PARKED))
        handled = s.scalar(
            select(func.count()).select_from(m.inbox).where(m.inbox.status == HANDLED)
        )
        return {
            "producer": self.producer,
            "pending": (pending or 0) + (unfanned or 0),
            "oldest_pending_age_seconds": round(oldest_age, 3),
            "failing": failing or 0,
            "dead": dead or 0,
            "delivered": delivered or 0,
            "inbox": {"handled": handled or 0, "parked": parked or 0},
        }

    def dead_letters(self) -> list[dict[str, Any]]:
        """The dead-letter list, newest first."""
        assert self.db is not None and self.models is not None
        m = self.models
        rows = self.db.session.execute(
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

    def retry(self, delivery_id: int) -> None:
        """Requeue a dead letter now."""
        assert self.db is not None and self.models is not None
        delivery = self.db.session.get(self.models.delivery, delivery_id)
        if delivery is None or delivery.status != DEAD:
            raise CakapError(404, "No dead letter with this id.")
        delivery.status = PENDING
        delivery.attempts = 0
        delivery.next_attempt_at = utcnow()
        self.db.session.commit()


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything we store is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


# --- delivery -------------------------------------------------------------

Transport = Callable[[str, dict[str, Any], dict[str, str]], tuple[int, str]]


def http_transport(url: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, str]:
    """POST with connect and read timeouts; (status, text), 0 for no answer."""
    try:
        response = requests.post(url, json=body, headers=headers, timeout=(2, 10))
    except requests.RequestException as exc:
        return 0, exc.__class__.__name__
    return response.status_code, response.text[:500]


class DeliveryWorker:
    """Fans events out to subscribers and sends them with backoff, in order per aggregate."""

    standby_poll = 2.0  # seconds between a standby replica's tries for the lock

    def __init__(
        self,
        app: Flask,
        events: Events,
        service_urls: dict[str, str],
        tokens: TokenSource | None,
        transport: Transport = http_transport,
        max_attempts: int = 12,
        backoff_base: float = 1.0,
        backoff_cap: float = 300.0,
        manifest_ttl: float = 30.0,
    ) -> None:
        self.app = app
        self.events = events
        self.service_urls = service_urls
        self.tokens = tokens
        self.transport = transport
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.manifest_ttl = manifest_ttl
        self.manifests: dict[str, dict[str, Any]] = {}
        self._manifests_read_at = 0.0
        self._running = True
        self._leadership: Connection | None = None

    @classmethod
    def from_app(cls, app: Flask, events: Events) -> DeliveryWorker:
        """A worker configured from the app's config (SERVICE_URLS, SERVICE_SECRET ...)."""
        tokens = app.extensions.get("cakap_service_tokens")
        urls = {k: v for k, v in app.config["SERVICE_URLS"].items() if k != events.producer}
        return cls(
            app,
            events,
            urls,
            tokens,
            max_attempts=app.config["OUTBOX_MAX_ATTEMPTS"],
            backoff_cap=float(app.config.get("OUTBOX_BACKOFF_CAP", 300)),
        )

    def stop(self, *_: Any) -> None:
        """Finish the current round, then leave run_forever."""
        self._running = False

    def run_forever(self, idle_sleep: float = 0.3) -> None:
        """Deliver until SIGTERM/SIGINT."""
        import signal

        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        log.info(
            "delivery loop started", extra={"fields": {"subscribers": list(self.service_urls)}}
        )
        self.wait_for_schema()
        # A file touched after every good round: the orchestrator's liveness probe reads
        # its age, since this process serves no HTTP (deploy/kubernetes).
        heartbeat = os.environ.get("DELIVERY_HEARTBEAT_FILE")
        while self._running:
            try:
                with self.app.app_context():
                    leading = self.lead()
                    worked = self.run_once() if leading else 0
            except Exception:
                log.exception("delivery round failed")
                time.sleep(5)  # a broken database should not flood the log
                continue
            if heartbeat:
                Path(heartbeat).touch()
            if not leading:
                time.sleep(self.standby_poll)
            elif not worked:
                time.sleep(idle_sleep)
        self.resign()

    def lead(self) -> bool:
        """Whether this process may deliver now: one delivery loop per service at a time.

        Several replicas may run (Kubernetes); on PostgreSQL the one holding a session
        advisory lock delivers and the others stand by, taking over when its connection
        dies. That keeps each delivery sent once by one loop and the order per aggregate.
        SQLite (development) has one loop per service and needs no lock.
        """
        assert self.events.db is not None
        engine = self.events.db.engine
        if engine.dialect.name != "postgresql":
            return True
        if self._leadership is not None:
            try:
                self._leadership.execute(text("SELECT 1"))
                self._leadership.commit()
                return True
            except Exception:
                log.warning("lost the delivery lock's connection; standing by")
                self.resign()
                return False
        connection = engine.connect()
        try:
            got = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self._lock_key()}
            ).scalar()
            connection.commit()
        except Exception:
            connection.close()
            raise
        if not got:
            connection.close()
            return False
        log.info("took the delivery lock", extra={"fields": {"producer": self.events.producer}})
        self._leadership = connection
        return True

    def resign(self) -> None:
        """Let another replica deliver (closing the connection releases the lock)."""
        if self._leadership is not None:
            # Invalidate, not close: a closed connection goes back to the pool still
            # holding the session lock; a dead one has nothing left to release.
            with contextlib.suppress(Exception):
                self._leadership.invalidate()
                self._leadership.close()
            self._leadership = None

    def _lock_key(self) -> int:
        """A stable signed 64-bit key per producer (pg advisory locks take a bigint)."""
        digest = hashlib.sha256(f"cakap-delivery:{self.events.producer}".encode()).digest()
        return int.from_bytes(digest[:8], "big", signed=True)

    def wait_for_schema(self, poll: float = 0.5) -> None:
        """Wait until the web process has migrated the database (they start together)."""
        from sqlalchemy import inspect

        assert self.events.db is not None and self.events.models is not None
        table = self.events.models.delivery.__tablename__
        logged = False
        while self._running:
            try:
                with self.app.app_context():
                    if inspect(self.events.db.engine).has_table(table):
                        return
            except Exception as exc:  # database not reachable yet
                if not logged:
                    log.warning("waiting for the database: %s", exc)
                    logged = True
            else:
                if not logged:
                    log.info("waiting for the migrations to create %s", table)
                    logged = True
            time.sleep(poll)

    def run_once(self) -> int:
        """One round: refresh manifests, fan out, send what is due; returns work done."""
        self.refresh_manifests()
        return self.fan_out() + self.deliver_due()

    def refresh_manifests(self, force: bool = False) -> None:
        """Re-read peers' manifests when stale; keep the last known one of a peer that is down."""
        fresh = time.monotonic() - self._manifests_read_at < self.manifest_ttl
        if not force and fresh and len(self.manifests) == len(self.service_urls):
            return
        for name, url in self.service_urls.items():
            try:
                response = requests.get(f"{url}/.well-known/service.json", timeout=(1, 3))
                if response.status_code == 200:
                    self.manifests[name] = response.json()
            except (requests.RequestException, ValueError):
                continue
        self._manifests_read_at = time.monotonic()

    def subscribers_of(self, event_type: str) -> list[str]:
        """Peers whose manifest subscribes to `event_type`."""
        return sorted(n for n, m in self.manifests.items() if event_type in m.get("subscribes", []))

    def fan_out(self) -> int:
        """Create a delivery per subscriber for new events.

        Waits while any configured peer's manifest is still unknown, so that a peer
        down since this process started does not silently miss events.
        """
        if set(self.manifests) != set(self.service_urls):
            return 0
        db, m = self.events.db, self.events.models
        assert db is not None and m is not None
        new = db.session.scalars(
            select(m.outbox).where(m.outbox.fanned_out.is_(False)).order_by(m.outbox.seq).limit(200)
        ).all()
        for event in new:
            for subscriber in self.subscribers_of(event.type):
                db.session.add(
                    m.delivery(
                        event_seq=event.seq,
                        subscriber=subscriber,
                        aggregate_id=event.aggregate_id,
                        status=PENDING,
                        attempts=0,
                        next_attempt_at=utcnow(),
                    )
                )
            event.fanned_out = True
        db.session.commit()
        return len(new)

    def deliver_due(self, limit: int = 100) -> int:
        """Send due deliveries oldest first, never ahead of an earlier one of their aggregate."""
        db, m = self.events.db, self.events.models
        assert db is not None and m is not None
        now = utcnow()
        due = db.session.scalars(
            select(m.delivery)
            .where(m.delivery.status == PENDING)
            .order_by(m.delivery.event_seq)
            .limit(limit)
        ).all()
        blocked: set[tuple[str, str]] = set()
        sent = 0
        for delivery in due:
            lane = (delivery.subscriber, delivery.aggregate_id)
            if lane in blocked:
                continue
            if _aware(delivery.next_attempt_at) > now:
                blocked.add(lane)  # later events of this aggregate wait behind it
                continue
            event = db.session.scalar(select(m.outbox).where(m.outbox.seq == delivery.event_seq))
            if not self._send(delivery, event):
                blocked.add(lane)
            sent += 1
            db.session.commit()
        return sent

    def _send(self, delivery: OutboxDeliveryMixin, event: OutboxEventMixin) -> bool:
        manifest = self.manifests.get(delivery.subscriber, {})
        url = self.service_urls[delivery.subscriber] + manifest.get(
            "events_path", "/internal/events"
        )
        headers = {"X-Request-ID": f"event-{event.id}"}
        try:
            if self.tokens is not None:
                headers["Authorization"] = f"Bearer {self.tokens(delivery.subscriber)}"
        except Exception as exc:  # no token now: retry later like any failure
            status, text = 0, f"token: {exc.__class__.__name__}"
        else:
            status, text = self.transport(url, event.envelope(), headers)
        delivery.attempts += 1
        if 200 <= status < 300:
            delivery.status = DELIVERED
            delivery.delivered_at = utcnow()
            delivery.last_error = None
            return True
        delivery.last_error = f"{status or 'no answer'}: {text}"[:1000]
        # 422: the subscriber read it and says it is malformed; retrying cannot help.
        if status == 422 or delivery.attempts >= self.max_attempts:
            delivery.status = DEAD
            log.error(
                "event dead-lettered",
                extra={"fields": {"event_id": event.id, "subscriber": delivery.subscriber}},
            )
        else:
            delivery.next_attempt_at = utcnow() + timedelta(seconds=self.backoff(delivery.attempts))
        return False

    def backoff(self, attempts: int) -> float:
        """Exponential backoff with full jitter, capped."""
        ceiling = min(self.backoff_cap, self.backoff_base * (2 ** (attempts - 1)))
        return random.uniform(ceiling / 2, ceiling)


__all__ = [
    "DeliveryWorker",
    "EventRejected",
    "Events",
    "InboxEventMixin",
    "OutboxDeliveryMixin",
    "OutboxEventMixin",
]

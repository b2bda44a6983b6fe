"""Delivering: fan each event out to its subscribers and send it with backoff, in order."""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import inspect, select

from ..background import BackgroundLoop
from ..db import aware, utcnow
from ..service_auth import TokenSource
from .leadership import DeliveryLock
from .models import DEAD, DELIVERED, PENDING, EventModels, OutboxDeliveryMixin, OutboxEventMixin

if TYPE_CHECKING:
    from .service import Events

log = logging.getLogger("cakap.events")

Transport = Callable[[str, dict[str, Any], dict[str, str]], tuple[int, str]]


def http_transport(url: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, str]:
    """POST with connect and read timeouts; (status, text), 0 for no answer."""
    try:
        response = requests.post(url, json=body, headers=headers, timeout=(2, 10))
    except requests.RequestException as exc:
        return 0, exc.__class__.__name__
    return response.status_code, response.text[:500]


class DeliveryWorker(BackgroundLoop):
    """Fans events out to subscribers and sends them with backoff, in order per aggregate."""

    name = "outbox-delivery"
    standby_poll = 2.0  # seconds between a standby replica's tries for the lock
    idle_sleep = 0.3  # seconds to wait after a round that found nothing to do

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
        super().__init__()
        self._lock = DeliveryLock(events.producer)

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

    @property
    def _db(self) -> SQLAlchemy:
        assert self.events.db is not None, "Events.init_app not called"
        return self.events.db

    @property
    def _models(self) -> EventModels:
        assert self.events.models is not None, "Events.init_app not called"
        return self.events.models

    # --- the loop ---------------------------------------------------------
    def run_rounds(self) -> None:
        """Deliver until stopped (BackgroundLoop.run_forever or run_in_thread)."""
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
                time.sleep(self.idle_sleep)
        self.resign()

    def lead(self) -> bool:
        """Whether this process may deliver now: one delivery loop per service at a time
        (a PostgreSQL advisory lock among replicas, see DeliveryLock)."""
        return self._lock.hold(self._db.engine)

    def resign(self) -> None:
        """Let another replica deliver (closing the connection releases the lock)."""
        self._lock.release()

    def wait_for_schema(self, poll: float = 0.5) -> None:
        """Wait until the web process has migrated the database (they start together)."""
        table = self._models.delivery.__tablename__
        logged = False
        while self._running:
            try:
                with self.app.app_context():
                    if inspect(self._db.engine).has_table(table):
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

    # --- who subscribes ---------------------------------------------------
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
        db, m = self._db, self._models
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

    # --- sending ----------------------------------------------------------
    def deliver_due(self, limit: int = 100) -> int:
        """Send due deliveries oldest first, never ahead of an earlier one of their aggregate."""
        db, m = self._db, self._models
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
            if aware(delivery.next_attempt_at) > now:
                blocked.add(lane)  # later events of this aggregate wait behind it
                continue
            event = db.session.scalars(
                select(m.outbox).where(m.outbox.seq == delivery.event_seq)
            ).one()
            if not self._send(delivery, event):
                blocked.add(lane)
            sent += 1
            db.session.commit()
        return sent

    def _post(self, delivery: OutboxDeliveryMixin, event: OutboxEventMixin) -> tuple[int, str]:
        """(status, text) of one attempt; 0 when there was no answer, or no token to send."""
        manifest = self.manifests.get(delivery.subscriber, {})
        url = self.service_urls[delivery.subscriber] + manifest.get(
            "events_path", "/internal/events"
        )
        headers = {"X-Request-ID": f"event-{event.id}"}
        try:
            if self.tokens is not None:
                headers["Authorization"] = f"Bearer {self.tokens(delivery.subscriber)}"
        except Exception as exc:  # no token now: retry later like any failure
            return 0, f"token: {exc.__class__.__name__}"
        return self.transport(url, event.envelope(), headers)

    def _send(self, delivery: OutboxDeliveryMixin, event: OutboxEventMixin) -> bool:
        status, text = self._post(delivery, event)
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

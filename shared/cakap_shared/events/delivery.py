"""Delivering: fan each event out to its subscribers and send it with backoff, in order."""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Row, func, insert, inspect, select, update

from ..background import BackgroundLoop
from ..db import aware, utcnow
from ..service_auth import TokenSource
from .inbox import BATCH_STATUSES, KEPT, MAX_BATCH
from .leadership import DeliveryLock
from .models import DEAD, DELIVERED, PENDING, EventModels, OutboxDeliveryMixin, envelope_of

if TYPE_CHECKING:
    from .service import Events

log = logging.getLogger("cakap.events")

Transport = Callable[[str, dict[str, Any], dict[str, str]], tuple[int, str]]

# A pending delivery as the queue is read: id, event_seq, aggregate_id, next_attempt_at.
Due = Row[int, int, str, datetime]
# Its event as read: seq, id, type, version, occurred_at, producer, aggregate_id, data (JSON).
EventRow = Row[int, str, str, int, datetime, str, str, str]
# A due delivery with its event's envelope, as it is sent.
Outgoing = tuple[Due, dict[str, Any]]

# Which share of a subscriber's aggregates a sending thread serves: (this one, of how many).
Part = tuple[int, int]

FAN_OUT_CHUNK = 1000  # events fanned out per transaction
# A batch's body stays well under the subscribers' MAX_CONTENT_LENGTH (2 MB by default).
MAX_BATCH_BYTES = 1_000_000


def _in_part(aggregate_id: str, part: Part) -> bool:
    """Whether the aggregate's deliveries are sent by the thread serving `part` (a stable
    hash: all of one aggregate's events go through the same thread, in order)."""
    return part[1] == 1 or zlib.crc32(aggregate_id.encode()) % part[1] == part[0]


def http_transport(url: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, str]:
    """POST with connect and read timeouts; (status, text), 0 for no answer.

    A batch (`{"events": [...]}`) may take the subscriber several seconds to apply
    (inbox.BATCH_BUDGET_SECONDS), so it gets a longer read timeout than one event.
    """
    read_timeout = 60 if "events" in body else 10
    try:
        response = requests.post(url, json=body, headers=headers, timeout=(2, read_timeout))
    except requests.RequestException as exc:
        return 0, exc.__class__.__name__
    return response.status_code, response.text


class DeliveryWorker(BackgroundLoop):
    """Fans events out to subscribers and sends them in batches with backoff, in order per
    aggregate: the loop's thread fans out, and threads per subscriber send."""

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
        batch_size: int = 500,
        senders: int = 2,
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
        self.batch_size = max(1, min(batch_size, MAX_BATCH))
        self.senders = max(1, senders)
        self.manifests: dict[str, dict[str, Any]] = {}
        self._manifests_read_at = 0.0
        super().__init__()
        self._leading = threading.Event()  # set while this process holds the delivery lock
        self._senders: dict[tuple[str, int], threading.Thread] = {}
        # Set by a fan-out that made deliveries: the sending threads start on them at once
        # instead of after their idle sleep.
        self._news: dict[tuple[str, int], threading.Event] = {}
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
            batch_size=app.config["OUTBOX_BATCH_SIZE"],
            senders=app.config["OUTBOX_SENDERS"],
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
        """Deliver until stopped (BackgroundLoop.run_forever or run_in_thread): this thread
        fans out, threads per subscriber send."""
        log.info(
            "delivery loop started", extra={"fields": {"subscribers": list(self.service_urls)}}
        )
        self.wait_for_schema()
        # A file touched after every good round: the orchestrator's liveness probe reads
        # its age, since this process serves no HTTP (deploy/kubernetes).
        heartbeat = os.environ.get("DELIVERY_HEARTBEAT_FILE")
        while self.running:
            try:
                with self.app.app_context():
                    leading = self.lead()
                    worked = self.run_once() if leading else 0
            except Exception:
                log.exception("delivery round failed")
                self._leading.clear()
                self.pause(5)  # a broken database should not flood the log
                continue
            if leading:
                self._leading.set()
                self._start_senders()
            else:
                self._leading.clear()
            if heartbeat:
                Path(heartbeat).touch()
            if not leading:
                self.pause(self.standby_poll)
            elif not worked:
                self.pause(self.idle_sleep)
        self._leading.clear()
        for news in self._news.values():
            news.set()  # a sending thread waiting for work leaves now
        for thread in self._senders.values():
            # A batch still unanswered after this is sent again by the next leader (the
            # inbox acknowledges what it already kept): nothing is marked without an answer.
            thread.join(timeout=30)
        self.resign()

    def _start_senders(self) -> None:
        """Sending threads per subscriber, so that a slow or absent one holds up no other.

        `senders` threads each (2 by default) split the subscriber's aggregates between
        them (`_in_part`): while one thread's batch is applied, the other reads and
        records, and each aggregate still has one batch in flight at a time.
        """
        for subscriber in self.service_urls:
            for part in range(self.senders):
                if (subscriber, part) not in self._senders:
                    self._news[(subscriber, part)] = news = threading.Event()
                    thread = threading.Thread(
                        target=self._send_loop,
                        args=(subscriber, (part, self.senders), news),
                        name=f"deliver-{subscriber}-{part}",
                        daemon=True,
                    )
                    self._senders[(subscriber, part)] = thread
                    thread.start()

    def _send_loop(self, subscriber: str, part: Part, news: threading.Event) -> None:
        """Send `subscriber`'s due deliveries of the aggregates in `part`, batch after batch,
        while this process leads; when there was nothing, wait for `news` of a fan-out (or
        idle_sleep, for deliveries whose backoff ends).

        It makes one pass even when stopped before it started, then leaves with the loop.
        """
        while True:
            news.clear()  # a fan-out from now on is news for the next wait
            sent = 0
            if self._leading.is_set():
                try:
                    with self.app.app_context():
                        sent = self.deliver_to(subscriber, part)
                except Exception:
                    log.exception("delivery to %s failed", subscriber)
                    self.pause(5)
            if not self.running:
                return
            if not sent:
                news.wait(self.idle_sleep)

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
        while self.running:
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
        """One round: refresh manifests, fan out, and send what is due unless the sending
        threads do (they start after the first round); returns work done."""
        self.refresh_manifests()
        fanned = self.fan_out()
        return fanned if self._senders else fanned + self.deliver_due()

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
        """Create a delivery per subscriber for new events, in bulk.

        Waits while any configured peer's manifest is still unknown, so that a peer
        down since this process started does not silently miss events.
        """
        if set(self.manifests) != set(self.service_urls):
            return 0
        db, m = self._db, self._models
        new = db.session.execute(
            select(m.outbox.seq, m.outbox.type, m.outbox.aggregate_id)
            .where(m.outbox.fanned_out.is_(False))
            .order_by(m.outbox.seq)
            .limit(FAN_OUT_CHUNK)
        ).all()
        if not new:
            return 0
        now = utcnow()
        rows = [
            {
                "event_seq": seq,
                "subscriber": subscriber,
                "aggregate_id": aggregate_id,
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": now,
            }
            for seq, event_type, aggregate_id in new
            for subscriber in self.subscribers_of(event_type)
        ]
        if rows:
            db.session.execute(insert(m.delivery), rows)
        db.session.execute(
            update(m.outbox)
            .where(m.outbox.seq.in_([seq for seq, _, _ in new]))
            .values(fanned_out=True)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        if rows:
            for news in self._news.values():
                news.set()
        return len(new)

    # --- sending ----------------------------------------------------------
    def deliver_due(self) -> int:
        """Send one batch of due deliveries to each subscriber in turn; returns how many."""
        return sum(self.deliver_to(subscriber) for subscriber in sorted(self.service_urls))

    def deliver_to(self, subscriber: str, part: Part = (0, 1)) -> int:
        """Send one batch of `subscriber`'s due deliveries (of the aggregates in `part`);
        returns how many were sent.

        A peer whose manifest names no batch path (an older release) gets them one by one.
        """
        batch = self._due_batch(subscriber, part)
        if not batch:
            return 0
        manifest = self.manifests.get(subscriber, {})
        if "events_batch_path" not in manifest:
            return self._send_one_by_one(subscriber, batch)
        self._send_batch(subscriber, manifest["events_batch_path"], batch)
        return len(batch)

    def _due_batch(self, subscriber: str, part: Part) -> list[Outgoing]:
        """Up to batch_size due deliveries of `subscriber` with their envelopes, oldest first.

        Most come from the oldest end of the queue; a quarter of the batch is kept for the
        newest, so that an event written behind a long backlog (an import's thousands)
        does not wait for all of it. Either way a delivery goes only behind every earlier
        pending one of its aggregate (`_heads_only`), so the order per aggregate is kept.
        The queue and the events are read as plain rows (the ORM's objects cost more than
        the rest), and the read ends here: no connection is held while the batch is sent.
        """
        db, m = self._db, self._models
        d = m.delivery
        pending = select(d.id, d.event_seq, d.aggregate_id, d.next_attempt_at).where(
            d.subscriber == subscriber, d.status == PENDING
        )
        # Read for all parts, kept for ours: a part's rows of the oldest end are still the
        # oldest of its queue (and of the newest end, the newest), whole aggregates each.
        share = part[1]
        oldest = [
            row
            for row in db.session.execute(
                pending.order_by(d.event_seq).limit((self.batch_size * 3 // 2) * share)
            ).all()
            if _in_part(row.aggregate_id, part)
        ]
        if not oldest:
            db.session.commit()
            return []
        in_oldest = {row.id for row in oldest}
        newest = [
            row
            for row in db.session.execute(
                pending.order_by(d.event_seq.desc()).limit((self.batch_size // 4) * share)
            ).all()
            if row.id not in in_oldest and _in_part(row.aggregate_id, part)
        ]
        chosen = self._lanes_from(sorted(newest, key=lambda r: r.event_seq), self.batch_size // 4)
        if chosen:
            chosen = self._heads_only(subscriber, chosen)
        chosen += self._lanes_from(oldest, self.batch_size - len(chosen))
        chosen.sort(key=lambda r: r.event_seq)
        o = m.outbox
        events = {
            e.seq: e
            for e in db.session.execute(
                select(
                    o.seq,
                    o.id,
                    o.type,
                    o.version,
                    o.occurred_at,
                    o.producer,
                    o.aggregate_id,
                    o.data,
                ).where(o.seq.in_([r.event_seq for r in chosen]))
            )
        }
        db.session.commit()
        sized = self._within_size([(r, events[r.event_seq]) for r in chosen])
        return [(row, envelope_of(event)) for row, event in sized]

    def _lanes_from(self, window: Sequence[Due], room: int) -> list[Due]:
        """The due deliveries of `window` (in event order), stopping each aggregate's lane
        at its first delivery not due yet; at most `room`."""
        now = utcnow()
        blocked: set[str] = set()
        chosen: list[Due] = []
        for delivery in window:
            if len(chosen) >= room:
                break
            if delivery.aggregate_id in blocked:
                continue
            if aware(delivery.next_attempt_at) > now:
                blocked.add(delivery.aggregate_id)  # later events of this aggregate wait
                continue
            chosen.append(delivery)
        return chosen

    def _heads_only(self, subscriber: str, chosen: list[Due]) -> list[Due]:
        """Those of `chosen` (from the newest end) whose aggregate has no earlier pending
        delivery outside them: lanes that start in the newest part of the queue."""
        db, m = self._db, self._models
        lanes = {d.aggregate_id for d in chosen}
        first = dict(
            db.session.execute(
                select(m.delivery.aggregate_id, func.min(m.delivery.event_seq))
                .where(
                    m.delivery.subscriber == subscriber,
                    m.delivery.status == PENDING,
                    m.delivery.aggregate_id.in_(lanes),
                )
                .group_by(m.delivery.aggregate_id)
            ).all()
        )
        lowest: dict[str, int] = {}
        for delivery in chosen:
            lowest.setdefault(delivery.aggregate_id, delivery.event_seq)
        return [d for d in chosen if first.get(d.aggregate_id) == lowest[d.aggregate_id]]

    def _within_size(self, batch: list[tuple[Due, EventRow]]) -> list[tuple[Due, EventRow]]:
        """The longest prefix of `batch` whose envelopes fit in MAX_BATCH_BYTES (at least one):
        a cut prefix still holds every aggregate's events in order."""
        total = 0
        for index, (_, event) in enumerate(batch):
            total += len(event.data) + 400  # the data plus the envelope's other fields
            if total > MAX_BATCH_BYTES and index:
                return batch[:index]
        return batch

    def _send_batch(
        self,
        subscriber: str,
        path: str,
        batch: list[Outgoing],
    ) -> None:
        """POST the batch in one request and record each event's answer, then commit."""
        db, m = self._db, self._models
        body = {"events": [event for _, event in batch]}
        status, text = self._post(subscriber, path, body, f"event-batch-{batch[0][1]['id']}")
        answers = self._batch_answers(status, text, len(batch))
        if answers is None:
            # No usable answer: nothing is known to be kept, so every one is tried again
            # (a 422 for the whole batch is not about any one event: no dead letters).
            error = text if not 200 <= status < 300 else f"malformed batch answer: {text}"
            for row, event in batch:
                delivery = db.session.get_one(m.delivery, row.id)
                self._record(delivery, event, status or 0, error, dead_on_422=False)
            db.session.commit()
            return
        kept: list[int] = []
        for (row, event), answer in zip(batch, answers, strict=True):
            outcome = answer["status"]
            if outcome in KEPT:
                kept.append(row.id)
            elif outcome != "deferred":  # deferred: not tried, sent again as it is
                code = 422 if outcome == "rejected" else 503
                delivery = db.session.get_one(m.delivery, row.id)
                self._record(delivery, event, code, str(answer.get("detail") or outcome))
        if kept:
            db.session.execute(
                update(m.delivery)
                .where(m.delivery.id.in_(kept))
                .values(
                    status=DELIVERED,
                    delivered_at=utcnow(),
                    last_error=None,
                    attempts=m.delivery.attempts + 1,
                )
                .execution_options(synchronize_session=False)
            )
        db.session.commit()

    @staticmethod
    def _batch_answers(status: int, text: str, size: int) -> list[dict[str, Any]] | None:
        """The per-event answers of a batch, or None when the answer is not a usable one."""
        if not 200 <= status < 300:
            return None
        try:
            answers = json.loads(text)["results"]
        except (ValueError, KeyError, TypeError):
            return None
        if not isinstance(answers, list) or len(answers) != size:
            return None
        if not all(isinstance(a, dict) and a.get("status") in BATCH_STATUSES for a in answers):
            return None
        return answers

    def _send_one_by_one(self, subscriber: str, batch: list[Outgoing]) -> int:
        """The single-event form: one POST and one commit per delivery, in order per lane."""
        path = self.manifests.get(subscriber, {}).get("events_path", "/internal/events")
        blocked: set[str] = set()
        sent = 0
        for row, event in batch:
            if row.aggregate_id in blocked:
                continue
            delivery = self._db.session.get_one(self._models.delivery, row.id)
            status, text = self._post(subscriber, path, event, f"event-{event['id']}")
            if not self._record(delivery, event, status, text):
                blocked.add(delivery.aggregate_id)
            sent += 1
            self._db.session.commit()
        return sent

    def _post(
        self, subscriber: str, path: str, body: dict[str, Any], request_id: str
    ) -> tuple[int, str]:
        """(status, text) of one attempt; 0 when there was no answer, or no token to send."""
        headers = {"X-Request-ID": request_id}
        try:
            if self.tokens is not None:
                headers["Authorization"] = f"Bearer {self.tokens(subscriber)}"
        except Exception as exc:  # no token now: retry later like any failure
            return 0, f"token: {exc.__class__.__name__}"
        return self.transport(self.service_urls[subscriber] + path, body, headers)

    def _record(
        self,
        delivery: OutboxDeliveryMixin,
        event: dict[str, Any],
        status: int,
        text: str,
        dead_on_422: bool = True,
    ) -> bool:
        """Count one attempt with its answer: delivered, backed off, or dead-lettered."""
        delivery.attempts += 1
        if 200 <= status < 300:
            delivery.status = DELIVERED
            delivery.delivered_at = utcnow()
            delivery.last_error = None
            return True
        delivery.last_error = f"{status or 'no answer'}: {text}"[:1000]
        # 422: the subscriber read it and says it is malformed; retrying cannot help.
        if (status == 422 and dead_on_422) or delivery.attempts >= self.max_attempts:
            delivery.status = DEAD
            log.error(
                "event dead-lettered",
                extra={"fields": {"event_id": event["id"], "subscriber": delivery.subscriber}},
            )
        else:
            delivery.next_attempt_at = utcnow() + timedelta(seconds=self.backoff(delivery.attempts))
        return False

    def backoff(self, attempts: int) -> float:
        """Exponential backoff with full jitter, capped."""
        ceiling = min(self.backoff_cap, self.backoff_base * (2 ** (attempts - 1)))
        return random.uniform(ceiling / 2, ceiling)

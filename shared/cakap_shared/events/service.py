"""A service's events: what it publishes, what it handles, and where both are wired in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from ..background import register_background_loop
from . import inbox, outbox
from .delivery import DeliveryWorker
from .endpoints import events_blueprint
from .inbox import BatchHandler, Handler
from .models import EventModels, InboxEventMixin, OutboxDeliveryMixin, OutboxEventMixin


class Events:
    """A service's events: what it publishes, what it handles, and the endpoints for both."""

    def __init__(self, producer: str, publishes: list[str]) -> None:
        self.producer = producer
        self.publishes = list(publishes)
        self.handlers: dict[tuple[str, int], Handler] = {}
        self.batch_handlers: dict[tuple[str, int], BatchHandler] = {}
        self.db: SQLAlchemy | None = None
        self.models: EventModels | None = None

    # --- declaring -------------------------------------------------------
    def handler(self, event_type: str, version: int = 1) -> Callable[[Handler], Handler]:
        """Register the function that handles `event_type` at `version`."""

        def register(func: Handler) -> Handler:
            self.handlers[(event_type, version)] = func
            return func

        return register

    def batch_handler(
        self, event_type: str, version: int = 1
    ) -> Callable[[BatchHandler], BatchHandler]:
        """Register a function that handles a run of `event_type` events at once, in order.

        Only for handling that stays inside the database transaction (no mail, no call to
        a peer): a batch's run of such events is applied in one go and, should it raise,
        again one event at a time (so each gets its own answer). It also serves the
        single-event endpoint, called with a list of one.
        """

        def register(func: BatchHandler) -> BatchHandler:
            self.batch_handlers[(event_type, version)] = func
            self.handlers[(event_type, version)] = lambda envelope: func([envelope])
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
        self.models = EventModels(outbox, delivery, inbox)
        app.register_blueprint(events_blueprint(self))
        app.extensions["cakap_events"] = self

        if self.publishes:
            register_background_loop(app, lambda: DeliveryWorker.from_app(app, self))

        @app.cli.command("deliver-events")
        def deliver_events() -> None:
            """Run this service's outbox delivery loop until stopped."""
            DeliveryWorker.from_app(app, self).run_forever()

    def _bound(self) -> tuple[SQLAlchemy, EventModels]:
        assert self.db is not None and self.models is not None, "Events.init_app not called"
        return self.db, self.models

    # --- publishing ------------------------------------------------------
    def publish(
        self, event_type: str, data: dict[str, Any], aggregate_id: str, version: int = 1
    ) -> OutboxEventMixin:
        """Add the event to the current transaction; it is sent only if that commits."""
        db, models = self._bound()
        if event_type not in self.publishes:
            raise ValueError(f"{self.producer} does not declare event {event_type}")
        return outbox.add_event(
            db, models.outbox, self.producer, event_type, data, aggregate_id, version
        )

    # --- consuming -------------------------------------------------------
    def receive(self, payload: Any, sender: str | None = None) -> tuple[dict[str, Any], int]:
        """Handle one delivered event exactly once; returns (body, status).

        `sender` is the calling service's token subject: a service may only deliver
        events it produced itself.
        """
        db, models = self._bound()
        return inbox.receive(db, models.inbox, self.handlers, payload, sender)

    def receive_batch(self, payloads: list[Any], sender: str | None = None) -> list[dict[str, Any]]:
        """Handle delivered events in order, each exactly once; one answer per event."""
        db, models = self._bound()
        return inbox.receive_batch(
            db, models.inbox, self.handlers, payloads, sender, self.batch_handlers
        )

    # --- the outbox's state, for admins ----------------------------------
    def stats(self) -> dict[str, Any]:
        """Counts and ages for /internal/outbox/stats."""
        db, models = self._bound()
        return outbox.outbox_stats(db.session, models, self.producer)

    def dead_letters(self) -> list[dict[str, Any]]:
        """The dead-letter list, newest first."""
        db, models = self._bound()
        return outbox.dead_letters(db.session, models)

    def retry(self, delivery_id: int) -> None:
        """Requeue a dead letter now."""
        db, models = self._bound()
        outbox.retry_dead_letter(db.session, models, delivery_id)

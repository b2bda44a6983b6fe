"""The HTTP side: the inbox endpoint, and the outbox's state and dead letters for admins."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flask import Blueprint, Response, jsonify, request

from ..auth import require_roles
from ..problems import CakapError
from .inbox import MAX_BATCH
from .models import PENDING

if TYPE_CHECKING:
    from .service import Events

log = logging.getLogger("cakap.events")

Answer = Response | tuple[Response, int]


def events_blueprint(events: Events) -> Blueprint:
    """/internal/events(/batch), /internal/outbox/*, /api/v1/outbox/<producer>/* for the gateway."""
    bp = Blueprint("cakap_events", __name__)

    @bp.post("/internal/events")
    def receive_event() -> Answer:
        """Receive one event from a peer service (role service only)."""
        sender = require_roles("service")
        payload = request.get_json(silent=True)
        if payload is None:
            raise CakapError(400, "The body must be a JSON event envelope.")
        body, status = events.receive(payload, sender=sender.id)
        return jsonify(body), status

    @bp.post("/internal/events/batch")
    def receive_events() -> Answer:
        """Receive up to MAX_BATCH events from a peer service in one request (role service only).

        200 with one answer per event, in order (inbox.receive_batch): one event that fails
        does not fail the others. 403 when any event is not the caller's own.
        """
        sender = require_roles("service")
        payload = request.get_json(silent=True)
        items = payload.get("events") if isinstance(payload, dict) else None
        if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
            raise CakapError(
                422, f'The body must be {{"events": [...]}} with 1 to {MAX_BATCH} event envelopes.'
            )
        return jsonify(results=events.receive_batch(items, sender=sender.id))

    @bp.get("/internal/outbox/stats")
    def outbox_stats() -> Answer:
        """Delivery state: pending, oldest pending age, failures, dead letters, parked."""
        require_roles("admin", "service")
        return jsonify(events.stats())

    @bp.get("/internal/outbox/dead-letters")
    def dead_letters() -> Answer:
        """Deliveries that gave up after the maximum number of attempts."""
        require_roles("admin")
        return jsonify(items=events.dead_letters())

    @bp.post("/internal/outbox/dead-letters/<int:delivery_id>/retry")
    def retry_dead_letter(delivery_id: int) -> Answer:
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
    public = f"/api/v1/outbox/{events.producer}"

    @bp.get(public)
    def public_outbox_stats() -> Answer:
        """Delivery state of this service's events (admins)."""
        require_roles("admin")
        return jsonify(events.stats())

    @bp.get(f"{public}/dead-letters")
    def public_dead_letters() -> Answer:
        """This service's dead letters, newest first (admins)."""
        require_roles("admin")
        return jsonify(items=events.dead_letters())

    @bp.post(f"{public}/dead-letters/<int:delivery_id>/retry")
    def public_retry_dead_letter(delivery_id: int) -> Answer:
        """Put a dead letter back in the queue (admins)."""
        return retry_dead_letter(delivery_id)

    return bp

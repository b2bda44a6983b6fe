"""Catalog tables."""

from __future__ import annotations

from cakap_shared.events import InboxEventMixin, OutboxDeliveryMixin, OutboxEventMixin
from cakap_shared.idempotency import IdempotencyRecordMixin

from .extensions import db


class OutboxEvent(OutboxEventMixin, db.Model):
    """Events catalog publishes."""


class OutboxDelivery(OutboxDeliveryMixin, db.Model):
    """Catalog's deliveries in flight."""


class InboxEvent(InboxEventMixin, db.Model):
    """Events catalog has handled."""


class IdempotencyRecord(IdempotencyRecordMixin, db.Model):
    """Remembered POST answers for Idempotency-Key."""

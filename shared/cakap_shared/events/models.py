"""The tables of the event machinery, declared by each service from these mixins."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from ..db import aware, utcnow

# Delivery states (outbox side) and inbox states (consumer side).
PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
HANDLED, PARKED = "handled", "parked"


class OutboxEventMixin:
    """An event written in the producer's transaction, waiting to be fanned out."""

    if TYPE_CHECKING:  # the declarative base's keyword constructor, for the type checker only

        def __init__(self, **columns: Any) -> None: ...

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
        return envelope_of(self)


def envelope_of(event: Any) -> dict[str, Any]:
    """The event as sent on the wire, from its row (an OutboxEventMixin or a plain row)."""
    return {
        "id": event.id,
        "type": event.type,
        "version": event.version,
        "occurred_at": aware(event.occurred_at).isoformat(),
        "producer": event.producer,
        "aggregate_id": event.aggregate_id,
        "data": json.loads(event.data),
    }


class OutboxDeliveryMixin:
    """One event on its way to one subscriber."""

    if TYPE_CHECKING:  # the declarative base's keyword constructor, for the type checker only

        def __init__(self, **columns: Any) -> None: ...

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
    def __table_args__(cls) -> tuple[UniqueConstraint | Index, ...]:
        return (
            UniqueConstraint("event_seq", "subscriber", name="uq_delivery_event_subscriber"),
            # A subscriber's queue, oldest (or newest) first, read from the index in order.
            Index("ix_outbox_deliveries_queue", "subscriber", "status", "event_seq"),
            # The earliest pending event of one aggregate for a subscriber (order per lane).
            Index("ix_outbox_deliveries_lane", "subscriber", "aggregate_id", "status", "event_seq"),
        )


class InboxEventMixin:
    """An event this service received: handled once, or parked as unknown."""

    if TYPE_CHECKING:  # the declarative base's keyword constructor, for the type checker only

        def __init__(self, **columns: Any) -> None: ...

    __tablename__ = "inbox_events"
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    producer: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


@dataclass
class EventModels:
    """A service's three concrete event tables."""

    outbox: type[OutboxEventMixin]
    delivery: type[OutboxDeliveryMixin]
    inbox: type[InboxEventMixin]

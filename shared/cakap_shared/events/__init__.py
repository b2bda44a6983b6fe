"""Events between services: transactional outbox, at-least-once delivery, idempotent inbox.

See docs/decisions/0003-events-outbox.md. A service publishes by adding an outbox row
in the same transaction as its state change (`outbox`); a separate delivery process per
service fans each event out to the subscribers named in the peers' manifests and POSTs
it with backoff (`delivery`, one loop at a time by `leadership`); consumers record each
handled event id in their inbox, in the handler's transaction, and acknowledge
duplicates without acting twice (`inbox`). `endpoints` is the HTTP side of both, and
`service.Events` wires them into a service.
"""

from .delivery import DeliveryWorker, Transport, http_transport
from .inbox import EnvelopeSchema, EventRejected, Handler, required_text
from .leadership import DeliveryLock
from .models import (
    DEAD,
    DELIVERED,
    HANDLED,
    PARKED,
    PENDING,
    EventModels,
    InboxEventMixin,
    OutboxDeliveryMixin,
    OutboxEventMixin,
)
from .service import Events

__all__ = [
    "DEAD",
    "DELIVERED",
    "HANDLED",
    "PARKED",
    "PENDING",
    "DeliveryLock",
    "DeliveryWorker",
    "EnvelopeSchema",
    "EventModels",
    "EventRejected",
    "Events",
    "Handler",
    "InboxEventMixin",
    "OutboxDeliveryMixin",
    "OutboxEventMixin",
    "Transport",
    "http_transport",
    "required_text",
]

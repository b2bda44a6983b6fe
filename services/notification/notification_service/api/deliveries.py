"""For admins: e-mails the mail server refused (bounces) or that gave up after retries."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.auth import require_roles
from cakap_shared.schemas import PageArgsSchema, UtcDateTime, page_schema
from flask.views import MethodView
from flask_smorest import Blueprint

from ..domain import contacts
from ..domain.delivery import delivery_page
from ..models import BOUNCED, FAILED, PENDING, SENT, SKIPPED

F = ma.fields
blp = Blueprint(
    "notification_deliveries",
    __name__,
    url_prefix="/api/v1",
    description="E-mail delivery log (admin)",
)


class DeliverySchema(ma.Schema):
    """One e-mail delivery: to whom (person id), its state and the server's last answer."""

    id = F.String()
    person_id = F.String()
    kind = F.Function(lambda d: d.notification.kind)
    title = F.Function(lambda d: d.notification.title)
    person_name = F.Function(lambda d: contacts.name_of(d.person_id))
    address = F.String(allow_none=True, metadata={"description": "where it was sent"})
    channel = F.String()
    status = F.String()
    attempts = F.Integer()
    last_error = F.String(allow_none=True)
    created_at = UtcDateTime()
    sent_at = UtcDateTime(allow_none=True)


class DeliveryArgsSchema(PageArgsSchema):
    status = F.String(
        load_default=BOUNCED, validate=ma.validate.OneOf([BOUNCED, FAILED, PENDING, SENT, SKIPPED])
    )


class DeliveryPageSchema(page_schema(DeliverySchema, "DeliveryPageBase")):  # type: ignore[misc]
    counts = F.Dict(keys=F.String(), values=F.Integer())


@blp.route("/notification-deliveries")
class Deliveries(MethodView):
    """The delivery log."""

    @blp.arguments(DeliveryArgsSchema, location="query")
    @blp.response(200, DeliveryPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Deliveries in one state (bounced by default), newest first, and counts by state."""
        require_roles("admin")
        return delivery_page(args["status"], args["page"], args["per_page"])

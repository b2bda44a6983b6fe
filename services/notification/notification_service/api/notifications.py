"""The caller's inbox: list newest first (optionally unread only), mark read."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.auth import current_principal
from cakap_shared.schemas import PageArgsSchema, UtcDateTime, page_schema
from flask.views import MethodView
from flask_smorest import Blueprint

from ..domain import inbox

F = ma.fields
blp = Blueprint(
    "notifications", __name__, url_prefix="/api/v1", description="The caller's notifications"
)


class NotificationSchema(ma.Schema):
    """One inbox item; title and body in Bahasa Indonesia, *_en in English."""

    id = F.String()
    kind = F.String()
    title = F.String()
    body = F.String()
    title_en = F.String()
    body_en = F.String()
    link = F.String(metadata={"description": "the portal path that acts on it"})
    read = F.Boolean()
    created_at = UtcDateTime()


class InboxPageSchema(page_schema(NotificationSchema, "NotificationPageBase")):  # type: ignore[misc]
    """A page of the inbox and the caller's unread count (the bell)."""

    unread = F.Integer()


class InboxArgsSchema(PageArgsSchema):
    """`unread=true`: only unread items."""

    unread = F.Boolean(load_default=False)


class ReadAllSchema(ma.Schema):
    marked = F.Integer()


@blp.route("/notifications")
class Notifications(MethodView):
    """The caller's inbox."""

    @blp.arguments(InboxArgsSchema, location="query")
    @blp.response(200, InboxPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """My notifications, newest first, with the unread count."""
        person = current_principal()
        return inbox.page(person.id, args["unread"], args["page"], args["per_page"])


@blp.route("/notifications/<notification_id>/read")
class NotificationRead(MethodView):
    """Mark one item read."""

    @blp.response(200, NotificationSchema)
    @blp.alt_response(404, description="Not in your inbox")
    def post(self, notification_id: str) -> Any:
        """Mark one of my notifications read (again: no change)."""
        return inbox.mark_read(current_principal().id, notification_id)


@blp.route("/notifications/read-all")
class NotificationsReadAll(MethodView):
    """Mark everything read."""

    @blp.response(200, ReadAllSchema)
    def post(self) -> dict[str, int]:
        """Mark all my notifications read."""
        return {"marked": inbox.mark_all_read(current_principal().id)}

"""Announcements: BKPSDM sends them to everyone or a unit subtree; people read theirs."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.auth import current_principal, require_roles
from cakap_shared.schemas import PageArgsSchema, UtcDateTime, page_schema
from flask.views import MethodView
from flask_smorest import Blueprint

from ..clients import personnel
from ..domain import announcements

F = ma.fields
V = ma.validate
blp = Blueprint(
    "announcements", __name__, url_prefix="/api/v1", description="Announcements by BKPSDM"
)


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ma.ValidationError("must not be blank")


def _one_line(value: str) -> None:
    # the title becomes an e-mail Subject header, where a line break is refused
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ma.ValidationError("must be one line without control characters")


class AnnouncementInSchema(ma.Schema):
    """The text and the audience: no unit_code (or null) is everyone."""

    title = F.String(required=True, validate=[V.Length(min=1, max=200), _not_blank, _one_line])
    body = F.String(required=True, validate=[V.Length(min=1, max=5000), _not_blank])
    unit_code = F.String(
        load_default=None,
        allow_none=True,
        validate=V.Length(min=1, max=50),
        metadata={"description": "a unit: it and all its sub-units; null: everyone"},
    )
    expires_on = F.Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "last day it is shown on the beranda (local); null: until read"},
    )


class AnnouncementSchema(ma.Schema):
    """One announcement; `recipients` for admins, `read`/`notification_id` for a reader."""

    id = F.String()
    title = F.String()
    body = F.String()
    unit_code = F.String(allow_none=True)
    created_at = UtcDateTime()
    expires_on = F.Date(allow_none=True)
    recipients = F.Integer()
    notification_id = F.String(metadata={"description": "mark read through the inbox"})
    read = F.Boolean()


class AnnouncementArgsSchema(PageArgsSchema):
    """`scope=all` (admins): every announcement sent; `unread=true`: only unread ones of mine."""

    scope = F.String(load_default="mine", validate=V.OneOf(["mine", "all"]))
    unread = F.Boolean(load_default=False)
    current = F.Boolean(load_default=False, metadata={"description": "only those not expired"})


AnnouncementPageSchema = page_schema(AnnouncementSchema, "AnnouncementPage")


@blp.route("/announcements")
class Announcements(MethodView):
    """Announcements."""

    @blp.arguments(AnnouncementArgsSchema, location="query")
    @blp.response(200, AnnouncementPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Those sent to me, newest first (admins: `scope=all`, every one sent)."""
        if args["scope"] == "all":
            require_roles("admin")
            return announcements.sent(args["page"], args["per_page"])
        return announcements.for_reader(
            current_principal().id,
            args["unread"],
            args["page"],
            args["per_page"],
            current_only=args["current"],
        )

    @blp.arguments(AnnouncementInSchema)
    @blp.response(201, AnnouncementSchema)
    @blp.alt_response(422, description="Unknown unit (unit-unknown) or nobody in it")
    def post(self, body: dict[str, Any]) -> Any:
        """Send an announcement to everyone or to a unit and its sub-units (admin)."""
        author = require_roles("admin")
        return announcements.publish(
            author.id,
            body["title"].strip(),
            body["body"].strip(),
            body["unit_code"],
            personnel.people_in,
            personnel.unit_exists,
            expires_on=body["expires_on"],
        )

"""The caller's notification preferences: e-mail mode per kind, quiet hours."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.auth import current_principal
from flask.views import MethodView
from flask_smorest import Blueprint

from ..domain import preferences
from ..domain.templates import EMAIL_MODES, KINDS

F = ma.fields
V = ma.validate
blp = Blueprint(
    "notification_preferences",
    __name__,
    url_prefix="/api/v1",
    description="The caller's notification preferences",
)


class QuietHoursSchema(ma.Schema):
    """Local hours (CAKAP_TIMEZONE) without e-mail; may wrap midnight (21 to 6)."""

    start = F.Integer(required=True, strict=True, validate=V.Range(min=0, max=23))
    end = F.Integer(required=True, strict=True, validate=V.Range(min=0, max=23))


_email_fields: dict[str, ma.fields.Field[Any]] = {
    name: F.String(validate=V.OneOf(EMAIL_MODES), metadata={"description": "instant|digest|off"})
    for name in KINDS
}
EmailModesSchema = ma.Schema.from_dict(_email_fields, name="EmailModes")


class PreferencesSchema(ma.Schema):
    """E-mail per kind (the inbox always gets everything) and quiet hours (null: none)."""

    email = F.Nested(EmailModesSchema)
    quiet_hours = F.Nested(QuietHoursSchema, allow_none=True)


@blp.route("/notification-preferences")
class Preferences(MethodView):
    """My preferences."""

    @blp.response(200, PreferencesSchema)
    def get(self) -> dict[str, Any]:
        """My e-mail choices per kind and quiet hours (defaults until changed)."""
        return preferences.as_dict(current_principal().id)

    @blp.arguments(PreferencesSchema)
    @blp.response(200, PreferencesSchema)
    def put(self, body: dict[str, Any]) -> dict[str, Any]:
        """Change them; kinds not named keep their mode, absent quiet_hours stay."""
        quiet = body.get("quiet_hours", ...)
        return preferences.update(current_principal().id, body.get("email"), quiet)

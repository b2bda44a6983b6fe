"""Supervisor nudges: remind a team member below the JP target (once a week per member)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.auth import require_roles
from cakap_shared.schemas import UtcDateTime
from flask.views import MethodView
from flask_smorest import Blueprint

from ..clients import personnel
from ..domain import nudges

F = ma.fields
blp = Blueprint(
    "nudges", __name__, url_prefix="/api/v1", description="Supervisor nudges (JP target)"
)


class NudgeInSchema(ma.Schema):
    """Whom to remind: a member of the caller's team (direct or indirect)."""

    person_id = F.String(required=True, validate=ma.validate.Length(min=1, max=36))


class NudgeSchema(ma.Schema):
    """One nudge sent."""

    id = F.String()
    person_id = F.String()
    week = F.String(metadata={"description": "ISO week (CAKAP_TIMEZONE), e.g. 2026-W49"})
    created_at = UtcDateTime()


class NudgeWeekSchema(ma.Schema):
    """The caller's nudges this week."""

    week = F.String()
    next_week_starts_on = F.Date()
    items = F.List(F.Nested(NudgeSchema))


@blp.route("/nudges")
class Nudges(MethodView):
    """Nudges to team members."""

    @blp.response(200, NudgeWeekSchema)
    def get(self) -> dict[str, Any]:
        """The nudges I sent this week."""
        return nudges.sent_this_week(require_roles("supervisor").id)

    @blp.arguments(NudgeInSchema)
    @blp.response(201, NudgeSchema)
    @blp.alt_response(404, description="Not in your team (code not-in-team)")
    @blp.alt_response(409, description="Already at the JP target (code target-met)")
    @blp.alt_response(429, description="Already reminded this week (code nudge-too-soon)")
    def post(self, body: dict[str, Any]) -> Any:
        """Remind a member of my team below the JP target (inbox and e-mail)."""
        sender = require_roles("supervisor")
        return nudges.send(
            sender.id, body["person_id"], personnel.supervisor_ids, personnel.jp_summary
        )

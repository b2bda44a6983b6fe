"""Unit figures for leaders: share at the JP target and trainings completed, no names."""

from __future__ import annotations

from typing import Any

from cakap_shared.auth import current_principal
from flask.views import MethodView
from flask_smorest import Blueprint

from ..clock import today
from ..domain import unit_development
from ..schemas import UnitDevelopmentArgsSchema, UnitDevelopmentListSchema

blp = Blueprint(
    "unit_development", __name__, url_prefix="/api/v1", description="Unit development figures"
)


@blp.route("/unit-development")
class UnitDevelopment(MethodView):
    """How the units under one unit (or the top-level units) are doing."""

    @blp.arguments(UnitDevelopmentArgsSchema, location="query")
    @blp.response(200, UnitDevelopmentListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Per unit: people, share at the JP target, trainings completed (leaders, admins)."""
        year = args.get("year") or today().year
        return unit_development.summaries(current_principal(), args.get("parent_code"), year)

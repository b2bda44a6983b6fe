"""Unit figures for leaders: share at the JP target and trainings completed, no names."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.auth import current_principal
from flask.views import MethodView
from flask_smorest import Blueprint

from ..clock import today
from ..domain import unit_development


class UnitDevelopmentArgsSchema(ma.Schema):
    """Which units (those under parent_code; top-level ones without it) and which year."""

    parent_code = ma.fields.String(load_default=None, validate=ma.validate.Length(min=1, max=50))
    year = ma.fields.Integer(load_default=None, validate=ma.validate.Range(min=2000, max=2100))


class UnitDevelopmentSchema(ma.Schema):
    """One unit's figures (null when it has too few people to show them)."""

    unit_code = ma.fields.String()
    name = ma.fields.String()
    has_children = ma.fields.Boolean()
    mine = ma.fields.Boolean()
    people = ma.fields.Integer()
    enough_people = ma.fields.Boolean()
    at_target_share = ma.fields.Float(allow_none=True)
    trainings_completed = ma.fields.Integer(allow_none=True)
    unit_codes = ma.fields.List(ma.fields.String())


class UnitDevelopmentListSchema(ma.Schema):
    """The units compared."""

    year = ma.fields.Integer()
    parent_code = ma.fields.String(allow_none=True)
    min_people = ma.fields.Integer()
    items = ma.fields.List(ma.fields.Nested(UnitDevelopmentSchema))


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

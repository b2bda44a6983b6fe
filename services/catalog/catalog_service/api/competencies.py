"""Competency dictionary: admins add entries, everyone signed in reads them."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.auth import require_roles
from cakap_shared.db import paginate
from cakap_shared.schemas import PageArgsSchema, UtcDateTime, page_schema
from flask.views import MethodView
from flask_smorest import Blueprint

from ..domain import competencies
from ..extensions import db
from ..models import COMPETENCY_TYPES, Competency
from ._common import V, code_format

blp = Blueprint("competencies", __name__, url_prefix="/api/v1", description="Competency dictionary")

LEVELS = ("1", "2", "3", "4", "5")


class CompetencySchema(ma.Schema):
    """A competency of the dictionary, with a behaviour indicator per level 1-5."""

    id = ma.fields.String(dump_only=True)
    code = ma.fields.String(required=True, validate=[V.Length(min=1, max=40), code_format()])
    name = ma.fields.String(required=True, validate=V.Length(min=1, max=200))
    type = ma.fields.String(required=True, validate=V.OneOf(COMPETENCY_TYPES))
    description = ma.fields.String(load_default="", validate=V.Length(max=5000))
    indicators = ma.fields.Dict(
        keys=ma.fields.String(validate=V.OneOf(LEVELS, error="levels are 1 to 5")),
        values=ma.fields.String(validate=V.Length(min=1, max=2000)),
        load_default=dict,
        metadata={"description": 'Behaviour indicator per level: {"1": "...", ..., "5": "..."}'},
    )
    created_at = UtcDateTime(dump_only=True)


class CompetencyQueryArgsSchema(PageArgsSchema):
    """Filters of the dictionary list."""

    type = ma.fields.String(validate=V.OneOf(COMPETENCY_TYPES))
    q = ma.fields.String(validate=V.Length(max=200))


@blp.route("/competencies")
class Competencies(MethodView):
    """The dictionary."""

    @blp.arguments(CompetencyQueryArgsSchema, location="query")
    @blp.response(200, page_schema(CompetencySchema, "CompetencyPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List competencies, by type or matching a code/name."""
        return paginate(db, competencies.listing(args), args["page"], args["per_page"])

    @blp.arguments(CompetencySchema)
    @blp.response(201, CompetencySchema)
    def post(self, body: dict[str, Any]) -> Competency:
        """Add a competency (admin)."""
        require_roles("admin")
        return competencies.create(body)


@blp.route("/competencies/<code>")
class CompetenciesByCode(MethodView):
    """One competency."""

    @blp.response(200, CompetencySchema)
    def get(self, code: str) -> Competency:
        """A competency with its level indicators."""
        return competencies.by_code(code)

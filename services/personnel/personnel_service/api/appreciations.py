"""Apresiasi: give recognition to someone in your line; read a person's or a unit's."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.auth import current_principal
from cakap_shared.schemas import UtcDateTime, page_schema
from flask.views import MethodView
from flask_smorest import Blueprint

from ..domain import appreciations
from ..models import Appreciation


class AppreciationSchema(ma.Schema):
    """Recognition from a supervisor."""

    id = ma.fields.String()
    from_person_id = ma.fields.String()
    from_name = ma.fields.String(attribute="giver.name")
    to_person_id = ma.fields.String()
    to_name = ma.fields.String(attribute="receiver.name")
    reason = ma.fields.String()
    basis = ma.fields.String(allow_none=True)
    course_code = ma.fields.String(allow_none=True)
    course_title = ma.fields.String(allow_none=True)
    created_at = UtcDateTime()


APPRECIATION_BASES = ("training", "improvement")


class AppreciationCreateSchema(ma.Schema):
    """Why the subordinate is recognised: a completed training (its course code) or a
    shown improvement."""

    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=3, max=2000))
    basis = ma.fields.String(load_default=None, validate=ma.validate.OneOf(APPRECIATION_BASES))
    course_code = ma.fields.String(load_default=None, validate=ma.validate.Length(min=1, max=50))


# Recognition given in a unit and its sub-units, newest first.
AppreciationListSchema = page_schema(AppreciationSchema, "AppreciationList")


class AppreciationListArgsSchema(ma.Schema):
    """Paging."""

    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1))
    per_page = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=100))


blp = Blueprint("appreciations", __name__, url_prefix="/api/v1", description="Apresiasi")


@blp.route("/people/<string:person_id>/appreciations")
class PersonAppreciations(MethodView):
    """Recognition a person received."""

    @blp.response(200, AppreciationSchema(many=True))
    def get(self, person_id: str) -> list[Appreciation]:
        """Appreciations of a person, newest first (the person, their supervisors, admins)."""
        return appreciations.received(current_principal(), person_id)

    @blp.arguments(AppreciationCreateSchema)
    @blp.response(201, AppreciationSchema)
    def post(self, body: dict[str, Any], person_id: str) -> Appreciation:
        """Recognise someone in your line, for a training they completed or an improvement."""
        return appreciations.give(current_principal(), person_id, body)


@blp.route("/units/<string:code>/appreciations")
class UnitAppreciations(MethodView):
    """Recognition given in a unit."""

    @blp.arguments(AppreciationListArgsSchema, location="query")
    @blp.response(200, AppreciationListSchema)
    def get(self, args: dict[str, Any], code: str) -> dict[str, Any]:
        """Appreciations in the unit and its sub-units (admins; a supervisor: their line)."""
        return appreciations.of_unit(current_principal(), code, args["page"], args["per_page"])

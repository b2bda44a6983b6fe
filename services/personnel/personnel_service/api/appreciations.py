"""Apresiasi: give recognition to someone in your line; read a person's or a unit's."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.auth import current_principal
from cakap_shared.db import UtcDateTime
from cakap_shared.logs import audit
from flask.views import MethodView
from flask_smorest import Blueprint

from ..domain import appreciations, rights
from ..extensions import db


class AppreciationSchema(ma.Schema):
    """Recognition from a supervisor."""

    id = ma.fields.String()
    from_person_id = ma.fields.String()
    from_name = ma.fields.String()
    to_person_id = ma.fields.String()
    to_name = ma.fields.String()
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


class AppreciationListSchema(ma.Schema):
    """Recognition given in a unit and its sub-units, newest first."""

    items = ma.fields.List(ma.fields.Nested(AppreciationSchema))
    total = ma.fields.Integer()
    page = ma.fields.Integer()
    per_page = ma.fields.Integer()


class AppreciationListArgsSchema(ma.Schema):
    """Paging."""

    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1))
    per_page = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=100))


blp = Blueprint("appreciations", __name__, url_prefix="/api/v1", description="Apresiasi")


@blp.route("/people/<string:person_id>/appreciations")
class PersonAppreciations(MethodView):
    """Recognition a person received."""

    @blp.response(200, AppreciationSchema(many=True))
    def get(self, person_id: str) -> list[dict[str, Any]]:
        """Appreciations of a person, newest first (the person, their supervisors, admins)."""
        rights.visible_person(current_principal(), person_id)
        return appreciations.of_person(person_id)

    @blp.arguments(AppreciationCreateSchema)
    @blp.response(201, AppreciationSchema)
    def post(self, body: dict[str, Any], person_id: str) -> dict[str, Any]:
        """Recognise someone in your line, for a training they completed or an improvement."""
        principal = current_principal()
        given = appreciations.give(principal, person_id, body)
        db.session.commit()
        audit("appreciation.created", actor=principal.id, person_id=person_id)
        return given


@blp.route("/units/<string:code>/appreciations")
class UnitAppreciations(MethodView):
    """Recognition given in a unit."""

    @blp.arguments(AppreciationListArgsSchema, location="query")
    @blp.response(200, AppreciationListSchema)
    def get(self, args: dict[str, Any], code: str) -> dict[str, Any]:
        """Appreciations in the unit and its sub-units (admins; a supervisor: their line)."""
        return appreciations.of_unit(current_principal(), code, args["page"], args["per_page"])

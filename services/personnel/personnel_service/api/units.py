"""Org units: create and read the tree."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.auth import require_roles
from flask.views import MethodView
from flask_smorest import Blueprint

from ..domain import units

CODE = ma.validate.Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,49}$", error="use 1-50 letters, digits, . _ -"
)


class UnitCreateSchema(ma.Schema):
    """A new unit; `parent_code` places it under an existing unit."""

    code = ma.fields.String(required=True, validate=CODE)
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    parent_code = ma.fields.String(load_default=None, allow_none=True)


class UnitSchema(ma.Schema):
    """A unit with its children (the tree view nests them)."""

    code = ma.fields.String()
    name = ma.fields.String()
    parent_code = ma.fields.String(allow_none=True)
    children = ma.fields.List(ma.fields.Nested(lambda: UnitSchema()))


class UnitTreeSchema(ma.Schema):
    """All units as a forest: the OPD at the top, their sub-units nested."""

    items = ma.fields.List(ma.fields.Nested(UnitSchema))
    total = ma.fields.Integer()


blp = Blueprint("units", __name__, url_prefix="/api/v1/units", description="Organisation units")


@blp.route("")
class Units(MethodView):
    """The unit tree."""

    @blp.response(200, UnitTreeSchema)
    def get(self) -> dict[str, Any]:
        """The whole unit tree (OPD at the top, sub-units nested)."""
        return units.forest()

    @blp.arguments(UnitCreateSchema)
    @blp.response(201, UnitSchema)
    @blp.alt_response(409, description="The code is taken")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a unit (admin)."""
        principal = require_roles("admin")
        return units.create(body["code"], body["name"], body.get("parent_code"), principal.id)


@blp.route("/<string:code>")
class UnitsByCode(MethodView):
    """One unit."""

    @blp.response(200, UnitSchema)
    def get(self, code: str) -> dict[str, Any]:
        """A unit with its sub-units."""
        return units.node(code)

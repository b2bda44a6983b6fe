"""Training needs analysis of a unit or the city, as JSON or as a spreadsheet."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.auth import require_roles
from cakap_shared.tabular import xlsx_response
from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from ..domain import needs as domain

blp = Blueprint("needs", __name__, url_prefix="/api/v1", description="Training needs analysis")

V = ma.validate


class NeedsArgsSchema(ma.Schema):
    """Whose needs: a unit (and its sub-units) or `*` for the whole city, and the year."""

    unit_code = ma.fields.String(required=True, validate=V.Length(min=1, max=50))
    year = ma.fields.Integer(required=True, validate=V.Range(min=2000, max=2100))


class GapRowSchema(ma.Schema):
    """People short of one required level of one competency, and the levels missing."""

    competency_code = ma.fields.String()
    required_level = ma.fields.Integer()
    people = ma.fields.Integer()
    gap = ma.fields.Integer()


class BelowJpSchema(ma.Schema):
    """Someone below the year's JP target."""

    person_id = ma.fields.String()
    name = ma.fields.String()
    unit_code = ma.fields.String(allow_none=True)
    jp_target = ma.fields.Integer()
    jp_earned = ma.fields.Integer()
    shortfall = ma.fields.Integer()


class MandatoryNeedSchema(ma.Schema):
    """A mandatory training someone owes."""

    person_id = ma.fields.String()
    name = ma.fields.String()
    unit_code = ma.fields.String(allow_none=True)
    course_code = ma.fields.String()


class NeedsSchema(ma.Schema):
    """The analysis (analisis kebutuhan pelatihan)."""

    unit_code = ma.fields.String()
    year = ma.fields.Integer()
    jp_year = ma.fields.Integer(metadata={"description": "The year whose JP were compared"})
    people = ma.fields.Integer()
    people_with_gaps = ma.fields.Integer()
    total_gap = ma.fields.Integer()
    gaps = ma.fields.List(ma.fields.Nested(GapRowSchema))
    below_jp = ma.fields.List(ma.fields.Nested(BelowJpSchema))
    mandatory = ma.fields.List(ma.fields.Nested(MandatoryNeedSchema))
    development_plan_requests = ma.fields.List(
        ma.fields.Dict(), metadata={"description": "Always empty: personnel keeps no IDPs yet"}
    )


@blp.route("/needs")
class Needs(MethodView):
    """The needs of a unit or the city."""

    @blp.arguments(NeedsArgsSchema, location="query")
    @blp.response(200, NeedsSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Gaps by competency and level, people below the JP target, mandatory trainings (admin)."""
        require_roles("admin")
        return domain.analysis(domain.collect(args["unit_code"], args["year"]))


@blp.route("/needs/export")
class NeedsExport(MethodView):
    """The needs as a spreadsheet."""

    @blp.arguments(NeedsArgsSchema, location="query")
    @blp.response(
        200,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        description="One row per person and gap",
    )
    def get(self, args: dict[str, Any]) -> Response:
        """XLSX: one row per person and competency gap, with JP and mandatory trainings (admin)."""
        require_roles("admin")
        needs = domain.collect(args["unit_code"], args["year"])
        scope = "kota" if args["unit_code"] == domain.CITY else args["unit_code"]
        return xlsx_response(
            f"kebutuhan-pelatihan-{scope}-{args['year']}.xlsx",
            domain.EXPORT_HEADER,
            domain.person_rows(needs),
            sheet="Kebutuhan",
        )

"""Reports per course, class, unit and trainer: L1 reaction, L2 learning, L3 behaviour."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.auth import require_roles
from cakap_shared.problems import CakapError
from cakap_shared.tabular import csv_response
from flask import Response, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from .. import clock
from ..domain import reports

blp = Blueprint("reports", __name__, url_prefix="/api/v1", description="Evaluation reports")

F = ma.fields
V = ma.validate
FORMATS = ["json", "csv"]


class ReportArgsSchema(ma.Schema):
    """Report filters and output format."""

    group_by = F.String(load_default="course", validate=V.OneOf(reports.GROUPINGS))
    course_code = F.String()
    class_id = F.String()
    format = F.String(load_default="json", validate=V.OneOf(FORMATS))


class GainArgsSchema(ma.Schema):
    """Which pre/post pair: a course code, a class, or explicit assessment ids."""

    course_code = F.String()
    class_id = F.String()
    pre_test_id = F.String()
    post_test_id = F.String()
    format = F.String(load_default="json", validate=V.OneOf(FORMATS))


class YearArgsSchema(ma.Schema):
    """A calendar year (default: this year)."""

    year = F.Integer(load_default=None, validate=V.Range(min=2000, max=2100))


def _csv(rows: list[dict[str, Any]], filename: str) -> Response:
    columns = list(rows[0]) if rows else ["empty"]
    return csv_response(filename, columns, ([row.get(c) for c in columns] for row in rows))


@blp.route("/reports/learning-gain")
class LearningGain(MethodView):
    """Kirkpatrick level 2: pre test to post test."""

    @blp.arguments(GainArgsSchema, location="query")
    @blp.response(200)
    def get(self, args: dict[str, Any]) -> Any:
        """Gain and normalised gain per learner and per class."""
        report = reports.learning_gain(require_roles("admin", "trainer"), args)
        if args["format"] == "csv":
            return _csv(report["learners"], "learning-gain.csv")
        return jsonify(**report)


@blp.route("/reports/summary")
class Summary(MethodView):
    """L1, L2 and L3 per course, class, unit or trainer."""

    @blp.arguments(ReportArgsSchema, location="query")
    @blp.response(200)
    def get(self, args: dict[str, Any]) -> Any:
        """Reaction averages, learning gain and pass rate, impact completion and ratings."""
        rows = reports.summary_rows(
            args["group_by"],
            require_roles("admin", "trainer"),
            args.get("course_code"),
            args.get("class_id"),
        )
        if args["format"] == "csv":
            return _csv(rows, f"evaluation-by-{args['group_by']}.csv")
        return jsonify(group_by=args["group_by"], items=rows)


@blp.route("/reports/overdue-impact-evaluations")
class OverdueByUnit(MethodView):
    """Overdue impact evaluations per unit."""

    @blp.response(200)
    def get(self) -> Any:
        """Count of overdue supervisor evaluations per unit (admins)."""
        if not require_roles("admin").is_admin:
            raise CakapError(403, "Admins only.")
        return jsonify(items=reports.overdue_by_unit())


@blp.route("/reports/impact-by-unit")
class ImpactByUnit(MethodView):
    """Impact ratings per unit, for leaders comparing units."""

    @blp.arguments(YearArgsSchema, location="query")
    @blp.response(200)
    def get(self, args: dict[str, Any]) -> Any:
        """Per unit: submitted supervisor evaluations of a year and their average ratings
        (admins and supervisors; figures only)."""
        require_roles("admin", "supervisor")
        year = args.get("year") or clock.today().year
        return jsonify(year=year, items=reports.impact_by_unit(year))

"""Reaction surveys (Kirkpatrick level 1): listed, shown, answered by the learner."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.auth import current_principal
from cakap_shared.schemas import PageArgsSchema, UtcDateTime, page_schema, state_field
from flask.views import MethodView
from flask_smorest import Blueprint

from ..domain import surveys
from ..domain.surveys import SurveyStatus
from ..models import Survey

blp = Blueprint("surveys", __name__, url_prefix="/api/v1", description="Reaction surveys")

F = ma.fields
V = ma.validate


class SurveyItemSchema(ma.Schema):
    """One Likert statement, rated 1 (sangat tidak setuju) to 5 (sangat setuju)."""

    key = F.String()
    dimension = F.String()
    text = F.String()


class SurveySchema(ma.Schema):
    """A reaction survey sent to a learner."""

    id = F.String()
    learner_id = F.String()
    enrolment_id = F.String()
    course_code = F.String()
    course_title = F.String()
    class_id = F.String(allow_none=True)
    status = state_field(SurveyStatus)
    sent_at = UtcDateTime()
    answered_at = UtcDateTime(allow_none=True)
    title = F.String()
    items = F.List(F.Nested(SurveyItemSchema))
    ratings = F.Dict(allow_none=True)
    comment = F.String(allow_none=True)

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        """`status` follows from the answer; `title` and `items` are the template's."""
        if attr == "status":
            return surveys.status_of(obj)
        if attr in ("title", "items"):
            return getattr(obj.template, attr)
        return super().get_attribute(obj, attr, default)


class SurveyQueryArgsSchema(PageArgsSchema):
    """Filters for surveys."""

    status = state_field(SurveyStatus)
    learner_id = F.String(
        validate=V.Length(min=1, max=80),
        metadata={"description": "A learner in the caller's line (supervisors; admins: any)"},
    )


class SurveyResponseInSchema(ma.Schema):
    """Answers to every item of the template, 1..5, and an optional comment."""

    ratings = F.Dict(
        keys=F.String(), values=F.Integer(strict=True, validate=V.Range(1, 5)), required=True
    )
    comment = F.String(allow_none=True, validate=V.Length(max=5000))


@blp.route("/surveys")
class Surveys(MethodView):
    """Reaction surveys."""

    @blp.arguments(SurveyQueryArgsSchema, location="query")
    @blp.response(200, page_schema(SurveySchema))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """My surveys, pending first (admins: everyone's); with learner_id, a learner's in my
        line (supervisors), without their answers; status overdue: pending past the delay."""
        return surveys.survey_page(current_principal(), args)


@blp.route("/surveys/<survey_id>")
class SurveysById(MethodView):
    """One survey."""

    @blp.response(200, SurveySchema)
    def get(self, survey_id: str) -> Survey:
        """Show a survey with its statements (the learner, admins)."""
        return surveys.show(survey_id)


@blp.route("/surveys/<survey_id>/responses")
class SurveyResponses(MethodView):
    """Answering a survey."""

    @blp.arguments(SurveyResponseInSchema)
    @blp.response(201, SurveySchema)
    @blp.alt_response(409, description="Already answered")
    def post(self, body: dict[str, Any], survey_id: str) -> Survey:
        """Answer every statement 1..5 (only the learner, only once)."""
        return surveys.answer(survey_id, body["ratings"], body.get("comment"))

"""Answers for other services (learning access) and recommendations for a person's gaps."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.auth import current_principal, require_roles
from cakap_shared.schemas import PageArgsSchema, page_schema
from flask.views import MethodView
from flask_smorest import Blueprint

from ..domain import access
from ._common import ID, CourseSchema

blp = Blueprint("access", __name__, url_prefix="/api/v1", description="Access and recommendations")


class LearningAccessArgsSchema(ma.Schema):
    """Whose access to which module or assessment."""

    learner_id = ma.fields.String(required=True, validate=ID)
    module_id = ma.fields.String(validate=ID)
    assessment_id = ma.fields.String(validate=ID)

    @ma.validates_schema
    def _one_target(self, data: dict[str, Any], **_: Any) -> None:
        if ("module_id" in data) == ("assessment_id" in data):
            raise ma.ValidationError("give module_id or assessment_id (one of them)", "module_id")


class LearningAccessSchema(ma.Schema):
    """Whether the learner may use the module/assessment, and through which enrolments."""

    allowed = ma.fields.Boolean()
    course_ids = ma.fields.List(ma.fields.String())
    class_ids = ma.fields.List(ma.fields.String())
    reviewable = ma.fields.Boolean(
        metadata={"description": "modules: completed in a course holding it (review, no credit)"}
    )


class RecommendationArgsSchema(PageArgsSchema):
    """Whose gaps to close."""

    person_id = ma.fields.String(required=True, validate=ID)


class GapClosedSchema(ma.Schema):
    """A gap a course works on."""

    code = ma.fields.String()
    required = ma.fields.Integer()
    current = ma.fields.Integer()
    gap = ma.fields.Integer()
    level = ma.fields.Integer(metadata={"description": "Level the course reaches"})
    closes = ma.fields.Boolean(metadata={"description": "True when the course closes the gap"})


class RecommendationSchema(ma.Schema):
    """A published course that closes some of the person's gaps."""

    course = ma.fields.Nested(CourseSchema)
    gaps = ma.fields.List(ma.fields.Nested(GapClosedSchema))
    gaps_closed = ma.fields.Integer()
    levels_gained = ma.fields.Integer()
    has_open_class = ma.fields.Boolean()


@blp.route("/learning-access")
class LearningAccess(MethodView):
    """May this learner use this module or assessment?"""

    @blp.arguments(LearningAccessArgsSchema, location="query")
    @blp.response(200, LearningAccessSchema)
    def get(self, args: dict[str, Any]) -> access.Access:
        """Allowed when enrolled in a class of a published course using it; a module is also
        `reviewable` when the learner completed a course holding it (services, admin)."""
        require_roles("service", "admin")
        return access.learning_access(
            args["learner_id"], args.get("module_id"), args.get("assessment_id")
        )


@blp.route("/recommendations")
class Recommendations(MethodView):
    """Courses for a person's competency gaps."""

    @blp.arguments(RecommendationArgsSchema, location="query")
    @blp.response(200, page_schema(RecommendationSchema, "RecommendationPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Published courses that close the person's gaps (from personnel), best first."""
        return access.recommendations(
            current_principal(), args["person_id"], args["page"], args["per_page"]
        )

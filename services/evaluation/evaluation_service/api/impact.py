"""Impact evaluations (Kirkpatrick levels 3 and 4): listed, shown, submitted by the evaluator."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.auth import bearer_token, current_principal
from cakap_shared.schemas import PageArgsSchema, UtcDateTime, page_schema, state_field
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from ..domain import impact
from ..domain.impact import EvaluatorRole, ImpactStatus
from ..models import ImpactEvaluation

blp = Blueprint("impact", __name__, url_prefix="/api/v1", description="Impact evaluations")

F = ma.fields
V = ma.validate


class _WithStatus(ma.Schema):
    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        if attr == "status":
            return impact.status_of(obj)
        return super().get_attribute(obj, attr, default)


class ImpactEvaluationSchema(_WithStatus):
    """An impact evaluation (behaviour and results) of one completed enrolment."""

    id = F.String()
    enrolment_id = F.String()
    evaluator_role = F.String()
    evaluator_id = F.String(allow_none=True)
    learner_id = F.String()
    learner_name = F.String()
    unit_code = F.String(allow_none=True)
    course_id = F.String()
    course_code = F.String()
    course_title = F.String()
    competencies = F.List(F.Dict())
    completed_on = F.Date()
    due_on = F.Date()
    status = state_field(ImpactStatus)
    reminded_on = F.Date(allow_none=True)
    escalated_on = F.Date(allow_none=True)
    escalated_to = F.String(allow_none=True)
    submitted_at = UtcDateTime(allow_none=True)


class ImpactQueryArgsSchema(PageArgsSchema):
    """Filters: status due (not yet late), overdue, done; admins may filter by unit."""

    status = state_field(ImpactStatus)
    unit_code = F.String()
    role = state_field(EvaluatorRole)


class BehaviourRatingSchema(ma.Schema):
    """How much the learner's behaviour changed on one targeted competency (1..5)."""

    competency_code = F.String(required=True, validate=V.Length(min=1, max=50))
    rating = F.Integer(required=True, strict=True, validate=V.Range(1, 5))
    note = F.String(allow_none=True, validate=V.Length(max=2000))


class AppreciationInSchema(ma.Schema):
    """An apresiasi the supervisor records for the learner (stored by personnel)."""

    title = F.String(required=True, validate=V.Length(min=3, max=200))
    description = F.String(allow_none=True, validate=V.Length(max=1500))


class ImpactSubmissionInSchema(ma.Schema):
    """The evaluation form."""

    behaviour_ratings = F.List(
        F.Nested(BehaviourRatingSchema), required=True, validate=V.Length(min=1, max=50)
    )
    evidence_text = F.String(required=True, validate=V.Length(min=1, max=10000))
    evidence_url = F.Url(allow_none=True, schemes={"http", "https"})
    impact_rating = F.Integer(required=True, strict=True, validate=V.Range(1, 5))
    notes = F.String(allow_none=True, validate=V.Length(max=5000))
    appreciation = F.Nested(AppreciationInSchema, allow_none=True)


class ImpactSubmissionSchema(_WithStatus):
    """A submitted evaluation form."""

    id = F.String()
    status = state_field(ImpactStatus)
    submitted_at = UtcDateTime(allow_none=True)
    submitted_by = F.String(allow_none=True)
    behaviour_ratings = F.List(F.Dict())
    evidence_text = F.String(allow_none=True)
    evidence_url = F.String(allow_none=True)
    impact_rating = F.Integer(allow_none=True)
    notes = F.String(allow_none=True)
    appreciation = F.Dict(allow_none=True)

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        """The form's answers live in `submission` (none yet: no ratings, the rest null)."""
        if attr in (*impact.FORM_FIELDS, "appreciation"):
            return (obj.submission or {}).get(attr, [] if attr == "behaviour_ratings" else None)
        return super().get_attribute(obj, attr, default)


@blp.route("/impact-evaluations")
class ImpactEvaluations(MethodView):
    """Impact evaluations."""

    @blp.arguments(ImpactQueryArgsSchema, location="query")
    @blp.response(200, page_schema(ImpactEvaluationSchema))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Those assigned to me (or escalated to me); admins: all, filterable by unit."""
        return impact.evaluation_page(current_principal(), args)


@blp.route("/impact-evaluations/<evaluation_id>")
class ImpactEvaluationsById(MethodView):
    """One impact evaluation."""

    @blp.response(200, ImpactEvaluationSchema)
    def get(self, evaluation_id: str) -> ImpactEvaluation:
        """Show an impact evaluation (its evaluator, the escalation target, admins)."""
        return impact.show(evaluation_id)


@blp.route("/impact-evaluations/<evaluation_id>/submission")
class ImpactSubmission(MethodView):
    """The evaluation form."""

    @blp.response(200, ImpactSubmissionSchema)
    def get(self, evaluation_id: str) -> ImpactEvaluation:
        """Show the form as filled so far (evaluator, escalation target, admins)."""
        return impact.show(evaluation_id)

    @blp.arguments(ImpactSubmissionInSchema)
    @blp.response(201, ImpactSubmissionSchema)
    @blp.alt_response(409, description="Already submitted")
    def post(self, body: dict[str, Any], evaluation_id: str) -> ImpactEvaluation:
        """Submit the evaluation (the assigned evaluator only, once); optional apresiasi."""
        token = bearer_token(request.headers.get("Authorization")) or ""
        return impact.submit(current_principal(), evaluation_id, body, token)

"""Assessments and their attempts: create, edit, start/resume, autosave, submit, review."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.auth import current_principal, roles_required
from cakap_shared.schemas import PageArgsSchema, UtcDateTime, page_schema, state_field
from flask.views import MethodView
from flask_smorest import Blueprint

from ..domain import assessments, attempts
from ..domain.access import author
from ..models import Assessment, AssessmentKind, Attempt, AttemptStatus
from ._common import QuestionSchema

blp = Blueprint("assessments", __name__, url_prefix="/api/v1", description="Assessments")

F = ma.fields
V = ma.validate


# --- assessments -----------------------------------------------------------------


class DrawSchema(ma.Schema):
    """Draw `count` questions at random from a bank, optionally only those with all `tags`."""

    bank_id = F.String(required=True)
    tags = F.List(F.String(validate=V.Length(min=1, max=100)), load_default=list)
    count = F.Integer(required=True, validate=V.Range(min=1, max=200))


class AssessmentInSchema(ma.Schema):
    """A new assessment: inline `questions` and/or bank `question_ids`, or a `draw` rule."""

    title = F.String(required=True, validate=V.Length(min=1, max=200))
    kind = state_field(AssessmentKind, required=True)
    passing_score = F.Float(required=True, validate=V.Range(min=0, max=100))
    time_limit_minutes = F.Integer(allow_none=True, validate=V.Range(min=1, max=24 * 60))
    max_attempts = F.Integer(allow_none=True, validate=V.Range(min=1, max=100))
    shuffle = F.Boolean(load_default=False)
    show_feedback = F.Boolean(load_default=True)
    course_code = F.String(allow_none=True, validate=V.Length(min=1, max=50))
    questions = F.List(
        F.Raw(),
        load_default=list,
        validate=V.Length(max=200),
        metadata={"description": "inline questions (canonical shape)"},
    )
    question_ids = F.List(F.String(), load_default=list, validate=V.Length(max=200))
    draw = F.Nested(DrawSchema, allow_none=True)


class AssessmentPatchSchema(ma.Schema):
    """Changes to an assessment: only the fields sent change (questions replace all)."""

    title = F.String(validate=V.Length(min=1, max=200))
    kind = state_field(AssessmentKind)
    passing_score = F.Float(validate=V.Range(min=0, max=100))
    time_limit_minutes = F.Integer(allow_none=True, validate=V.Range(min=1, max=24 * 60))
    max_attempts = F.Integer(allow_none=True, validate=V.Range(min=1, max=100))
    shuffle = F.Boolean()
    show_feedback = F.Boolean()
    course_code = F.String(allow_none=True, validate=V.Length(min=1, max=50))
    questions = F.List(
        F.Raw(),
        validate=V.Length(max=200),
        metadata={"description": "inline questions (canonical shape); replaces the questions"},
    )
    question_ids = F.List(F.String(), validate=V.Length(max=200))
    draw = F.Nested(DrawSchema, allow_none=True)


class AssessmentSummarySchema(ma.Schema):
    """An assessment in a list (no questions)."""

    id = F.String()
    owner_id = F.String()
    title = F.String()
    kind = F.String()
    course_code = F.String(allow_none=True)
    passing_score = F.Float()
    time_limit_minutes = F.Integer(allow_none=True)
    max_attempts = F.Integer(allow_none=True)
    shuffle = F.Boolean()
    show_feedback = F.Boolean()
    created_at = UtcDateTime()


class AssessmentSchema(AssessmentSummarySchema):
    """An assessment as its owner sees it (questions with answers)."""

    question_ids = F.List(F.String())
    draw = F.Dict(allow_none=True)
    questions = F.List(F.Nested(QuestionSchema))

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        """`questions` are the rows the assessment names, read in the order written."""
        if attr == "questions":
            return assessments.questions_of(obj)
        return super().get_attribute(obj, attr, default)


class AssessmentQueryArgsSchema(PageArgsSchema):
    """Filters for assessments."""

    kind = state_field(AssessmentKind)
    course_code = F.String()


# --- attempts --------------------------------------------------------------------


class ServedQuestionSchema(ma.Schema):
    """A question as a learner sees it: never its answers or grading data."""

    id = F.String()
    type = F.String()
    text = F.String()
    choices = F.List(F.String())
    format = F.String()


class QuestionResultSchema(ma.Schema):
    """Per-question feedback after submission, when the assessment allows it."""

    question_id = F.String()
    correct = F.Boolean(allow_none=True)
    score = F.Float()
    pending = F.Boolean()
    feedback = F.List(F.String())


class AttemptRulesSchema(ma.Schema):
    """The rules of the attempt's assessment that its learner sees."""

    title = F.String()
    kind = F.String()
    passing_score = F.Float()
    max_attempts = F.Integer(allow_none=True)
    time_limit_minutes = F.Integer(allow_none=True)


class _AttemptDump(ma.Schema):
    """Dumps an Attempt row: its status as the enum, served questions, grades only if seen."""

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        if attr == "status":
            return AttemptStatus(obj.status)
        if attr == "questions":
            return attempts.served_questions(obj)
        return super().get_attribute(obj, attr, default)

    @ma.post_dump(pass_original=True)
    def _hide(self, data: dict[str, Any], attempt: Attempt, **_: Any) -> dict[str, Any]:
        for name in attempts.hidden_from_learner(attempt):
            data.pop(name, None)
        return data


class AttemptSchema(_AttemptDump):
    """An attempt as its learner sees it."""

    id = F.String()
    assessment_id = F.String()
    learner_id = F.String()
    number = F.Integer()
    status = state_field(AttemptStatus)
    started_at = UtcDateTime()
    deadline = UtcDateTime(allow_none=True)
    submitted_at = UtcDateTime(allow_none=True)
    questions = F.List(F.Nested(ServedQuestionSchema))
    responses = F.Dict(metadata={"description": "saved responses by question id"})
    assessment = F.Nested(AttemptRulesSchema)
    score = F.Float(allow_none=True)
    passed = F.Boolean(allow_none=True)
    results = F.List(F.Nested(QuestionResultSchema), allow_none=True)
    pending_review = F.Boolean(
        metadata={"description": "closed, but an essay still awaits a trainer's grade"}
    )


class AttemptQueryArgsSchema(PageArgsSchema):
    """Filters for an assessment's attempts."""

    learner_id = F.String()
    status = state_field(AttemptStatus)
    pending_review = F.Boolean(
        metadata={"description": "true: closed attempts with an essay not graded yet"}
    )


class ManualGradeSchema(ma.Schema):
    """A trainer's grade of one essay."""

    score = F.Float(metadata={"description": "0..1"})
    comment = F.String(allow_none=True)
    graded_by = F.String()
    graded_at = F.String(metadata={"format": "date-time"})


class ReviewQuestionSchema(ma.Schema):
    """One question of a closed attempt as the grader sees it (choices in the bank's order)."""

    id = F.String()
    question = F.Nested(QuestionSchema)
    response = F.Raw(allow_none=True, metadata={"description": "in the bank's choice order"})
    result = F.Nested(QuestionResultSchema)
    grade = F.Nested(ManualGradeSchema, allow_none=True)


class AttemptReviewSchema(ma.Schema):
    """A closed attempt with responses, correct answers and manual grades (owner, admin)."""

    id = F.String()
    assessment_id = F.String()
    learner_id = F.String()
    number = F.Integer()
    status = state_field(AttemptStatus)
    submitted_at = UtcDateTime(allow_none=True)
    score = F.Float(allow_none=True)
    passed = F.Boolean(allow_none=True)
    pending_review = F.Boolean()
    questions = F.List(F.Nested(ReviewQuestionSchema))

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        """`questions` pair each served question with its response, result and grade."""
        if attr == "status":
            return AttemptStatus(obj.status)
        if attr == "questions":
            return attempts.reviewed_questions(obj)
        return super().get_attribute(obj, attr, default)


class GradesInSchema(ma.Schema):
    """Essay grades by question id; checked per question (422 names `grades.<id>`)."""

    grades = F.Dict(
        keys=F.String(),
        values=F.Raw(
            metadata={
                "type": "object",
                "required": ["score"],
                "properties": {
                    "score": {"type": "number", "minimum": 0, "maximum": 1},
                    "comment": {"type": "string", "nullable": True, "maxLength": 5000},
                },
            }
        ),
        required=True,
        validate=V.Length(min=1, max=200),
        metadata={"description": '{"<question id>": {"score": 0..1, "comment"?: text}}'},
    )


class AnswersSchema(ma.Schema):
    """Responses by question id: a choice index (single), a list (multiple), true/false,
    text (short answer, essay) or a number (numeric); choice indexes as presented."""

    answers = F.Dict(keys=F.String(), values=F.Raw(allow_none=True), required=True)


class SubmitResultSchema(_AttemptDump):
    """The grade of a submitted attempt."""

    id = F.String()
    status = state_field(AttemptStatus)
    score = F.Float()
    passed = F.Boolean()
    submitted_at = UtcDateTime()
    pending_review = F.Boolean()
    results = F.List(F.Nested(QuestionResultSchema))


# --- routes ----------------------------------------------------------------------


@blp.route("/assessments")
class Assessments(MethodView):
    """Pre tests, post tests and exams."""

    @roles_required("trainer", "admin")
    @blp.arguments(AssessmentQueryArgsSchema, location="query")
    @blp.response(200, page_schema(AssessmentSummarySchema))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List my assessments (admins: all)."""
        return assessments.assessment_page(author(), args)

    @roles_required("trainer", "admin")
    @blp.arguments(AssessmentInSchema)
    @blp.response(201, AssessmentSchema)
    def post(self, body: dict[str, Any]) -> Assessment:
        """Create an assessment; questions may be written inline."""
        return assessments.create(author(), body)


@blp.route("/assessments/<assessment_id>")
class AssessmentsById(MethodView):
    """One assessment."""

    @blp.response(200, AssessmentSchema)
    def get(self, assessment_id: str) -> Assessment:
        """Show an assessment with its questions and answers (owner, admin)."""
        return assessments.load(assessment_id)

    @blp.arguments(AssessmentPatchSchema)
    @blp.response(200, AssessmentSchema)
    @blp.alt_response(409, description="assessment-in-use: learners have submitted attempts")
    def patch(self, body: dict[str, Any], assessment_id: str) -> Assessment:
        """Change settings or questions (owner, admin); frozen parts once attempts are in.

        Questions, passing score and kind cannot change after the first submitted attempt;
        attempts and the time limit may then only be loosened (domain/assessments.py).
        """
        return assessments.update(assessment_id, body, author())


@blp.route("/assessments/<assessment_id>/attempts")
class AssessmentAttempts(MethodView):
    """Attempts at one assessment."""

    @blp.arguments(AttemptQueryArgsSchema, location="query")
    @blp.response(200, page_schema(AttemptSchema))
    def get(self, args: dict[str, Any], assessment_id: str) -> dict[str, Any]:
        """List attempts: the owner and admins see all, a learner their own."""
        return attempts.attempt_page(current_principal(), assessment_id, args)

    @blp.response(201, AttemptSchema)
    @blp.alt_response(403, description="Not enrolled in a course using the assessment")
    @blp.alt_response(409, description="No attempts left")
    @blp.alt_response(503, description="Catalog could not confirm the enrolment")
    def post(self, assessment_id: str) -> Attempt:
        """Start an attempt, or resume the open one; the answers are never sent."""
        return attempts.start(current_principal(), assessment_id)


@blp.route("/assessment-attempts/<attempt_id>")
class AttemptsById(MethodView):
    """One attempt."""

    @blp.response(200, AttemptSchema)
    def get(self, attempt_id: str) -> Attempt:
        """Show an attempt (learner, assessment owner, admin); grades only after closing."""
        return attempts.show(attempt_id)


@blp.route("/assessment-attempts/<attempt_id>/answers")
class AttemptAnswers(MethodView):
    """Autosaved answers."""

    @blp.arguments(AnswersSchema)
    @blp.response(200, AttemptSchema)
    @blp.alt_response(409, description="The attempt is closed or its deadline has passed")
    def put(self, body: dict[str, Any], attempt_id: str) -> Attempt:
        """Autosave answers (merged; null clears one); refused after the deadline."""
        return attempts.save_answers(attempt_id, body["answers"])


@blp.route("/assessment-attempts/<attempt_id>/submit")
class AttemptSubmit(MethodView):
    """Submission."""

    @blp.arguments(AnswersSchema)
    @blp.response(200, SubmitResultSchema)
    @blp.alt_response(409, description="Already submitted or closed")
    def post(self, body: dict[str, Any], attempt_id: str) -> Attempt:
        """Submit and grade; past the deadline it is graded as of the deadline."""
        return attempts.submit_answers(attempt_id, body["answers"])


@blp.route("/assessment-attempts/<attempt_id>/review")
class AttemptReview(MethodView):
    """What a grader needs to see."""

    @blp.response(200, AttemptReviewSchema)
    @blp.alt_response(409, description="Not submitted yet")
    def get(self, attempt_id: str) -> Attempt:
        """Review a submitted attempt: responses, correct answers, essay grades (owner, admin)."""
        return attempts.for_review(attempt_id)


@blp.route("/assessment-attempts/<attempt_id>/grades")
class AttemptGrades(MethodView):
    """A trainer's grades of essay questions."""

    @blp.arguments(GradesInSchema)
    @blp.response(200, AttemptReviewSchema)
    @blp.alt_response(409, description="Not submitted yet")
    def post(self, body: dict[str, Any], attempt_id: str) -> Attempt:
        """Grade essays of a submitted attempt (0..1 each); score and passed are recomputed."""
        return attempts.grade_essays(current_principal(), attempt_id, body["grades"])

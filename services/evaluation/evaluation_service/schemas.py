"""Request and response shapes of the evaluation API (marshmallow 4)."""

from __future__ import annotations

import marshmallow as ma
from cakap_shared.db import PageArgsSchema, UtcDateTime, page_schema

from .api.shared import QuestionSchema
from .models import ASSESSMENT_KINDS

F = ma.fields
V = ma.validate


# --- questions and banks -------------------------------------------------------


# --- assessments -----------------------------------------------------------------


class DrawSchema(ma.Schema):
    """Draw `count` questions at random from a bank, optionally only those with all `tags`."""

    bank_id = F.String(required=True)
    tags = F.List(F.String(validate=V.Length(min=1, max=100)), load_default=list)
    count = F.Integer(required=True, validate=V.Range(min=1, max=200))


class AssessmentInSchema(ma.Schema):
    """A new assessment: inline `questions` and/or bank `question_ids`, or a `draw` rule."""

    title = F.String(required=True, validate=V.Length(min=1, max=200))
    kind = F.String(required=True, validate=V.OneOf(ASSESSMENT_KINDS))
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
    kind = F.String(validate=V.OneOf(ASSESSMENT_KINDS))
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


class AssessmentQueryArgsSchema(PageArgsSchema):
    """Filters for assessments."""

    kind = F.String(validate=V.OneOf(ASSESSMENT_KINDS))
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


class AttemptSchema(ma.Schema):
    """An attempt as its learner sees it."""

    id = F.String()
    assessment_id = F.String()
    learner_id = F.String()
    number = F.Integer()
    status = F.String()
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
    status = F.String(validate=V.OneOf(["open", "submitted", "expired"]))
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
    status = F.String()
    submitted_at = UtcDateTime(allow_none=True)
    score = F.Float(allow_none=True)
    passed = F.Boolean(allow_none=True)
    pending_review = F.Boolean()
    questions = F.List(F.Nested(ReviewQuestionSchema))


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


class SubmitResultSchema(ma.Schema):
    """The grade of a submitted attempt."""

    id = F.String()
    status = F.String()
    score = F.Float()
    passed = F.Boolean()
    submitted_at = UtcDateTime()
    pending_review = F.Boolean()
    results = F.List(F.Nested(QuestionResultSchema))


# --- certificates ----------------------------------------------------------------


class CertificateSchema(ma.Schema):
    """A certificate as its holder and admins see it."""

    code = F.String()
    number = F.String()
    learner_id = F.String()
    name = F.String()
    nip = F.String(allow_none=True)
    grade = F.String(allow_none=True)
    position = F.String(allow_none=True)
    agency = F.String(allow_none=True)
    course_id = F.String()
    course_code = F.String()
    course_title = F.String()
    class_name = F.String(allow_none=True)
    jp = F.Integer()
    starts_on = F.Date(allow_none=True)
    ends_on = F.Date(allow_none=True)
    completed_on = F.Date()
    issued_on = F.Date()
    verification_url = F.String()


class CertificateQueryArgsSchema(PageArgsSchema):
    """Filters for certificates (admins)."""

    learner_id = F.String()
    course_code = F.String()


class VerificationSchema(ma.Schema):
    """What anyone holding the code may learn: no more than the certificate shows."""

    valid = F.Boolean()
    number = F.String(metadata={"description": "The number printed on the certificate"})
    name = F.String()
    course_title = F.String()
    jp = F.Integer()
    issued_on = F.Date()


# --- surveys -----------------------------------------------------------------------


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
    status = F.String()
    sent_at = UtcDateTime()
    answered_at = UtcDateTime(allow_none=True)
    title = F.String()
    items = F.List(F.Nested(SurveyItemSchema))
    ratings = F.Dict(allow_none=True)
    comment = F.String(allow_none=True)


class SurveyQueryArgsSchema(PageArgsSchema):
    """Filters for surveys."""

    status = F.String(validate=V.OneOf(["pending", "done", "overdue"]))
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


# --- impact evaluations ----------------------------------------------------------------


class ImpactEvaluationSchema(ma.Schema):
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
    status = F.String()
    reminded_on = F.Date(allow_none=True)
    escalated_on = F.Date(allow_none=True)
    escalated_to = F.String(allow_none=True)
    submitted_at = UtcDateTime(allow_none=True)


class ImpactQueryArgsSchema(PageArgsSchema):
    """Filters: status due (not yet late), overdue, done; admins may filter by unit."""

    status = F.String(validate=V.OneOf(["due", "overdue", "done"]))
    unit_code = F.String()
    role = F.String(validate=V.OneOf(["supervisor", "self"]))


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


class ImpactSubmissionSchema(ma.Schema):
    """A submitted evaluation form."""

    id = F.String()
    status = F.String()
    submitted_at = UtcDateTime(allow_none=True)
    submitted_by = F.String(allow_none=True)
    behaviour_ratings = F.List(F.Dict())
    evidence_text = F.String(allow_none=True)
    evidence_url = F.String(allow_none=True)
    impact_rating = F.Integer(allow_none=True)
    notes = F.String(allow_none=True)
    appreciation = F.Dict(allow_none=True)


# --- reports ------------------------------------------------------------------------


class ReportArgsSchema(ma.Schema):
    """Report filters and output format."""

    group_by = F.String(
        load_default="course", validate=V.OneOf(["course", "class", "unit", "trainer"])
    )
    course_code = F.String()
    class_id = F.String()
    format = F.String(load_default="json", validate=V.OneOf(["json", "csv"]))


class GainArgsSchema(ma.Schema):
    """Which pre/post pair: a course code, a class, or explicit assessment ids."""

    course_code = F.String()
    class_id = F.String()
    pre_test_id = F.String()
    post_test_id = F.String()
    format = F.String(load_default="json", validate=V.OneOf(["json", "csv"]))


AssessmentPageSchema = page_schema(AssessmentSummarySchema)
AttemptPageSchema = page_schema(AttemptSchema)
CertificatePageSchema = page_schema(CertificateSchema)
SurveyPageSchema = page_schema(SurveySchema)
ImpactPageSchema = page_schema(ImpactEvaluationSchema)


class YearArgsSchema(ma.Schema):
    """A calendar year (default: this year)."""

    year = F.Integer(load_default=None, validate=V.Range(min=2000, max=2100))

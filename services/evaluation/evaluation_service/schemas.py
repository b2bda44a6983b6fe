"""Request and response shapes of the evaluation API (marshmallow 4)."""

from __future__ import annotations

import marshmallow as ma
from cakap_shared.db import PageArgsSchema, UtcDateTime, page_schema

F = ma.fields
V = ma.validate


# --- questions and banks -------------------------------------------------------


# --- assessments -----------------------------------------------------------------


# --- attempts --------------------------------------------------------------------


# --- certificates ----------------------------------------------------------------


# --- surveys -----------------------------------------------------------------------


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


ImpactPageSchema = page_schema(ImpactEvaluationSchema)


class YearArgsSchema(ma.Schema):
    """A calendar year (default: this year)."""

    year = F.Integer(load_default=None, validate=V.Range(min=2000, max=2100))

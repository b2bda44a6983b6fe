"""Validators and the representations more than one feature answers with.

A course, a class and an enrolment are dumped by several blueprints (a course's classes,
recommendations, a class's completions): their schemas live here once, so the OpenAPI
document has one component per name and the feature modules never import each other.
"""

from __future__ import annotations

import marshmallow as ma
from cakap_shared.schemas import UtcDateTime, page_schema, state_field

from ..models import CourseStatus, EnrolmentStatus

V = ma.validate
ID = V.Length(min=1, max=36)


def code_format() -> V.Validator:
    """Codes appear in URLs and filters: no spaces or odd characters."""
    return V.Regexp(
        r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        error="use letters, digits, '.', '_' or '-' (no spaces)",
    )


class CompetencyTargetSchema(ma.Schema):
    """A competency a course targets and the level it reaches."""

    code = ma.fields.String(required=True, validate=V.Length(min=1, max=40))
    level = ma.fields.Integer(
        strict=True,
        required=True,
        validate=V.Range(min=1, max=5, error="level must be between 1 and 5"),
    )


class ProviderBriefSchema(ma.Schema):
    """A provider as shown inside a course."""

    id = ma.fields.String()
    code = ma.fields.String()
    name = ma.fields.String()
    kind = ma.fields.String()


class CourseSchema(ma.Schema):
    """A course of the catalog."""

    id = ma.fields.String()
    code = ma.fields.String()
    title = ma.fields.String()
    description = ma.fields.String()
    form = ma.fields.String()
    jp = ma.fields.Integer()
    competencies = ma.fields.List(ma.fields.Nested(CompetencyTargetSchema))
    provider_id = ma.fields.String(allow_none=True)
    provider = ma.fields.Nested(ProviderBriefSchema, allow_none=True)
    cost_per_participant = ma.fields.Integer()
    prerequisites = ma.fields.List(ma.fields.String())
    module_ids = ma.fields.List(ma.fields.String())
    pre_test_id = ma.fields.String(allow_none=True)
    post_test_id = ma.fields.String(allow_none=True)
    min_attendance_percent = ma.fields.Integer(allow_none=True)
    completes_by_itself = ma.fields.Boolean(
        metadata={
            "description": "True when completing its modules and post test completes it;"
            " false when a trainer completes it (classroom courses) under its rule"
        }
    )
    status = state_field(CourseStatus)
    created_at = UtcDateTime()
    updated_at = UtcDateTime()
    published_at = UtcDateTime(allow_none=True)


class ClassSchema(ma.Schema):
    """A class (angkatan)."""

    id = ma.fields.String()
    course_id = ma.fields.String()
    course_code = ma.fields.Function(lambda c: c.course.code)
    course_title = ma.fields.Function(lambda c: c.course.title)
    name = ma.fields.String()
    starts_on = ma.fields.Date()
    ends_on = ma.fields.Date()
    place = ma.fields.String(allow_none=True)
    online = ma.fields.Boolean()
    capacity = ma.fields.Integer()
    seats_taken = ma.fields.Integer()
    seats_left = ma.fields.Function(lambda c: c.capacity - c.seats_taken)
    enrolment_opens_on = ma.fields.Date()
    enrolment_closes_on = ma.fields.Date()
    enrolment_open = ma.fields.Boolean()
    trainer_ids = ma.fields.List(ma.fields.String())
    course_status = ma.fields.Function(lambda c: c.course.status)
    jp = ma.fields.Function(lambda c: c.course.jp)
    cost_per_participant = ma.fields.Function(lambda c: c.course.cost_per_participant)
    competencies = ma.fields.Function(
        lambda c: c.course.competencies,
        metadata={"description": "[{code, level}]: levels the course brings learners to"},
    )


# Listed by the course's classes and by the class list: one component, ClassPage.
ClassPageSchema = page_schema(ClassSchema, "ClassPage")


class EnrolmentSchema(ma.Schema):
    """An enrolment and its progress."""

    id = ma.fields.String()
    class_id = ma.fields.String()
    class_name = ma.fields.Function(lambda e: e.course_class.name)
    course_id = ma.fields.String()
    course_code = ma.fields.Function(lambda e: e.course_class.course.code)
    course_title = ma.fields.Function(lambda e: e.course_class.course.title)
    learner_id = ma.fields.String()
    learner_name = ma.fields.String()
    unit_code = ma.fields.String(allow_none=True)
    supervisor_id = ma.fields.String(allow_none=True)
    status = state_field(EnrolmentStatus)
    reason = ma.fields.String(allow_none=True)
    cost_reserved = ma.fields.Integer()
    completed_module_ids = ma.fields.List(ma.fields.String())
    post_test_passed = ma.fields.Boolean()
    requested_at = UtcDateTime()
    decided_at = UtcDateTime(allow_none=True)
    waitlisted_at = UtcDateTime(allow_none=True)
    enrolled_at = UtcDateTime(allow_none=True)
    withdrawn_at = UtcDateTime(allow_none=True)
    completed_at = UtcDateTime(allow_none=True)

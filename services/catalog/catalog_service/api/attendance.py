"""Classroom classes: session days, attendance and completing the learners who meet the rule."""

from __future__ import annotations

from datetime import date
from typing import Any

import marshmallow as ma
from cakap_shared.auth import current_principal
from cakap_shared.problems import CakapError
from flask.views import MethodView
from flask_smorest import Blueprint

from ..domain import attendance
from ..models import ClassSession
from ._common import ID, EnrolmentSchema, V

blp = Blueprint(
    "attendance",
    __name__,
    url_prefix="/api/v1",
    description="Classroom training: session days, attendance, completion",
)


class SessionSchema(ma.Schema):
    """A session day of a class."""

    id = ma.fields.String()
    day = ma.fields.Date()


class SessionCreateSchema(ma.Schema):
    """A new session day (between the class's start and end)."""

    day = ma.fields.Date(required=True)


class SessionListSchema(ma.Schema):
    """The class's session days, in order."""

    items = ma.fields.List(ma.fields.Nested(SessionSchema))


class AttendanceRecordSchema(ma.Schema):
    """Who was present on a session day: every enrolled learner not named was absent."""

    present = ma.fields.List(
        ma.fields.String(validate=ID), required=True, validate=V.Length(max=5000)
    )


class UnmetSchema(ma.Schema):
    """One part of the completion rule a learner does not meet yet."""

    code = ma.fields.String(metadata={"enum": ["attendance", "modules", "post_test"]})
    detail = ma.fields.String()


class RuleSchema(ma.Schema):
    """The course's completion rule."""

    completed_by = ma.fields.String(metadata={"enum": ["self", "trainer"]})
    min_attendance_percent = ma.fields.Integer(allow_none=True)
    modules = ma.fields.Integer(metadata={"description": "Modules to complete"})
    post_test = ma.fields.Boolean(metadata={"description": "A post test to pass"})


class StandingSchema(ma.Schema):
    """A learner's attendance and where they stand against the rule."""

    enrolment_id = ma.fields.Function(lambda s: s.enrolment.id)
    learner_id = ma.fields.Function(lambda s: s.enrolment.learner_id)
    learner_name = ma.fields.Function(lambda s: s.enrolment.learner_name)
    unit_code = ma.fields.Function(lambda s: s.enrolment.unit_code)
    status = ma.fields.Function(lambda s: s.enrolment.status)
    present_days = ma.fields.List(ma.fields.Date())
    attendance_percent = ma.fields.Integer(allow_none=True)
    meets_rule = ma.fields.Boolean()
    unmet = ma.fields.List(ma.fields.Nested(UnmetSchema))


class AttendanceSheetSchema(ma.Schema):
    """A class's attendance sheet: session days, the rule, every learner's standing."""

    class_id = ma.fields.String()
    rule = ma.fields.Nested(RuleSchema)
    sessions = ma.fields.List(ma.fields.Nested(SessionSchema))
    learners = ma.fields.List(ma.fields.Nested(StandingSchema))


class ClassCompletionSchema(ma.Schema):
    """Who was completed and who was not (with what they miss)."""

    completed = ma.fields.List(ma.fields.Nested(EnrolmentSchema))
    not_completed = ma.fields.List(ma.fields.Nested(StandingSchema))


@blp.route("/classes/<class_id>/sessions")
class ClassSessions(MethodView):
    """Session days of a class."""

    @blp.response(200, SessionListSchema)
    def get(self, class_id: str) -> attendance.SessionDays:
        """The session days (admin, the class's trainers)."""
        return attendance.session_days(class_id, current_principal())

    @blp.arguments(SessionCreateSchema)
    @blp.response(201, SessionSchema)
    def post(self, body: dict[str, Any], class_id: str) -> ClassSession:
        """Add a session day between the class's start and end; 409 when it exists."""
        return attendance.add_session(class_id, current_principal(), body["day"])


@blp.route("/classes/<class_id>/sessions/<day>")
class ClassSessionsByDay(MethodView):
    """One session day."""

    @blp.response(204)
    def delete(self, class_id: str, day: str) -> None:
        """Remove a session day and the attendance recorded on it."""
        attendance.remove_session(class_id, current_principal(), _day(day))


@blp.route("/classes/<class_id>/sessions/<day>/attendance")
class SessionAttendance(MethodView):
    """Attendance of one session day."""

    @blp.arguments(AttendanceRecordSchema)
    @blp.response(200, AttendanceSheetSchema)
    def put(self, body: dict[str, Any], class_id: str, day: str) -> attendance.Sheet:
        """Record who was present (replaces the day's list); 409 for a day still to come."""
        return attendance.record(class_id, current_principal(), _day(day), body["present"])


@blp.route("/classes/<class_id>/attendance")
class ClassAttendance(MethodView):
    """The attendance sheet."""

    @blp.response(200, AttendanceSheetSchema)
    def get(self, class_id: str) -> attendance.Sheet:
        """Session days, the completion rule, and each learner's attendance and standing."""
        return attendance.sheet(class_id, current_principal())


@blp.route("/classes/<class_id>/completions")
class ClassCompletions(MethodView):
    """Completing a classroom class."""

    @blp.response(200, ClassCompletionSchema)
    def post(self, class_id: str) -> attendance.ClassCompletion:
        """Complete every enrolled learner who meets the rule (admin, the class's trainers).

        Each completion is the same `enrolment.completed` event as e-learning (JP,
        certificate, survey, impact evaluation follow); 409 for a course that completes by
        itself.
        """
        return attendance.complete_class(class_id, current_principal())


def _day(raw: Any) -> date:
    try:
        return raw if isinstance(raw, date) else date.fromisoformat(str(raw))
    except ValueError:
        raise CakapError(
            422, "day: not a date (YYYY-MM-DD)", errors={"day": ["not a date"]}, code="invalid-day"
        ) from None

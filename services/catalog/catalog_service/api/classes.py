"""Classes across courses, changing one (admin), and a class's roster for its trainers."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.auth import current_principal, require_roles
from cakap_shared.db import paginate
from cakap_shared.schemas import PageArgsSchema, UtcDateTime, page_schema, state_field
from flask.views import MethodView
from flask_smorest import Blueprint

from ..domain import classes
from ..extensions import db
from ..models import CourseClass, EnrolmentStatus
from ._common import ID, ClassPageSchema, ClassSchema, V

blp = Blueprint("classes", __name__, url_prefix="/api/v1", description="Classes and rosters")


class ClassUpdateSchema(ma.Schema):
    """Changes to a class (admin): any of its fields; dates are checked with the kept ones."""

    name = ma.fields.String(validate=V.Length(min=1, max=200))
    starts_on = ma.fields.Date()
    ends_on = ma.fields.Date()
    capacity = ma.fields.Integer(
        strict=True, validate=V.Range(min=1, max=100000, error="capacity must be at least 1")
    )
    place = ma.fields.String(allow_none=True, validate=V.Length(max=300))
    online = ma.fields.Boolean()
    enrolment_opens_on = ma.fields.Date()
    enrolment_closes_on = ma.fields.Date()
    trainer_ids = ma.fields.List(ma.fields.String(validate=ID))


class ClassQueryArgsSchema(PageArgsSchema):
    """Filters of the class list."""

    course_id = ma.fields.String(validate=ID)
    open = ma.fields.Boolean(metadata={"description": "Only classes whose enrolment is open today"})
    trainer_id = ma.fields.String(validate=ID)
    year = ma.fields.Integer(
        validate=V.Range(min=2000, max=2100), metadata={"description": "Classes starting that year"}
    )


class RosterEntrySchema(ma.Schema):
    """A learner in a class, as trainers see them (no NIP)."""

    enrolment_id = ma.fields.String(attribute="id")
    learner_id = ma.fields.String()
    learner_name = ma.fields.String()
    unit_code = ma.fields.String(allow_none=True)
    status = state_field(EnrolmentStatus)
    completed_module_ids = ma.fields.List(ma.fields.String())
    post_test_passed = ma.fields.Boolean()
    completed_at = UtcDateTime(allow_none=True)


class RosterQueryArgsSchema(PageArgsSchema):
    """Which learners of the class."""

    status = state_field(EnrolmentStatus)


@blp.route("/classes")
class Classes(MethodView):
    """Classes of all courses."""

    @blp.arguments(ClassQueryArgsSchema, location="query")
    @blp.response(200, ClassPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Classes, soonest first: of one course, open for enrolment today, or of a trainer."""
        return classes.listing(current_principal(), args)


@blp.route("/classes/<class_id>")
class ClassesById(MethodView):
    """One class."""

    @blp.response(200, ClassSchema)
    def get(self, class_id: str) -> CourseClass:
        """A class with its seats and enrolment window."""
        return classes.load(class_id, current_principal())

    @blp.arguments(ClassUpdateSchema)
    @blp.response(200, ClassSchema)
    @blp.alt_response(409, description="Capacity below the enrolled, attendance outside new dates")
    def patch(self, body: dict[str, Any], class_id: str) -> CourseClass:
        """Change a class (admin): name, dates, place, capacity, enrolment window, trainers."""
        return classes.update_class(class_id, require_roles("admin"), body)


@blp.route("/classes/<class_id>/roster")
class ClassRoster(MethodView):
    """Who is in a class."""

    @blp.arguments(RosterQueryArgsSchema, location="query")
    @blp.response(200, page_schema(RosterEntrySchema, "RosterEntryPage"))
    def get(self, args: dict[str, Any], class_id: str) -> dict[str, Any]:
        """Enrolled, completed and waitlisted learners (trainers of the class, admin, services)."""
        stmt = classes.roster(class_id, current_principal(), args.get("status"))
        return paginate(db, stmt, args["page"], args["per_page"])

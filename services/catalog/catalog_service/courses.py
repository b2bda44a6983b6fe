"""Courses: search for everyone signed in; admins create, edit, publish, archive, add classes."""

from __future__ import annotations

from typing import Any

from cakap_shared.auth import current_principal, require_roles
from cakap_shared.db import PageArgsSchema, paginate
from cakap_shared.problems import CakapError
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from . import course_logic
from .domain import attendance, clock
from .extensions import db
from .models import Course, CourseClass
from .schemas import (
    ClassCreateSchema,
    ClassSchema,
    CourseCreateSchema,
    CourseQueryArgsSchema,
    CourseSchema,
    CourseUpdateSchema,
    page_of,
)

blp = Blueprint("courses", __name__, url_prefix="/api/v1", description="Courses and their classes")


def _course(course_id: str) -> Course:
    return course_logic.visible(db.session.get(Course, course_id), current_principal())


@blp.route("/courses")
class Courses(MethodView):
    """The catalog."""

    @blp.arguments(CourseQueryArgsSchema, location="query")
    @blp.response(200, page_of(CourseSchema))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Search courses: full text (q), filters, sort, pages; published ones unless admin."""
        stmt = course_logic.search_query(args, current_principal())
        return paginate(db, stmt, args["page"], args["per_page"])

    @blp.arguments(CourseCreateSchema)
    @blp.response(201, CourseSchema)
    def post(self, body: dict[str, Any]) -> Course:
        """Create a draft course (admin)."""
        require_roles("admin")
        return course_logic.create(body)


@blp.route("/courses/<course_id>")
class CoursesById(MethodView):
    """One course."""

    @blp.response(200, CourseSchema)
    def get(self, course_id: str) -> Course:
        """A course (drafts only for admins)."""
        return _course(course_id)

    @blp.arguments(CourseUpdateSchema)
    @blp.response(200, CourseSchema)
    def patch(self, body: dict[str, Any], course_id: str) -> Course:
        """Edit a course (admin): drafts freely, published ones in a few fields."""
        require_roles("admin")
        return course_logic.update(_course(course_id), body)


@blp.route("/courses/<course_id>/publish")
class CoursePublication(MethodView):
    """Publishing."""

    @blp.response(200, CourseSchema)
    def post(self, course_id: str) -> Course:
        """Publish a draft course (admin); 409 from any other status."""
        require_roles("admin")
        return course_logic.transition(_course(course_id), "publish")


@blp.route("/courses/<course_id>/archive")
class CourseArchival(MethodView):
    """Archiving."""

    @blp.response(200, CourseSchema)
    def post(self, course_id: str) -> Course:
        """Archive a course (admin): no new enrolments; 409 when already archived."""
        require_roles("admin")
        return course_logic.transition(_course(course_id), "archive")


@blp.route("/courses/<course_id>/classes")
class CourseClasses(MethodView):
    """Classes (angkatan) of a course."""

    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_of(ClassSchema))
    def get(self, args: dict[str, Any], course_id: str) -> dict[str, Any]:
        """The course's classes, soonest first."""
        course = _course(course_id)
        stmt = (
            select(CourseClass)
            .where(CourseClass.course_id == course.id)
            .order_by(CourseClass.starts_on, CourseClass.name)
        )
        return paginate(db, stmt, args["page"], args["per_page"])

    @blp.arguments(ClassCreateSchema)
    @blp.response(201, ClassSchema)
    def post(self, body: dict[str, Any], course_id: str) -> CourseClass:
        """Open a class of a draft or published course (admin)."""
        require_roles("admin")
        course = _course(course_id)
        if course.status == "archived":
            raise CakapError(409, f"Course {course.code} is archived: it gets no new classes.")
        opens = body.pop("enrolment_opens_on", None) or min(clock.today(), body["starts_on"])
        closes = body.pop("enrolment_closes_on", None) or body["starts_on"]
        if closes < opens:
            raise CakapError(
                422,
                "enrolment_closes_on: enrolment closes before it opens",
                errors={"enrolment_closes_on": ["enrolment closes before it opens"]},
            )
        course_class = CourseClass(
            course_id=course.id,
            enrolment_opens_on=opens,
            enrolment_closes_on=closes,
            seats_taken=0,
            **body,
        )
        db.session.add(course_class)
        db.session.flush()
        attendance.add_default_sessions(course_class)
        db.session.commit()
        return course_class

"""Courses: search for everyone signed in; admins create, edit, publish, archive, add classes."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.auth import current_principal, require_roles
from cakap_shared.db import paginate
from cakap_shared.schemas import PageArgsSchema, page_schema, state_field
from flask.views import MethodView
from flask_smorest import Blueprint

from ..domain import classes, courses
from ..domain.courses import CourseAction
from ..extensions import db
from ..models import COURSE_FORMS, Course, CourseClass, CourseStatus
from ._common import (
    ID,
    ClassPageSchema,
    ClassSchema,
    CompetencyTargetSchema,
    CourseSchema,
    V,
    code_format,
)

blp = Blueprint("courses", __name__, url_prefix="/api/v1", description="Courses and their classes")


class CourseCreateSchema(ma.Schema):
    """A new course (it starts as a draft)."""

    code = ma.fields.String(required=True, validate=[V.Length(min=1, max=40), code_format()])
    title = ma.fields.String(required=True, validate=V.Length(min=1, max=300))
    description = ma.fields.String(load_default="", validate=V.Length(max=20000))
    # Checked in domain.courses.check_form: cakap_shared's error flattening drops a field
    # named "form" (it takes it for webargs' form location).
    form = ma.fields.String(
        load_default=None,
        validate=V.Length(max=30),
        metadata={
            "description": "Defaults to e_learning with modules, else klasikal",
            "enum": list(COURSE_FORMS),
        },
    )
    jp = ma.fields.Integer(
        strict=True,
        required=True,
        validate=V.Range(min=1, max=10000, error="jp must be greater than 0"),
    )
    competencies = ma.fields.List(ma.fields.Nested(CompetencyTargetSchema), load_default=list)
    provider_id = ma.fields.String(allow_none=True, load_default=None, validate=ID)
    # Bounded so cost x capacity still fits the BIGINT budget columns.
    cost_per_participant = ma.fields.Integer(
        strict=True,
        load_default=0,
        validate=V.Range(min=0, max=10**12, error="cost cannot be negative or above 10^12 rupiah"),
    )
    prerequisites = ma.fields.List(
        ma.fields.String(validate=V.Length(min=1, max=40)),
        load_default=list,
        metadata={"description": "Codes of courses to complete first"},
    )
    module_ids = ma.fields.List(ma.fields.String(validate=ID), load_default=list)
    pre_test_id = ma.fields.String(allow_none=True, load_default=None, validate=ID)
    post_test_id = ma.fields.String(allow_none=True, load_default=None, validate=ID)
    min_attendance_percent = ma.fields.Integer(
        strict=True,
        allow_none=True,
        validate=V.Range(min=0, max=100, error="min_attendance_percent must be 0 to 100"),
        metadata={
            "description": "Completion rule: share of session days to attend (null: not"
            " required). Default 80 for klasikal and blended courses, else null"
        },
    )

    @ma.validates_schema
    def _no_duplicates(self, data: dict[str, Any], **_: Any) -> None:
        codes = [c["code"] for c in data.get("competencies") or []]
        if len(codes) != len(set(codes)):
            raise ma.ValidationError("a competency is listed twice", "competencies")
        modules = data.get("module_ids") or []
        if len(modules) != len(set(modules)):
            raise ma.ValidationError("a module is listed twice", "module_ids")


class CourseUpdateSchema(CourseCreateSchema):
    """Changes to a course; every field optional."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


class CourseQueryArgsSchema(PageArgsSchema):
    """Search and filters of the course list."""

    q = ma.fields.String(validate=V.Length(max=200), metadata={"description": "Full text"})
    competency = ma.fields.String(
        validate=V.Length(max=400), metadata={"description": "Competency code(s), comma-separated"}
    )
    form = ma.fields.String(
        validate=V.Length(max=30), metadata={"enum": list(COURSE_FORMS)}
    )  # checked in domain.courses.check_form (see CourseCreateSchema.form)
    provider = ma.fields.String(validate=V.Length(max=40), metadata={"description": "Id or code"})
    module_id = ma.fields.String(
        validate=ID, metadata={"description": "Courses holding this module (where it is used)"}
    )
    test_id = ma.fields.String(
        validate=ID, metadata={"description": "Courses using this assessment as pre or post test"}
    )
    # Bounded like a course's jp: an unbounded integer overflows the database's.
    jp_min = ma.fields.Integer(validate=V.Range(min=0, max=10000))
    jp_max = ma.fields.Integer(validate=V.Range(min=0, max=10000))
    has_open_class = ma.fields.Boolean()
    status = state_field(
        CourseStatus,
        metadata={"description": "Admins only; others always see published courses"},
    )
    sort = ma.fields.String(
        validate=V.OneOf(("relevance", "title", "-title", "jp", "-jp")),
        metadata={"description": "Default: relevance with q, else title"},
    )

    @ma.validates_schema
    def _range(self, data: dict[str, Any], **_: Any) -> None:
        if "jp_min" in data and "jp_max" in data and data["jp_min"] > data["jp_max"]:
            raise ma.ValidationError("jp_max is below jp_min", "jp_max")


class ClassCreateSchema(ma.Schema):
    """A new class (angkatan) of a course."""

    name = ma.fields.String(required=True, validate=V.Length(min=1, max=200))
    starts_on = ma.fields.Date(required=True)
    ends_on = ma.fields.Date(required=True)
    capacity = ma.fields.Integer(
        strict=True,
        required=True,
        validate=V.Range(min=1, max=100000, error="capacity must be at least 1"),
    )
    place = ma.fields.String(allow_none=True, load_default=None, validate=V.Length(max=300))
    online = ma.fields.Boolean(load_default=False)
    enrolment_opens_on = ma.fields.Date(
        load_default=None, allow_none=True, metadata={"description": "Default: today"}
    )
    enrolment_closes_on = ma.fields.Date(
        load_default=None, allow_none=True, metadata={"description": "Default: starts_on"}
    )
    trainer_ids = ma.fields.List(ma.fields.String(validate=ID), load_default=list)

    @ma.validates_schema
    def _dates(self, data: dict[str, Any], **_: Any) -> None:
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            raise ma.ValidationError("the class ends before it starts", "ends_on")
        opens, closes = data.get("enrolment_opens_on"), data.get("enrolment_closes_on")
        if opens and closes and closes < opens:
            raise ma.ValidationError("enrolment closes before it opens", "enrolment_closes_on")
        if closes and ends and closes > ends:
            raise ma.ValidationError("enrolment closes after the class ends", "enrolment_closes_on")


@blp.route("/courses")
class Courses(MethodView):
    """The catalog."""

    @blp.arguments(CourseQueryArgsSchema, location="query")
    @blp.response(200, page_schema(CourseSchema, "CoursePage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Search courses: full text (q), filters, sort, pages; published ones unless admin."""
        return courses.search_page(args, current_principal())

    @blp.arguments(CourseCreateSchema)
    @blp.response(201, CourseSchema)
    def post(self, body: dict[str, Any]) -> Course:
        """Create a draft course (admin)."""
        require_roles("admin")
        return courses.create(body)


@blp.route("/courses/<course_id>")
class CoursesById(MethodView):
    """One course."""

    @blp.response(200, CourseSchema)
    def get(self, course_id: str) -> Course:
        """A course (drafts only for admins)."""
        return courses.load(course_id, current_principal())

    @blp.arguments(CourseUpdateSchema)
    @blp.response(200, CourseSchema)
    def patch(self, body: dict[str, Any], course_id: str) -> Course:
        """Edit a course (admin): drafts freely, published ones in a few fields."""
        return courses.update(course_id, require_roles("admin"), body)


@blp.route("/courses/<course_id>/publish")
class CoursePublication(MethodView):
    """Publishing."""

    @blp.response(200, CourseSchema)
    def post(self, course_id: str) -> Course:
        """Publish a draft course (admin); 409 from any other status."""
        return courses.transition(course_id, require_roles("admin"), CourseAction.PUBLISH)


@blp.route("/courses/<course_id>/archive")
class CourseArchival(MethodView):
    """Archiving."""

    @blp.response(200, CourseSchema)
    def post(self, course_id: str) -> Course:
        """Archive a course (admin): no new enrolments; 409 when already archived."""
        return courses.transition(course_id, require_roles("admin"), CourseAction.ARCHIVE)


@blp.route("/courses/<course_id>/classes")
class CourseClasses(MethodView):
    """Classes (angkatan) of a course."""

    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, ClassPageSchema)
    def get(self, args: dict[str, Any], course_id: str) -> dict[str, Any]:
        """The course's classes, soonest first."""
        stmt = classes.of_course(course_id, current_principal())
        return paginate(db, stmt, args["page"], args["per_page"])

    @blp.arguments(ClassCreateSchema)
    @blp.response(201, ClassSchema)
    def post(self, body: dict[str, Any], course_id: str) -> CourseClass:
        """Open a class of a draft or published course (admin)."""
        return classes.open_class(course_id, require_roles("admin"), body)

"""Request and response schemas of the catalog API."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.db import PageArgsSchema, UtcDateTime

from .models import (
    COMPETENCY_TYPES,
    COURSE_FORMS,
    COURSE_STATUSES,
    ENROLMENT_STATUSES,
    PROVIDER_KINDS,
)

V = ma.validate
LEVELS = ("1", "2", "3", "4", "5")
_ID = V.Length(min=1, max=36)


def _code() -> V.Validator:
    """Codes appear in URLs and filters: no spaces or odd characters."""
    return V.Regexp(
        r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        error="use letters, digits, '.', '_' or '-' (no spaces)",
    )


class CompetencySchema(ma.Schema):
    """A competency of the dictionary, with a behaviour indicator per level 1-5."""

    id = ma.fields.String(dump_only=True)
    code = ma.fields.String(required=True, validate=[V.Length(min=1, max=40), _code()])
    name = ma.fields.String(required=True, validate=V.Length(min=1, max=200))
    type = ma.fields.String(required=True, validate=V.OneOf(COMPETENCY_TYPES))
    description = ma.fields.String(load_default="", validate=V.Length(max=5000))
    indicators = ma.fields.Dict(
        keys=ma.fields.String(validate=V.OneOf(LEVELS, error="levels are 1 to 5")),
        values=ma.fields.String(validate=V.Length(min=1, max=2000)),
        load_default=dict,
        metadata={"description": 'Behaviour indicator per level: {"1": "...", ..., "5": "..."}'},
    )
    created_at = UtcDateTime(dump_only=True)


class CompetencyQueryArgsSchema(PageArgsSchema):
    """Filters of the dictionary list."""

    type = ma.fields.String(validate=V.OneOf(COMPETENCY_TYPES))
    q = ma.fields.String(validate=V.Length(max=200))


class ProviderSchema(ma.Schema):
    """A training provider with its contact."""

    id = ma.fields.String(dump_only=True)
    code = ma.fields.String(required=True, validate=[V.Length(min=1, max=40), _code()])
    name = ma.fields.String(required=True, validate=V.Length(min=1, max=200))
    kind = ma.fields.String(required=True, validate=V.OneOf(PROVIDER_KINDS))
    contact_name = ma.fields.String(allow_none=True, validate=V.Length(max=200))
    contact_email = ma.fields.Email(allow_none=True, validate=V.Length(max=200))
    contact_phone = ma.fields.String(allow_none=True, validate=V.Length(max=50))
    address = ma.fields.String(allow_none=True, validate=V.Length(max=1000))
    created_at = UtcDateTime(dump_only=True)


class ProviderUpdateSchema(ProviderSchema):
    """Changes to a provider; every field optional."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


class ProviderBriefSchema(ma.Schema):
    """A provider as shown inside a course."""

    id = ma.fields.String()
    code = ma.fields.String()
    name = ma.fields.String()
    kind = ma.fields.String()


class CompetencyTargetSchema(ma.Schema):
    """A competency a course targets and the level it reaches."""

    code = ma.fields.String(required=True, validate=V.Length(min=1, max=40))
    level = ma.fields.Integer(
        strict=True,
        required=True,
        validate=V.Range(min=1, max=5, error="level must be between 1 and 5"),
    )


class CourseCreateSchema(ma.Schema):
    """A new course (it starts as a draft)."""

    code = ma.fields.String(required=True, validate=[V.Length(min=1, max=40), _code()])
    title = ma.fields.String(required=True, validate=V.Length(min=1, max=300))
    description = ma.fields.String(load_default="", validate=V.Length(max=20000))
    # Checked in course_logic.check_form: cakap_shared's error flattening drops a field
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
    provider_id = ma.fields.String(allow_none=True, load_default=None, validate=_ID)
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
    module_ids = ma.fields.List(ma.fields.String(validate=_ID), load_default=list)
    pre_test_id = ma.fields.String(allow_none=True, load_default=None, validate=_ID)
    post_test_id = ma.fields.String(allow_none=True, load_default=None, validate=_ID)
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
    status = ma.fields.String()
    created_at = UtcDateTime()
    updated_at = UtcDateTime()
    published_at = UtcDateTime(allow_none=True)


class CourseQueryArgsSchema(PageArgsSchema):
    """Search and filters of the course list."""

    q = ma.fields.String(validate=V.Length(max=200), metadata={"description": "Full text"})
    competency = ma.fields.String(
        validate=V.Length(max=400), metadata={"description": "Competency code(s), comma-separated"}
    )
    form = ma.fields.String(
        validate=V.Length(max=30), metadata={"enum": list(COURSE_FORMS)}
    )  # checked in course_logic.check_form (see CourseCreateSchema.form)
    provider = ma.fields.String(validate=V.Length(max=40), metadata={"description": "Id or code"})
    module_id = ma.fields.String(
        validate=_ID, metadata={"description": "Courses holding this module (where it is used)"}
    )
    test_id = ma.fields.String(
        validate=_ID, metadata={"description": "Courses using this assessment as pre or post test"}
    )
    # Bounded like a course's jp: an unbounded integer overflows the database's.
    jp_min = ma.fields.Integer(validate=V.Range(min=0, max=10000))
    jp_max = ma.fields.Integer(validate=V.Range(min=0, max=10000))
    has_open_class = ma.fields.Boolean()
    status = ma.fields.String(
        validate=V.OneOf(COURSE_STATUSES),
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
    trainer_ids = ma.fields.List(ma.fields.String(validate=_ID), load_default=list)

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
    trainer_ids = ma.fields.List(ma.fields.String(validate=_ID))


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


class ClassQueryArgsSchema(PageArgsSchema):
    """Filters of the class list."""

    course_id = ma.fields.String(validate=_ID)
    open = ma.fields.Boolean(metadata={"description": "Only classes whose enrolment is open today"})
    trainer_id = ma.fields.String(validate=_ID)
    year = ma.fields.Integer(
        validate=V.Range(min=2000, max=2100), metadata={"description": "Classes starting that year"}
    )


class RosterEntrySchema(ma.Schema):
    """A learner in a class, as trainers see them (no NIP)."""

    enrolment_id = ma.fields.String(attribute="id")
    learner_id = ma.fields.String()
    learner_name = ma.fields.String()
    unit_code = ma.fields.String(allow_none=True)
    status = ma.fields.String()
    completed_module_ids = ma.fields.List(ma.fields.String())
    post_test_passed = ma.fields.Boolean()
    completed_at = UtcDateTime(allow_none=True)


class RosterQueryArgsSchema(PageArgsSchema):
    """Which learners of the class."""

    status = ma.fields.String(validate=V.OneOf(ENROLMENT_STATUSES))


class BudgetCreateSchema(ma.Schema):
    """A unit's training budget for a year, in rupiah."""

    unit_code = ma.fields.String(required=True, validate=V.Length(min=1, max=50))
    year = ma.fields.Integer(strict=True, required=True, validate=V.Range(min=2000, max=2100))
    amount = ma.fields.Integer(
        strict=True,
        required=True,
        validate=V.Range(min=0, max=10**15, error="amount cannot be negative"),
    )


class BudgetUpdateSchema(ma.Schema):
    """A new amount for a budget."""

    amount = ma.fields.Integer(
        strict=True,
        required=True,
        validate=V.Range(min=0, max=10**15, error="amount cannot be negative"),
    )


class BudgetSchema(ma.Schema):
    """A unit's budget and how much of it approvals have reserved."""

    id = ma.fields.String()
    unit_code = ma.fields.String()
    year = ma.fields.Integer()
    amount = ma.fields.Integer()
    reserved = ma.fields.Integer(metadata={"description": "Held by approvals, spent included"})
    spent = ma.fields.Integer(
        dump_default=0, metadata={"description": "Reserved cost of completed enrolments"}
    )
    available = ma.fields.Function(lambda b: b.amount - b.reserved)


class BudgetQueryArgsSchema(PageArgsSchema):
    """Filters of the budget list."""

    unit_code = ma.fields.String(validate=V.Length(max=50))
    year = ma.fields.Integer(validate=V.Range(min=2000, max=2100))


class LearningAccessArgsSchema(ma.Schema):
    """Whose access to which module or assessment."""

    learner_id = ma.fields.String(required=True, validate=_ID)
    module_id = ma.fields.String(validate=_ID)
    assessment_id = ma.fields.String(validate=_ID)

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

    person_id = ma.fields.String(required=True, validate=_ID)


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


_PAGES: dict[str, type[ma.Schema]] = {}


def page_of(item_schema: type[ma.Schema]) -> type[ma.Schema]:
    """The list answer {"items", "total", "page", "per_page"} of `item_schema`, built once."""
    from cakap_shared.db import page_schema

    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    if name not in _PAGES:
        _PAGES[name] = page_schema(item_schema, name=name)
    return _PAGES[name]

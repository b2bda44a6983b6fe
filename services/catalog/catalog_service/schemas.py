"""Request and response schemas of the catalog API."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.db import PageArgsSchema

from .api._common import CourseSchema

V = ma.validate
_ID = V.Length(min=1, max=36)


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

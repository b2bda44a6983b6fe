"""Personal development plans: an ASN's courses for the year, approved by the supervisor."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.auth import current_principal
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate as V

from ..domain import development_plans as plans
from ..models import PLAN_STATUSES, DevelopmentPlan

blp = Blueprint(
    "development_plans",
    __name__,
    url_prefix="/api/v1",
    description="Personal development plans: the year's intended courses, approved by supervisors",
)

_ID = V.Length(min=1, max=36)
_YEAR = V.Range(min=2000, max=2100)


class PlanItemSchema(ma.Schema):
    """A course in the plan."""

    course_id = ma.fields.String()
    course_code = ma.fields.Function(lambda i: i.course.code)
    course_title = ma.fields.Function(lambda i: i.course.title)
    jp = ma.fields.Function(lambda i: i.course.jp)
    note = ma.fields.String(allow_none=True)
    added_at = ma.fields.DateTime()


class PlanSchema(ma.Schema):
    """A development plan."""

    id = ma.fields.String()
    person_id = ma.fields.String()
    person_name = ma.fields.String()
    unit_code = ma.fields.String(allow_none=True)
    supervisor_id = ma.fields.String(allow_none=True)
    year = ma.fields.Integer()
    status = ma.fields.String(metadata={"enum": list(PLAN_STATUSES)})
    supervisor_comment = ma.fields.String(allow_none=True)
    decided_by = ma.fields.String(allow_none=True)
    submitted_at = ma.fields.DateTime(allow_none=True)
    decided_at = ma.fields.DateTime(allow_none=True)
    total_jp = ma.fields.Function(lambda p: sum(i.course.jp for i in p.items))
    items = ma.fields.List(ma.fields.Nested(PlanItemSchema))


class PlanListSchema(ma.Schema):
    """Plans the caller may read."""

    items = ma.fields.List(ma.fields.Nested(PlanSchema))


class PlanQuerySchema(ma.Schema):
    """Which plans: mine (default), team (the ones I decide), all (admins)."""

    scope = ma.fields.String(load_default="mine", validate=V.OneOf(["mine", "team", "all"]))
    year = ma.fields.Integer(validate=_YEAR)
    status = ma.fields.String(validate=V.OneOf(PLAN_STATUSES))


class PlanCreateSchema(ma.Schema):
    """A new plan for a year."""

    year = ma.fields.Integer(required=True, validate=_YEAR)


class PlanItemCreateSchema(ma.Schema):
    """A published course to put in the plan, with an optional note on why."""

    course_id = ma.fields.String(required=True, validate=_ID)
    note = ma.fields.String(load_default=None, allow_none=True, validate=V.Length(max=500))


def _not_blank(value: str) -> None:
    # A function, not a regular expression: the API fuzzer cannot generate from `\S$`.
    if not value.strip():
        raise ma.ValidationError("empty")


class PlanReturnSchema(ma.Schema):
    """What the person should change."""

    comment = ma.fields.String(required=True, validate=[V.Length(max=2000), _not_blank])


class PlanApproveSchema(ma.Schema):
    """An optional word with the approval."""

    comment = ma.fields.String(load_default=None, allow_none=True, validate=V.Length(max=2000))


@blp.route("/development-plans")
class DevelopmentPlans(MethodView):
    """Development plans."""

    @blp.arguments(PlanQuerySchema, location="query")
    @blp.response(200, PlanListSchema)
    def get(self, args: dict[str, Any]) -> plans.PlanList:
        """Mine; scope=team: the plans I decide as supervisor; scope=all: everyone's (admin)."""
        return plans.list_plans(
            current_principal(), args["scope"], args.get("year"), args.get("status")
        )

    @blp.arguments(PlanCreateSchema)
    @blp.response(201, PlanSchema)
    def post(self, body: dict[str, Any]) -> DevelopmentPlan:
        """Start my plan for a year (ASN); 409 `plan-exists` with `plan_id` when it exists."""
        return plans.create(current_principal(), body["year"])


@blp.route("/development-plans/<plan_id>")
class DevelopmentPlanById(MethodView):
    """One plan."""

    @blp.response(200, PlanSchema)
    def get(self, plan_id: str) -> DevelopmentPlan:
        """The plan (its owner, their supervisors, admin)."""
        return plans.for_viewer(plan_id, current_principal())


@blp.route("/development-plans/<plan_id>/items")
class DevelopmentPlanItems(MethodView):
    """Courses of a plan."""

    @blp.arguments(PlanItemCreateSchema)
    @blp.response(201, PlanSchema)
    def post(self, body: dict[str, Any], plan_id: str) -> DevelopmentPlan:
        """Add a published course (owner, draft or returned plan); 422 names `course_id`."""
        return plans.add_course(plan_id, current_principal(), body["course_id"], body["note"])


@blp.route("/development-plans/<plan_id>/items/<course_id>")
class DevelopmentPlanItem(MethodView):
    """One course of a plan."""

    @blp.response(200, PlanSchema)
    def delete(self, plan_id: str, course_id: str) -> DevelopmentPlan:
        """Take the course out (owner, draft or returned plan)."""
        return plans.remove_course(plan_id, current_principal(), course_id)


@blp.route("/development-plans/<plan_id>/submit")
class DevelopmentPlanSubmit(MethodView):
    """Submitting a plan."""

    @blp.response(200, PlanSchema)
    def post(self, plan_id: str) -> DevelopmentPlan:
        """Send the plan to the supervisor (owner; at least one course)."""
        return plans.submit(plan_id, current_principal())


@blp.route("/development-plans/<plan_id>/approve")
class DevelopmentPlanApprove(MethodView):
    """Approving a plan."""

    @blp.arguments(PlanApproveSchema)
    @blp.response(200, PlanSchema)
    def post(self, body: dict[str, Any], plan_id: str) -> DevelopmentPlan:
        """Approve a submitted plan (the person's supervisor or an admin)."""
        return plans.decide(plan_id, current_principal(), True, body["comment"])


@blp.route("/development-plans/<plan_id>/return")
class DevelopmentPlanReturn(MethodView):
    """Returning a plan."""

    @blp.arguments(PlanReturnSchema)
    @blp.response(200, PlanSchema)
    def post(self, body: dict[str, Any], plan_id: str) -> DevelopmentPlan:
        """Return a submitted plan with a comment (the person's supervisor or an admin)."""
        return plans.decide(plan_id, current_principal(), False, body["comment"])

"""Enrolments: ASN request places, supervisors decide, learners withdraw, trainers complete."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.auth import current_principal, require_roles
from cakap_shared.db import paginate
from cakap_shared.schemas import PageArgsSchema, page_schema, state_field
from flask.views import MethodView
from flask_smorest import Blueprint

from ..domain import activity, attendance
from ..domain import enrolment_rights as rights
from ..domain import enrolments as domain
from ..extensions import db
from ..models import Enrolment, EnrolmentStatus
from ._common import ID, EnrolmentSchema, V

blp = Blueprint("enrolments", __name__, url_prefix="/api/v1", description="Enrolment and approval")


class EnrolmentCreateSchema(ma.Schema):
    """A request for a place in a class, for the caller."""

    class_id = ma.fields.String(required=True, validate=ID)


class PlannedRequestSchema(ma.Schema):
    """One learner a plan puts in a class, with the snapshot an ASN's token would carry."""

    class_id = ma.fields.String(required=True, validate=ID)
    learner_id = ma.fields.String(required=True, validate=ID)
    learner_name = ma.fields.String(required=True, validate=V.Length(min=1, max=200))
    unit_code = ma.fields.String(load_default=None, allow_none=True, validate=V.Length(max=50))
    supervisor_id = ma.fields.String(load_default=None, allow_none=True, validate=ID)


class PlannedRequestsSchema(ma.Schema):
    """Enrolment requests made on the learners' behalf by a development plan."""

    reference = ma.fields.String(required=True, validate=V.Length(min=1, max=200))
    items = ma.fields.List(
        ma.fields.Nested(PlannedRequestSchema), required=True, validate=V.Length(min=1, max=500)
    )


class PlannedResultSchema(ma.Schema):
    """What became of one planned request."""

    class_id = ma.fields.String()
    learner_id = ma.fields.String()
    enrolment_id = ma.fields.String(allow_none=True)
    status = state_field(EnrolmentStatus, allow_none=True)
    created = ma.fields.Boolean()
    problem = ma.fields.String(allow_none=True)


class PlannedResultsSchema(ma.Schema):
    """Per item, in the order sent; `created` counts the new requests."""

    created = ma.fields.Integer()
    existing = ma.fields.Integer()
    refused = ma.fields.Integer()
    items = ma.fields.List(ma.fields.Nested(PlannedResultSchema))


class ApproveSchema(ma.Schema):
    """Approval; an admin may approve beyond the unit's budget with a reason."""

    override_reason = ma.fields.String(validate=V.Length(min=3, max=1000))


class RejectSchema(ma.Schema):
    """Rejection, with the reason the learner will read."""

    reason = ma.fields.String(required=True, validate=V.Length(min=1, max=1000))


class WithdrawSchema(ma.Schema):
    """Withdrawal, with an optional reason."""

    reason = ma.fields.String(validate=V.Length(max=1000))


class EnrolmentQueryArgsSchema(PageArgsSchema):
    """Filters of the enrolment list."""

    scope = ma.fields.String(
        validate=V.OneOf(("mine", "team", "all")),
        metadata={"description": "mine; team (supervisors: their team's); all (admin)"},
    )
    status = state_field(EnrolmentStatus)
    class_id = ma.fields.String(validate=ID)
    course_id = ma.fields.String(validate=ID)
    learner_id = ma.fields.String(validate=ID)
    unit_code = ma.fields.String(validate=V.Length(max=50))


class MonthlyArgsSchema(ma.Schema):
    """The year of the monthly figures."""

    year = ma.fields.Integer(required=True, validate=V.Range(min=2000, max=2100))


class MonthSchema(ma.Schema):
    """One month's completions."""

    month = ma.fields.Integer()
    completions = ma.fields.Integer()
    jp = ma.fields.Integer()
    spent = ma.fields.Integer(metadata={"description": "Rupiah reserved by the completions"})


class MonthlyListSchema(ma.Schema):
    """Twelve months."""

    year = ma.fields.Integer()
    items = ma.fields.List(ma.fields.Nested(MonthSchema))


@blp.route("/enrolments")
class Enrolments(MethodView):
    """Enrolments the caller may see."""

    @blp.arguments(EnrolmentQueryArgsSchema, location="query")
    @blp.response(200, page_schema(EnrolmentSchema, "EnrolmentPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Mine; a supervisor's team's (scope=team: direct reports, or with learner_id anyone
        in my line, direct or indirect); everyone's for admins (filters)."""
        stmt = domain.list_query(current_principal(), args)
        return paginate(db, stmt, args["page"], args["per_page"])

    @blp.arguments(EnrolmentCreateSchema)
    @blp.response(201, EnrolmentSchema)
    def post(self, body: dict[str, Any]) -> Enrolment:
        """Request a place in a class for yourself (ASN); 409 if you already have one."""
        return domain.request_place(current_principal(), body["class_id"])


@blp.route("/enrolments/planned")
class PlannedEnrolments(MethodView):
    """Requests a development plan makes for its learners."""

    @blp.arguments(PlannedRequestsSchema)
    @blp.response(200, PlannedResultsSchema)
    def post(self, body: dict[str, Any]) -> domain.PlannedResults:
        """Request places for learners (admin, service); an active one is kept, not doubled."""
        return domain.request_planned(current_principal(), body["reference"], body["items"])


@blp.route("/enrolments/monthly")
class EnrolmentsMonthly(MethodView):
    """Completions and spending over a year."""

    @blp.arguments(MonthlyArgsSchema, location="query")
    @blp.response(200, MonthlyListSchema)
    def get(self, args: dict[str, Any]) -> activity.Year:
        """Per local month: completions, JP and the cost of completed enrolments (admin)."""
        require_roles("admin")
        return activity.monthly(args["year"])


@blp.route("/enrolments/<enrolment_id>")
class EnrolmentsById(MethodView):
    """One enrolment."""

    @blp.response(200, EnrolmentSchema)
    def get(self, enrolment_id: str) -> Enrolment:
        """An enrolment (the learner, their supervisor, admin)."""
        return rights.for_viewer(enrolment_id, current_principal())


@blp.route("/enrolments/<enrolment_id>/approve")
class EnrolmentApproval(MethodView):
    """Approval."""

    @blp.arguments(ApproveSchema)
    @blp.response(200, EnrolmentSchema)
    def post(self, body: dict[str, Any], enrolment_id: str) -> Enrolment:
        """Approve (supervisor or admin): enrolled while seats remain, else waitlisted."""
        return domain.approve(enrolment_id, current_principal(), body.get("override_reason"))


@blp.route("/enrolments/<enrolment_id>/reject")
class EnrolmentRejection(MethodView):
    """Rejection."""

    @blp.arguments(RejectSchema)
    @blp.response(200, EnrolmentSchema)
    def post(self, body: dict[str, Any], enrolment_id: str) -> Enrolment:
        """Reject with a reason (supervisor or admin)."""
        return domain.reject(enrolment_id, current_principal(), body["reason"])


@blp.route("/enrolments/<enrolment_id>/withdraw")
class EnrolmentWithdrawal(MethodView):
    """Withdrawal."""

    @blp.arguments(WithdrawSchema)
    @blp.response(200, EnrolmentSchema)
    def post(self, body: dict[str, Any], enrolment_id: str) -> Enrolment:
        """Withdraw (learner or admin): frees the seat for the first on the waitlist."""
        return domain.withdraw(enrolment_id, current_principal(), body.get("reason"))


@blp.route("/enrolments/<enrolment_id>/complete")
class EnrolmentCompletion(MethodView):
    """Completion by hand (classroom training)."""

    @blp.response(200, EnrolmentSchema)
    def post(self, enrolment_id: str) -> Enrolment:
        """Complete an enrolled learner of a classroom course who meets its completion rule.

        Admin or a trainer of the class. 409 saying why for a course that completes by itself
        (it holds modules or a post test and is not tatap muka/blended) and for a learner who
        does not meet the course's rule (`unmet` lists what is missing).
        """
        return attendance.complete_one(enrolment_id, current_principal())

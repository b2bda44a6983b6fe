"""Enrolments: ASN request places, supervisors decide, learners withdraw, trainers complete."""

from __future__ import annotations

from typing import Any

from cakap_shared.auth import current_principal, require_roles
from cakap_shared.db import paginate
from cakap_shared.problems import CakapError
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from . import activity
from . import enrolment_logic as logic
from .domain import attendance
from .extensions import db
from .models import Enrolment
from .schemas import (
    ApproveSchema,
    EnrolmentCreateSchema,
    EnrolmentQueryArgsSchema,
    EnrolmentSchema,
    MonthlyArgsSchema,
    MonthlyListSchema,
    PlannedRequestsSchema,
    PlannedResultsSchema,
    RejectSchema,
    WithdrawSchema,
    page_of,
)

blp = Blueprint("enrolments", __name__, url_prefix="/api/v1", description="Enrolment and approval")


@blp.route("/enrolments")
class Enrolments(MethodView):
    """Enrolments the caller may see."""

    @blp.arguments(EnrolmentQueryArgsSchema, location="query")
    @blp.response(200, page_of(EnrolmentSchema))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Mine; a supervisor's team's (scope=team: direct reports, or with learner_id anyone
        in my line, direct or indirect); everyone's for admins (filters)."""
        who = current_principal()
        everyone = who.is_admin or who.is_service
        scope = args.get("scope") or ("all" if everyone else "mine")
        if scope == "all" and not everyone:
            raise CakapError(403, "Only admins see everyone's enrolments.")
        stmt = select(Enrolment)
        if scope == "mine":
            stmt = stmt.where(Enrolment.learner_id == who.id)
        elif scope == "team":
            stmt = stmt.where(logic.team_filter(who, args.get("learner_id")))
        for name in ("status", "class_id", "course_id", "learner_id", "unit_code"):
            if args.get(name):
                stmt = stmt.where(getattr(Enrolment, name) == args[name])
        stmt = stmt.order_by(Enrolment.requested_at.desc(), Enrolment.id)
        return paginate(db, stmt, args["page"], args["per_page"])

    @blp.arguments(EnrolmentCreateSchema)
    @blp.response(201, EnrolmentSchema)
    def post(self, body: dict[str, Any]) -> Enrolment:
        """Request a place in a class for yourself (ASN); 409 if you already have one."""
        return logic.request_place(current_principal(), body["class_id"])


@blp.route("/enrolments/planned")
class PlannedEnrolments(MethodView):
    """Requests a development plan makes for its learners."""

    @blp.arguments(PlannedRequestsSchema)
    @blp.response(200, PlannedResultsSchema)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Request places for learners (admin, service); an active one is kept, not doubled."""
        return logic.request_planned(current_principal(), body["reference"], body["items"])


@blp.route("/enrolments/monthly")
class EnrolmentsMonthly(MethodView):
    """Completions and spending over a year."""

    @blp.arguments(MonthlyArgsSchema, location="query")
    @blp.response(200, MonthlyListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Per local month: completions, JP and the cost of completed enrolments (admin)."""
        require_roles("admin")
        return {"year": args["year"], "items": activity.monthly(args["year"])}


@blp.route("/enrolments/<enrolment_id>")
class EnrolmentsById(MethodView):
    """One enrolment."""

    @blp.response(200, EnrolmentSchema)
    def get(self, enrolment_id: str) -> Enrolment:
        """An enrolment (the learner, their supervisor, admin)."""
        return logic.for_viewer(enrolment_id, current_principal())


@blp.route("/enrolments/<enrolment_id>/approve")
class EnrolmentApproval(MethodView):
    """Approval."""

    @blp.arguments(ApproveSchema)
    @blp.response(200, EnrolmentSchema)
    def post(self, body: dict[str, Any], enrolment_id: str) -> Enrolment:
        """Approve (supervisor or admin): enrolled while seats remain, else waitlisted."""
        who = current_principal()
        enrolment = logic.for_decision(enrolment_id, who)
        return logic.approve(enrolment, who, body.get("override_reason"))


@blp.route("/enrolments/<enrolment_id>/reject")
class EnrolmentRejection(MethodView):
    """Rejection."""

    @blp.arguments(RejectSchema)
    @blp.response(200, EnrolmentSchema)
    def post(self, body: dict[str, Any], enrolment_id: str) -> Enrolment:
        """Reject with a reason (supervisor or admin)."""
        who = current_principal()
        enrolment = logic.for_decision(enrolment_id, who)
        return logic.reject(enrolment, who, body["reason"])


@blp.route("/enrolments/<enrolment_id>/withdraw")
class EnrolmentWithdrawal(MethodView):
    """Withdrawal."""

    @blp.arguments(WithdrawSchema)
    @blp.response(200, EnrolmentSchema)
    def post(self, body: dict[str, Any], enrolment_id: str) -> Enrolment:
        """Withdraw (learner or admin): frees the seat for the first on the waitlist."""
        enrolment = logic.for_withdrawal(enrolment_id, current_principal())
        return logic.withdraw(enrolment, body.get("reason"))


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
        enrolment = logic.for_completion(enrolment_id, current_principal())
        return attendance.complete_one(enrolment)

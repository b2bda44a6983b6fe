"""Plans: solve, read, edit (pin/forbid and re-solve), turn into enrolment requests."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.auth import require_roles
from cakap_shared.db import paginate
from cakap_shared.schemas import PageArgsSchema, UtcDateTime, page_schema
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from ..domain import plans as domain
from ..extensions import db
from ..models import DECISIONS, Plan

blp = Blueprint("plans", __name__, url_prefix="/api/v1", description="Yearly development plans")

V = ma.validate
_ID = V.Length(min=1, max=36)
MAX_BUDGET = 10**15  # a thousand trillion rupiah: beyond any city's budget


class PlanCreateSchema(ma.Schema):
    """What to plan: a unit (or `*`, the city), a year, a budget, optionally the classes."""

    unit_code = ma.fields.String(required=True, validate=V.Length(min=1, max=50))
    year = ma.fields.Integer(required=True, strict=True, validate=V.Range(min=2000, max=2100))
    budget = ma.fields.Integer(required=True, strict=True, validate=V.Range(min=0, max=MAX_BUDGET))
    class_ids = ma.fields.List(
        ma.fields.String(validate=_ID), validate=V.Length(min=1, max=5000), load_default=None
    )
    max_classes_per_person = ma.fields.Integer(
        strict=True, validate=V.Range(min=1, max=20), load_default=None
    )
    max_days_away = ma.fields.Integer(
        strict=True, validate=V.Range(min=1, max=365), load_default=None
    )


class ClosesSchema(ma.Schema):
    """A gap an assignment closes."""

    competency_code = ma.fields.String()
    from_level = ma.fields.Integer()
    to_level = ma.fields.Integer()


class AssignmentSchema(ma.Schema):
    """A person in a class, the cost, and the gap it closes."""

    person_id = ma.fields.String()
    person_name = ma.fields.String()
    class_id = ma.fields.String()
    class_name = ma.fields.String()
    course_code = ma.fields.String()
    cost = ma.fields.Integer()
    gap_closed = ma.fields.Integer(metadata={"description": "Competency levels closed"})
    reason = ma.fields.String()
    closes = ma.fields.List(ma.fields.Nested(ClosesSchema))
    mandatory = ma.fields.Boolean()
    below_jp = ma.fields.Boolean()
    pinned = ma.fields.Boolean()
    enrolment_id = ma.fields.String(allow_none=True)
    enrolment_status = ma.fields.String(allow_none=True)
    enrolment_problem = ma.fields.String(allow_none=True)


class UnmetSchema(ma.Schema):
    """A gap the plan leaves open."""

    person_id = ma.fields.String()
    name = ma.fields.String()
    competency_code = ma.fields.String()
    gap = ma.fields.Integer()


class MarginSchema(ma.Schema):
    """What an extra amount of budget would add."""

    extra = ma.fields.Integer()
    objective = ma.fields.Integer()
    gain = ma.fields.Integer()
    levels_gain = ma.fields.Integer()
    spent = ma.fields.Integer()
    status = ma.fields.String()
    bound = ma.fields.Integer()


class DecisionSchema(ma.Schema):
    """An admin's pin or forbid."""

    person_id = ma.fields.String(required=True, validate=_ID)
    class_id = ma.fields.String(required=True, validate=_ID)
    decision = ma.fields.String(
        required=True,
        allow_none=True,
        validate=V.OneOf(DECISIONS),
        metadata={"description": "pin, forbid, or null to release"},
    )


class PlanSummarySchema(ma.Schema):
    """A plan without its rows."""

    id = ma.fields.String()
    unit_code = ma.fields.String()
    year = ma.fields.Integer()
    budget = ma.fields.Integer()
    status = ma.fields.String(metadata={"description": "optimal, feasible or infeasible"})
    objective = ma.fields.Integer()
    bound = ma.fields.Integer(metadata={"description": "No plan of the pairs considered beats it"})
    spent = ma.fields.Integer()
    levels_closed = ma.fields.Integer()
    created_at = UtcDateTime()
    enrolled_at = UtcDateTime(allow_none=True)


class PlanSchema(PlanSummarySchema):
    """The plan: status, objective and bound, spending, assignments with reasons, unmet gaps."""

    max_classes_per_person = ma.fields.Integer()
    max_days_away = ma.fields.Integer()
    class_ids = ma.fields.List(ma.fields.String(), allow_none=True)
    gap = ma.fields.Function(
        lambda p: round((p.bound - p.objective) / p.bound, 6) if p.bound else 0.0,
        metadata={"description": "Relative optimality gap"},
    )
    seconds = ma.fields.Float()
    candidates = ma.fields.Integer()
    pruned = ma.fields.Integer()
    people = ma.fields.Function(lambda p: len(p.inputs.get("people", [])))
    classes = ma.fields.Function(lambda p: len(p.inputs.get("offers", [])))
    notes = ma.fields.List(ma.fields.String())
    assignments = ma.fields.List(ma.fields.Nested(AssignmentSchema))
    unmet = ma.fields.List(ma.fields.Nested(UnmetSchema))
    margins = ma.fields.List(ma.fields.Nested(MarginSchema))
    decisions = ma.fields.Function(
        lambda p: [
            {"person_id": d.person_id, "class_id": d.class_id, "decision": d.decision}
            for d in p.decisions
        ]
    )


class EnrolmentResultSchema(ma.Schema):
    """What became of one assignment."""

    person_id = ma.fields.String()
    class_id = ma.fields.String()
    enrolment_id = ma.fields.String(allow_none=True)
    status = ma.fields.String(allow_none=True)
    problem = ma.fields.String(allow_none=True)


class EnrolmentsSchema(ma.Schema):
    """The enrolment requests a plan made; `created` is 0 the second time."""

    plan_id = ma.fields.String()
    created = ma.fields.Integer()
    requested = ma.fields.Integer()
    refused = ma.fields.Integer()
    items = ma.fields.List(ma.fields.Nested(EnrolmentResultSchema))


@blp.route("/plans")
class Plans(MethodView):
    """Development plans."""

    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(PlanSummarySchema, "PlanPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Plans, newest first (admin)."""
        require_roles("admin")
        stmt = select(Plan).order_by(Plan.created_at.desc(), Plan.id)
        return paginate(db, stmt, args["page"], args["per_page"])

    @blp.arguments(PlanCreateSchema)
    @blp.response(201, PlanSchema)
    def post(self, body: dict[str, Any]) -> Plan:
        """Plan a unit's (or the city's, `*`) year within a budget (admin)."""
        return domain.create(body, require_roles("admin"))


@blp.route("/plans/<plan_id>")
class PlansById(MethodView):
    """One plan."""

    @blp.response(200, PlanSchema)
    def get(self, plan_id: str) -> Plan:
        """The plan with its assignments, unmet gaps and budget margins (admin)."""
        require_roles("admin")
        return domain.load(plan_id)


@blp.route("/plans/<plan_id>/decisions")
class PlanDecisions(MethodView):
    """Editing a draft."""

    @blp.arguments(DecisionSchema)
    @blp.response(200, PlanSchema)
    def post(self, body: dict[str, Any], plan_id: str) -> Plan:
        """Pin, forbid or release an assignment and re-solve keeping the pins (admin)."""
        require_roles("admin")
        return domain.decide(plan_id, body["person_id"], body["class_id"], body["decision"])


@blp.route("/plans/<plan_id>/enrolments")
class PlanEnrolments(MethodView):
    """From plan to enrolment requests."""

    @blp.response(200, EnrolmentsSchema)
    def post(self, plan_id: str) -> dict[str, Any]:
        """Make the plan's enrolment requests in catalog; twice makes none new (admin)."""
        who = require_roles("admin")
        return domain.request_enrolments(plan_id, who)

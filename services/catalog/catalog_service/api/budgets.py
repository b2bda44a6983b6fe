"""Annual training budgets per unit (admin)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.auth import require_roles
from cakap_shared.schemas import PageArgsSchema, page_schema
from flask.views import MethodView
from flask_smorest import Blueprint

from ..domain import budgets
from ..models import Budget
from ._common import V

blp = Blueprint("budgets", __name__, url_prefix="/api/v1", description="Training budgets")


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


@blp.route("/budgets")
class Budgets(MethodView):
    """Budgets of all units."""

    @blp.arguments(BudgetQueryArgsSchema, location="query")
    @blp.response(200, page_schema(BudgetSchema, "BudgetPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List budgets with what is reserved (admin)."""
        require_roles("admin")
        return budgets.listing(args)

    @blp.arguments(BudgetCreateSchema)
    @blp.response(201, BudgetSchema)
    def post(self, body: dict[str, Any]) -> Budget:
        """Set a unit's budget for a year (admin); 409 if it exists (PATCH it)."""
        require_roles("admin")
        return budgets.create(body)


@blp.route("/budgets/<budget_id>")
class BudgetsById(MethodView):
    """One budget."""

    @blp.response(200, BudgetSchema)
    def get(self, budget_id: str) -> Budget:
        """A budget (admin)."""
        require_roles("admin")
        return budgets.load(budget_id)

    @blp.arguments(BudgetUpdateSchema)
    @blp.response(200, BudgetSchema)
    def patch(self, body: dict[str, Any], budget_id: str) -> Budget:
        """Change the amount (admin); never below what is already reserved."""
        require_roles("admin")
        return budgets.set_amount(budget_id, body["amount"])

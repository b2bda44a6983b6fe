"""Annual training budgets per unit (admin)."""

from __future__ import annotations

from typing import Any

from cakap_shared.auth import require_roles
from cakap_shared.db import paginate
from cakap_shared.problems import CakapError
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import func, select, update

from .extensions import db
from .models import Budget, Enrolment
from .schemas import (
    BudgetCreateSchema,
    BudgetQueryArgsSchema,
    BudgetSchema,
    BudgetUpdateSchema,
    page_of,
)

blp = Blueprint("budgets", __name__, url_prefix="/api/v1", description="Training budgets")


@blp.route("/budgets")
class Budgets(MethodView):
    """Budgets of all units."""

    @blp.arguments(BudgetQueryArgsSchema, location="query")
    @blp.response(200, page_of(BudgetSchema))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List budgets with what is reserved (admin)."""
        require_roles("admin")
        stmt = select(Budget).order_by(Budget.year.desc(), Budget.unit_code)
        if args.get("unit_code"):
            stmt = stmt.where(Budget.unit_code == args["unit_code"])
        if args.get("year"):
            stmt = stmt.where(Budget.year == args["year"])
        page = paginate(db, stmt, args["page"], args["per_page"])
        with_spent(page["items"])
        return page

    @blp.arguments(BudgetCreateSchema)
    @blp.response(201, BudgetSchema)
    def post(self, body: dict[str, Any]) -> Budget:
        """Set a unit's budget for a year (admin); 409 if it exists (PATCH it)."""
        require_roles("admin")
        exists = db.session.scalar(
            select(Budget.id).where(
                Budget.unit_code == body["unit_code"], Budget.year == body["year"]
            )
        )
        if exists:
            raise CakapError(
                409,
                f"Unit {body['unit_code']} already has a {body['year']} budget; change its amount.",
                budget_id=exists,
            )
        budget = Budget(reserved=0, **body)
        db.session.add(budget)
        db.session.commit()
        return budget


@blp.route("/budgets/<budget_id>")
class BudgetsById(MethodView):
    """One budget."""

    @blp.response(200, BudgetSchema)
    def get(self, budget_id: str) -> Budget:
        """A budget (admin)."""
        require_roles("admin")
        budget = db.session.get(Budget, budget_id)
        if budget is None:
            raise CakapError(404, "No budget with this id.")
        with_spent([budget])
        return budget

    @blp.arguments(BudgetUpdateSchema)
    @blp.response(200, BudgetSchema)
    def patch(self, body: dict[str, Any], budget_id: str) -> Budget:
        """Change the amount (admin); never below what is already reserved."""
        require_roles("admin")
        budget = db.session.get(Budget, budget_id)
        if budget is None:
            raise CakapError(404, "No budget with this id.")
        # Conditional, like reservations: a concurrent approval cannot slip under it.
        result = db.session.execute(
            update(Budget)
            .where(Budget.id == budget.id, Budget.reserved <= body["amount"])
            .values(amount=body["amount"])
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            db.session.rollback()
            db.session.refresh(budget)
            raise CakapError(
                409,
                f"Rp {budget.reserved:,} is already reserved; the amount cannot go below it.",
                errors={"amount": ["below the reserved sum"]},
            )
        db.session.commit()
        db.session.refresh(budget)
        with_spent([budget])
        return budget


def with_spent(budgets: list[Budget]) -> None:
    """Set `spent` on each budget: the reserved cost of its completed enrolments.

    Reserved money stays reserved when a learner completes; `spent` is the part of it
    that was used, so reserved - spent is what approvals still hold for coming classes.
    """
    if not budgets:
        return
    sums = dict(
        db.session.execute(
            select(Enrolment.budget_id, func.sum(Enrolment.cost_reserved))
            .where(
                Enrolment.budget_id.in_([b.id for b in budgets]),
                Enrolment.status == "completed",
            )
            .group_by(Enrolment.budget_id)
        ).all()
    )
    for budget in budgets:
        budget.spent = int(sums.get(budget.id) or 0)  # type: ignore[attr-defined]

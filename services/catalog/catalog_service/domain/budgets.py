"""Training budgets: a unit's yearly amount, and the reservations approvals make on it.

Reservations move only through conditional UPDATEs whose WHERE clause re-checks the limit
(`reserved + cost <= amount`): the database serialises concurrent writers on the row, so
no approval can overspend a budget, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

from cakap_shared.auth import Principal
from cakap_shared.logs import audit
from cakap_shared.problems import CakapError
from sqlalchemy import select, update

from ..extensions import db
from ..models import Budget, BudgetOverride, CourseClass, Enrolment


def _budget_for(unit_code: str | None, year: int) -> Budget | None:
    if unit_code is None:
        return None
    return db.session.scalar(
        select(Budget).where(Budget.unit_code == unit_code, Budget.year == year)
    )


def reserve_budget(
    enrolment: Enrolment, course_class: CourseClass, actor: Principal, override_reason: str | None
) -> None:
    """Reserve the course's cost on the learner's unit budget of the class's year (atomic)."""
    cost = course_class.course.cost_per_participant
    if cost <= 0:
        return
    year = course_class.starts_on.year
    budget = _budget_for(enrolment.unit_code, year)
    if budget is not None:
        reserved = db.session.execute(
            update(Budget)
            .where(Budget.id == budget.id, Budget.reserved + cost <= Budget.amount)
            .values(reserved=Budget.reserved + cost)
            .execution_options(synchronize_session=False)
        )
        if reserved.rowcount == 1:
            enrolment.cost_reserved, enrolment.budget_id = cost, budget.id
            return
    if not override_reason:
        raise _overspent(enrolment.unit_code, year, budget, cost)
    _reserve_beyond(enrolment, budget, year, cost, actor, override_reason)


def _overspent(unit_code: str | None, year: int, budget: Budget | None, cost: int) -> CakapError:
    """The 409 for a cost the budget cannot hold (the transaction rolled back)."""
    unit = unit_code or "(no unit)"
    if budget is None:
        detail = f"Unit {unit} has no training budget for {year}"
    else:
        db.session.refresh(budget)
        left = budget.amount - budget.reserved
        detail = (
            f"The {year} training budget of unit {unit} has Rp {left:,} left"
            f" of Rp {budget.amount:,}"
        )
    db.session.rollback()
    return CakapError(
        409,
        f"{detail}; this course costs Rp {cost:,} per participant. "
        "An admin may approve anyway with an override_reason.",
        errors={"budget": ["would be overspent"]},
    )


def _reserve_beyond(
    enrolment: Enrolment,
    budget: Budget | None,
    year: int,
    cost: int,
    actor: Principal,
    reason: str,
) -> None:
    """An admin's override: reserve past the amount (a zero budget made if none), recorded."""
    if budget is None:
        if enrolment.unit_code is None:
            db.session.rollback()
            raise invalid_unit()
        budget = Budget(unit_code=enrolment.unit_code, year=year, amount=0, reserved=0)
        db.session.add(budget)
        db.session.flush()
    db.session.execute(
        update(Budget)
        .where(Budget.id == budget.id)
        .values(reserved=Budget.reserved + cost)
        .execution_options(synchronize_session=False)
    )
    enrolment.cost_reserved, enrolment.budget_id = cost, budget.id
    db.session.add(
        BudgetOverride(
            budget_id=budget.id,
            enrolment_id=enrolment.id,
            amount=cost,
            reason=reason,
            actor_id=actor.id,
        )
    )
    audit("budget.override", enrolment=enrolment.id, budget=budget.id, amount=cost)


def invalid_unit() -> CakapError:
    """The learner has no unit to charge."""
    return CakapError(
        409, "The learner has no unit, so no budget can be charged.", code="no-budget-unit"
    )


def release_budget(enrolment: Enrolment) -> None:
    """Give the reserved cost back to the budget it came from."""
    if not enrolment.cost_reserved or enrolment.budget_id is None:
        return
    db.session.execute(
        update(Budget)
        .where(Budget.id == enrolment.budget_id)
        .values(reserved=Budget.reserved - enrolment.cost_reserved)
        .execution_options(synchronize_session=False)
    )
    enrolment.cost_reserved = 0

"""Training budgets: a unit's yearly amount, and the reservations approvals make on it.

Reservations move only through conditional UPDATEs whose WHERE clause re-checks the limit
(`reserved + cost <= amount`): the database serialises concurrent writers on the row, so
no approval can overspend a budget, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from cakap_shared.auth import Principal
from cakap_shared.db import paginate
from cakap_shared.logs import audit
from cakap_shared.problems import CakapError
from sqlalchemy import func, select, update

from ..extensions import db
from ..models import Budget, BudgetOverride, CourseClass, Enrolment, EnrolmentStatus


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


def listing(args: dict[str, Any]) -> dict[str, Any]:
    """A page of budgets, latest year first, with what is reserved and spent."""
    stmt = select(Budget).order_by(Budget.year.desc(), Budget.unit_code)
    if args.get("unit_code"):
        stmt = stmt.where(Budget.unit_code == args["unit_code"])
    if args.get("year"):
        stmt = stmt.where(Budget.year == args["year"])
    page = paginate(db, stmt, args["page"], args["per_page"])
    with_spent(page["items"])
    return page


def create(body: dict[str, Any]) -> Budget:
    """A unit's budget for a year; 409 with `budget_id` when it exists (change its amount)."""
    exists = db.session.scalar(
        select(Budget.id).where(Budget.unit_code == body["unit_code"], Budget.year == body["year"])
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


def _load(budget_id: str) -> Budget:
    budget = db.session.get(Budget, budget_id)
    if budget is None:
        raise CakapError(404, "No budget with this id.")
    return budget


def load(budget_id: str) -> Budget:
    """The budget with `spent`, or 404."""
    budget = _load(budget_id)
    with_spent([budget])
    return budget


def set_amount(budget_id: str, amount: int) -> Budget:
    """Change the amount, never below what is already reserved (409)."""
    budget = _load(budget_id)
    # Conditional, like reservations: a concurrent approval cannot slip under it.
    result = db.session.execute(
        update(Budget)
        .where(Budget.id == budget.id, Budget.reserved <= amount)
        .values(amount=amount)
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
                Enrolment.status == EnrolmentStatus.COMPLETED,
            )
            .group_by(Enrolment.budget_id)
        ).all()
    )
    for budget in budgets:
        budget.spent = int(sums.get(budget.id) or 0)  # type: ignore[attr-defined]

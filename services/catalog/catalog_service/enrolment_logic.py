"""Enrolment rules: the transition table, seats, waitlist, budget, completion.

Seats and budget reservations move only through conditional UPDATEs whose WHERE clause
re-checks the limit (`seats_taken < capacity`, `reserved + cost <= amount`): the database
serialises concurrent writers on the row, so no approval can overfill a class or overspend
a budget, on SQLite (one writer at a time) as on PostgreSQL (row lock, WHERE re-evaluated).
State changes are conditional on the state read (`WHERE status = :from`), so two approvers
racing on one enrolment cannot both act.
"""

from __future__ import annotations

from typing import Any

from cakap_shared.auth import Principal
from cakap_shared.db import utcnow
from cakap_shared.http import ServiceUnavailable
from cakap_shared.logs import audit
from cakap_shared.problems import CakapError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .clients import personnel
from .domain import clock
from .extensions import db, events
from .models import (
    ACTIVE_STATUSES,
    Budget,
    BudgetOverride,
    CourseClass,
    Enrolment,
)

# (state, action) -> states the action may lead to. Anything absent is a 409.
TRANSITIONS: dict[tuple[str, str], tuple[str, ...]] = {
    ("requested", "approve"): ("enrolled", "waitlisted"),
    ("requested", "reject"): ("rejected",),
    ("requested", "withdraw"): ("withdrawn",),
    ("waitlisted", "promote"): ("enrolled",),
    ("waitlisted", "reject"): ("rejected",),
    ("waitlisted", "withdraw"): ("withdrawn",),
    ("enrolled", "withdraw"): ("withdrawn",),
    ("enrolled", "complete"): ("completed",),
}
ACTIONS = ("approve", "reject", "withdraw", "promote", "complete")
_DONE = {
    "approve": "approved",
    "reject": "rejected",
    "withdraw": "withdrawn",
    "promote": "promoted",
    "complete": "completed",
}


def check_transition(status: str, action: str) -> tuple[str, ...]:
    """The states `action` may lead to from `status`; 409 when it is not allowed."""
    targets = TRANSITIONS.get((status, action))
    if targets is None:
        raise CakapError(
            409,
            f"An enrolment that is {status} cannot be {_DONE[action]}.",
            current_status=status,
            code="enrolment-state",
        )
    return targets


def _move(enrolment_id: str, from_status: str, to_status: str, **values: Any) -> bool:
    """Change the state only if it is still `from_status`; True when this call did it."""
    result = db.session.execute(
        update(Enrolment)
        .where(Enrolment.id == enrolment_id, Enrolment.status == from_status)
        .values(status=to_status, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _move_or_conflict(enrolment: Enrolment, to_status: str, **values: Any) -> None:
    if not _move(enrolment.id, enrolment.status, to_status, **values):
        db.session.rollback()
        raise CakapError(
            409, "The enrolment was changed meanwhile; reload it and try again.", code="stale"
        )


def take_seat(class_id: str) -> bool:
    """Take one seat if one is left (atomic); True when taken."""
    result = db.session.execute(
        update(CourseClass)
        .where(CourseClass.id == class_id, CourseClass.seats_taken < CourseClass.capacity)
        .values(seats_taken=CourseClass.seats_taken + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def free_seat(class_id: str) -> None:
    """Give one seat back."""
    db.session.execute(
        update(CourseClass)
        .where(CourseClass.id == class_id, CourseClass.seats_taken > 0)
        .values(seats_taken=CourseClass.seats_taken - 1)
        .execution_options(synchronize_session=False)
    )


def promote_next(class_id: str) -> str | None:
    """Give a free seat to the first on the waitlist; returns the promoted enrolment id."""
    for _ in range(20):  # a lost race moves on to the next in line
        if not take_seat(class_id):
            return None
        candidate = db.session.scalar(
            select(Enrolment.id)
            .where(Enrolment.class_id == class_id, Enrolment.status == "waitlisted")
            .order_by(Enrolment.waitlisted_at, Enrolment.requested_at, Enrolment.id)
            .limit(1)
        )
        if candidate is None:
            free_seat(class_id)
            return None
        if _move(candidate, "waitlisted", "enrolled", enrolled_at=utcnow()):
            promoted = db.session.get(Enrolment, candidate)
            db.session.refresh(promoted)
            events.publish(
                "enrolment.promoted", _summary(promoted, promoted.course_class), candidate
            )
            return candidate
        free_seat(class_id)
    return None


# --- budget ---------------------------------------------------------------


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
        unit = enrolment.unit_code or "(no unit)"
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
        raise CakapError(
            409,
            f"{detail}; this course costs Rp {cost:,} per participant. "
            "An admin may approve anyway with an override_reason.",
            errors={"budget": ["would be overspent"]},
        )
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
            reason=override_reason,
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


# --- actions ----------------------------------------------------------------


def request_place(principal: Principal, class_id: str) -> Enrolment:
    """An ASN asks for a place in a class for themselves."""
    if not principal.has_role("asn"):
        raise CakapError(403, "Only an ASN may request a place, for themselves.")
    course_class = db.session.get(CourseClass, class_id)
    if course_class is None:
        raise CakapError(404, "No class with this id.")
    course = course_class.course
    if course.status != "published":
        raise CakapError(
            409,
            f"Course {course.code} is {course.status}: it takes no enrolments.",
            errors={"class_id": [f"course is {course.status}"]},
            code="course-not-open",
        )
    today = clock.today()
    if today < course_class.enrolment_opens_on:
        raise CakapError(
            409,
            f"Enrolment for class {course_class.name} opens on "
            f"{course_class.enrolment_opens_on.isoformat()}.",
            errors={"class_id": ["enrolment not open yet"]},
            code="enrolment-not-open",
        )
    if today > course_class.enrolment_closes_on:
        raise CakapError(
            409,
            f"Enrolment for class {course_class.name} closed on "
            f"{course_class.enrolment_closes_on.isoformat()}.",
            errors={"class_id": ["enrolment closed"]},
            code="enrolment-closed",
        )
    active = db.session.scalar(
        select(Enrolment.id).where(
            Enrolment.class_id == class_id,
            Enrolment.learner_id == principal.id,
            Enrolment.status.in_(ACTIVE_STATUSES),
        )
    )
    if active is not None:
        raise _already_active(active)
    missing = missing_prerequisites(principal.id, course.prerequisites or [])
    if missing:
        raise CakapError(
            409,
            "Complete the prerequisite course(s) first: " + ", ".join(missing) + ".",
            errors={"class_id": ["prerequisites not completed"]},
            code="prerequisites-missing",
        )
    enrolment = Enrolment(
        class_id=class_id,
        course_id=course.id,
        learner_id=principal.id,
        learner_name=principal.name,
        unit_code=principal.claims.get("unit_code"),
        supervisor_id=principal.claims.get("supervisor_id"),
        status="requested",
    )
    db.session.add(enrolment)
    try:
        db.session.flush()
    except IntegrityError:  # a concurrent twin request won
        db.session.rollback()
        raise _already_active(None) from None
    events.publish("enrolment.requested", _summary(enrolment, course_class), enrolment.id)
    db.session.commit()
    return enrolment


def request_planned(who: Principal, reference: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    """Requests made for learners by a development plan (admin, service); idempotent.

    A learner who already holds an active enrolment in the class keeps it and nothing new
    is made, so sending the same plan twice creates nothing. Unlike an ASN's own request,
    a planned one may come before the enrolment window opens (plans are made for the
    year ahead); a closed window, an unpublished course or missing prerequisites refuse
    that item only.
    """
    if not (who.is_admin or who.is_service):
        raise CakapError(403, "Only administrators and services make planned requests.")
    results: list[dict[str, Any]] = []
    counts = {"created": 0, "existing": 0, "refused": 0}
    today = clock.today()
    for item in items:
        result = {"class_id": item["class_id"], "learner_id": item["learner_id"], "created": False}
        result.update(enrolment_id=None, status=None, problem=None)
        results.append(result)
        course_class = db.session.get(CourseClass, item["class_id"])
        problem = None
        if course_class is None:
            problem = "no class with this id"
        elif course_class.course.status != "published":
            problem = f"course {course_class.course.code} is {course_class.course.status}"
        elif today > course_class.enrolment_closes_on:
            problem = f"enrolment closed on {course_class.enrolment_closes_on.isoformat()}"
        elif missing_prerequisites(item["learner_id"], course_class.course.prerequisites or []):
            problem = "prerequisites not completed"
        if problem is not None:
            result["problem"] = problem
            counts["refused"] += 1
            continue
        assert course_class is not None
        active = _active_of(item["class_id"], item["learner_id"])
        if active is None:
            enrolment = Enrolment(
                class_id=course_class.id,
                course_id=course_class.course_id,
                learner_id=item["learner_id"],
                learner_name=item["learner_name"],
                unit_code=item.get("unit_code"),
                supervisor_id=item.get("supervisor_id"),
                status="requested",
            )
            try:
                with db.session.begin_nested():
                    db.session.add(enrolment)
            except IntegrityError:  # a concurrent twin made it first
                active = _active_of(item["class_id"], item["learner_id"])
            else:
                events.publish(
                    "enrolment.requested", _summary(enrolment, course_class), enrolment.id
                )
                result.update(enrolment_id=enrolment.id, status="requested", created=True)
                counts["created"] += 1
                continue
        if active is not None:
            result.update(enrolment_id=active.id, status=active.status)
            counts["existing"] += 1
    db.session.commit()
    audit("enrolment.planned", actor=who.id, reference=reference, **counts)
    return {**counts, "items": results}


def _active_of(class_id: str, learner_id: str) -> Enrolment | None:
    return db.session.scalar(
        select(Enrolment).where(
            Enrolment.class_id == class_id,
            Enrolment.learner_id == learner_id,
            Enrolment.status.in_(ACTIVE_STATUSES),
        )
    )


def _already_active(enrolment_id: str | None) -> CakapError:
    return CakapError(
        409,
        "You already have an active enrolment (requested, waitlisted or enrolled) in this class.",
        **({"enrolment_id": enrolment_id} if enrolment_id else {}),
        code="enrolment-exists",
    )


def missing_prerequisites(learner_id: str, codes: list[str]) -> list[str]:
    """Prerequisite course codes the learner has not completed in the catalog."""
    if not codes:
        return []
    from .models import Course

    done = set(
        db.session.scalars(
            select(Course.code)
            .join(Enrolment, Enrolment.course_id == Course.id)
            .where(
                Enrolment.learner_id == learner_id,
                Enrolment.status == "completed",
                Course.code.in_(codes),
            )
        )
    )
    return [c for c in codes if c not in done]


def approve(enrolment: Enrolment, actor: Principal, override_reason: str | None) -> Enrolment:
    """Approve: enrolled while seats remain, else waitlisted; reserves the cost."""
    check_transition(enrolment.status, "approve")
    if override_reason and not actor.is_admin:
        raise CakapError(
            403,
            "Only an admin may approve beyond the budget.",
            errors={"override_reason": ["admin only"]},
        )
    now = utcnow()
    # Claim the request first: a second approver finds it no longer `requested`.
    _move_or_conflict(
        enrolment, "waitlisted", decided_at=now, decided_by=actor.id, waitlisted_at=now
    )
    course_class = enrolment.course_class
    if take_seat(course_class.id):
        _move(enrolment.id, "waitlisted", "enrolled", enrolled_at=now, waitlisted_at=None)
    reserve_budget(enrolment, course_class, actor, override_reason)
    db.session.flush()
    db.session.refresh(enrolment)
    events.publish("enrolment.approved", _summary(enrolment, course_class), enrolment.id)
    db.session.commit()
    audit("enrolment.approved", enrolment=enrolment.id, status=enrolment.status)
    return enrolment


def reject(enrolment: Enrolment, actor: Principal, reason: str) -> Enrolment:
    """Reject a request (or a waitlisted place) with a reason."""
    check_transition(enrolment.status, "reject")
    _move_or_conflict(
        enrolment, "rejected", reason=reason, decided_at=utcnow(), decided_by=actor.id
    )
    release_budget(enrolment)
    db.session.refresh(enrolment)
    events.publish(
        "enrolment.rejected",
        {**_summary(enrolment, enrolment.course_class), "reason": reason},
        enrolment.id,
    )
    db.session.commit()
    audit("enrolment.rejected", enrolment=enrolment.id)
    return _reloaded(enrolment)


def withdraw(enrolment: Enrolment, reason: str | None) -> Enrolment:
    """Withdraw; an enrolled learner's seat goes to the first on the waitlist, same transaction."""
    check_transition(enrolment.status, "withdraw")
    was = enrolment.status
    _move_or_conflict(enrolment, "withdrawn", reason=reason, withdrawn_at=utcnow())
    release_budget(enrolment)
    if was == "enrolled":
        free_seat(enrolment.class_id)
        promote_next(enrolment.class_id)
    db.session.commit()
    audit("enrolment.withdrawn", enrolment=enrolment.id)
    return _reloaded(enrolment)


def finish(enrolment: Enrolment) -> bool:
    """enrolled -> completed and the enrolment.completed event, in the caller's transaction."""
    now = utcnow()
    if not _move(enrolment.id, "enrolled", "completed", completed_at=now):
        return False
    db.session.refresh(enrolment)
    events.publish("enrolment.completed", completed_event(enrolment), enrolment.id)
    audit("enrolment.completed", enrolment=enrolment.id)
    return True


def maybe_complete(enrolment: Enrolment) -> bool:
    """Complete when every module is done and the post test (if any) passed."""
    course = enrolment.course_class.course
    if enrolment.status != "enrolled" or not course.completes_by_itself:
        return False
    if not set(course.module_ids) <= set(enrolment.completed_module_ids):
        return False
    if course.post_test_id is not None and not enrolment.post_test_passed:
        return False
    return finish(enrolment)


def _reloaded(enrolment: Enrolment) -> Enrolment:
    db.session.refresh(enrolment)
    return enrolment


def _summary(enrolment: Enrolment, course_class: CourseClass) -> dict[str, Any]:
    return {
        "enrolment_id": enrolment.id,
        "learner_id": enrolment.learner_id,
        "supervisor_id": enrolment.supervisor_id,
        "course_id": course_class.course_id,
        "course_code": course_class.course.code,
        "course_title": course_class.course.title,
        "class_id": course_class.id,
        "class_name": course_class.name,
        "starts_on": course_class.starts_on.isoformat(),
        "status": enrolment.status,
    }


def completed_event(enrolment: Enrolment) -> dict[str, Any]:
    """The enrolment.completed v1 data (COMMON.md)."""
    course_class = enrolment.course_class
    course = course_class.course
    return {
        "enrolment_id": enrolment.id,
        "learner_id": enrolment.learner_id,
        "learner_name": enrolment.learner_name,
        "unit_code": enrolment.unit_code,
        "supervisor_id": enrolment.supervisor_id,
        "course_id": course.id,
        "course_code": course.code,
        "course_title": course.title,
        "jp": course.jp,
        "form": course.form,
        "competencies": course.competencies,
        # Evidence that the targeted levels were reached (personnel records them as
        # `training` assessments only then); false for a course without a post test.
        "post_test_passed": course.post_test_id is not None and bool(enrolment.post_test_passed),
        "class_id": course_class.id,
        "class_name": course_class.name,
        "trainer_ids": list(course_class.trainer_ids or []),
        "starts_on": course_class.starts_on.isoformat(),
        "ends_on": course_class.ends_on.isoformat(),
        "completed_on": clock.today().isoformat(),
    }


# --- who may do what ------------------------------------------------------


def team_filter(who: Principal, learner_id: str | None) -> Any:
    """The enrolments a supervisor's team list holds: their direct reports' (by the
    enrolment's supervisor snapshot), or, for one named learner, that learner's when
    personnel puts the caller anywhere in the learner's line of supervisors."""
    if learner_id and who.has_role("supervisor") and learner_id != who.id:
        try:
            line = personnel.supervisor_ids(learner_id)
        except ServiceUnavailable as exc:
            raise CakapError(
                503, "Personnel is unavailable, so the line of supervisors cannot be read."
            ) from exc
        if who.id in line:
            return Enrolment.learner_id == learner_id
    return Enrolment.supervisor_id == who.id


def can_see(enrolment: Enrolment, who: Principal) -> bool:
    """The learner, their supervisor (snapshot), admins and services."""
    return (
        who.is_admin
        or who.is_service
        or enrolment.learner_id == who.id
        or (enrolment.supervisor_id is not None and enrolment.supervisor_id == who.id)
    )


def is_trainer_of(course_class: CourseClass, who: Principal) -> bool:
    """A trainer named on the class."""
    return who.has_role("trainer") and who.id in (course_class.trainer_ids or [])


def load(enrolment_id: str) -> Enrolment:
    """The enrolment, or 404."""
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None:
        raise CakapError(404, "No enrolment with this id.")
    return enrolment


def for_viewer(enrolment_id: str, who: Principal) -> Enrolment:
    """The enrolment if `who` may see it; else 404 (its existence is not disclosed)."""
    enrolment = load(enrolment_id)
    if not can_see(enrolment, who):
        raise CakapError(404, "No enrolment with this id.")
    return enrolment


def for_decision(enrolment_id: str, who: Principal) -> Enrolment:
    """Approve/reject: the learner's direct supervisor or an admin; 403 for other viewers."""
    enrolment = for_viewer(enrolment_id, who)
    is_supervisor = enrolment.supervisor_id == who.id and enrolment.learner_id != who.id
    if not (who.is_admin or is_supervisor):
        raise CakapError(403, "Only the learner's supervisor or an admin may decide.")
    return enrolment


def for_withdrawal(enrolment_id: str, who: Principal) -> Enrolment:
    """Withdraw: the learner or an admin; 403 for other viewers."""
    enrolment = for_viewer(enrolment_id, who)
    if not (who.is_admin or enrolment.learner_id == who.id):
        raise CakapError(403, "Only the learner or an admin may withdraw.")
    return enrolment


def for_completion(enrolment_id: str, who: Principal) -> Enrolment:
    """Complete: an admin or a trainer of the class; 403 for other viewers, else 404."""
    enrolment = load(enrolment_id)
    if who.is_admin or is_trainer_of(enrolment.course_class, who):
        return enrolment
    if can_see(enrolment, who):
        raise CakapError(403, "Only an admin or a trainer of the class may complete.")
    raise CakapError(404, "No enrolment with this id.")

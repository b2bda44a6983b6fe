"""Enrolment requests and decisions: who asks, who decides, who sees which enrolments.

The states themselves (table, conditional moves, seats, waitlist, completion) are in
enrolment_transitions, who may act in enrolment_rights, the money an approval holds in
budgets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cakap_shared.auth import Principal
from cakap_shared.db import utcnow
from cakap_shared.logs import audit
from cakap_shared.problems import CakapError
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db, events
from ..models import ACTIVE_STATUSES, Course, CourseClass, CourseStatus, Enrolment, EnrolmentStatus
from . import clock
from .budgets import release_budget, reserve_budget
from .enrolment_rights import for_decision, for_withdrawal, team_filter
from .enrolment_transitions import (
    EnrolmentAction,
    check_transition,
    free_seat,
    hold_class,
    move,
    move_or_conflict,
    promote_next,
    summary,
    take_seat,
)


@dataclass
class PlannedResult:
    """What became of one planned request."""

    class_id: str
    learner_id: str
    enrolment_id: str | None = None
    status: str | None = None
    created: bool = False
    problem: str | None = None


@dataclass
class PlannedResults:
    """Per item, in the order sent, with the counts."""

    created: int = 0
    existing: int = 0
    refused: int = 0
    items: list[PlannedResult] = field(default_factory=list)


def list_query(who: Principal, args: dict[str, Any]) -> Select[Any]:
    """Mine; a supervisor's team's (see team_filter); everyone's for admins; with filters."""
    everyone = who.is_admin or who.is_service
    scope = args.get("scope") or ("all" if everyone else "mine")
    if scope == "all" and not everyone:
        raise CakapError(403, "Only admins see everyone's enrolments.")
    stmt = select(Enrolment)
    if scope == "mine":
        stmt = stmt.where(Enrolment.learner_id == who.id)
    elif scope == "team":
        stmt = stmt.where(team_filter(who, args.get("learner_id")))
    for name in ("status", "class_id", "course_id", "learner_id", "unit_code"):
        if args.get(name):
            stmt = stmt.where(getattr(Enrolment, name) == args[name])
    return stmt.order_by(Enrolment.requested_at.desc(), Enrolment.id)


def request_place(principal: Principal, class_id: str) -> Enrolment:
    """An ASN asks for a place in a class for themselves."""
    if not principal.has_role("asn"):
        raise CakapError(403, "Only an ASN may request a place, for themselves.")
    course_class = db.session.get(CourseClass, class_id)
    if course_class is None:
        raise CakapError(404, "No class with this id.")
    course = course_class.course
    _check_open(course_class)
    active = _active_of(class_id, principal.id)
    if active is not None:
        raise _already_active(active.id)
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
        status=EnrolmentStatus.REQUESTED,
    )
    db.session.add(enrolment)
    try:
        db.session.flush()
    except IntegrityError:  # a concurrent twin request won
        db.session.rollback()
        raise _already_active(None) from None
    events.publish("enrolment.requested", summary(enrolment, course_class), enrolment.id)
    db.session.commit()
    return enrolment


def _check_open(course_class: CourseClass) -> None:
    """409 unless the course is published and the class's enrolment window includes today."""
    course = course_class.course
    if course.status != CourseStatus.PUBLISHED:
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


def request_planned(who: Principal, reference: str, items: list[dict[str, Any]]) -> PlannedResults:
    """Requests made for learners by a development plan (admin, service); idempotent.

    A learner who already holds an active enrolment in the class keeps it and nothing new
    is made, so sending the same plan twice creates nothing. Unlike an ASN's own request,
    a planned one may come before the enrolment window opens (plans are made for the
    year ahead); a closed window, an unpublished course or missing prerequisites refuse
    that item only.
    """
    if not (who.is_admin or who.is_service):
        raise CakapError(403, "Only administrators and services make planned requests.")
    results = PlannedResults()
    today = clock.today()
    for item in items:
        result = PlannedResult(class_id=item["class_id"], learner_id=item["learner_id"])
        results.items.append(result)
        course_class = db.session.get(CourseClass, item["class_id"])
        result.problem = _planned_refusal(course_class, item["learner_id"], today)
        if result.problem is not None:
            results.refused += 1
            continue
        assert course_class is not None
        if _plan_one(course_class, item, result):
            results.created += 1
        elif result.enrolment_id is not None:
            results.existing += 1
    db.session.commit()
    counts = {"created": results.created, "existing": results.existing}
    audit("enrolment.planned", actor=who.id, reference=reference, **counts, refused=results.refused)
    return results


def _planned_refusal(course_class: CourseClass | None, learner_id: str, today: date) -> str | None:
    """Why a planned request for the class cannot be made, or None."""
    if course_class is None:
        return "no class with this id"
    course = course_class.course
    if course.status != CourseStatus.PUBLISHED:
        return f"course {course.code} is {course.status}"
    if today > course_class.enrolment_closes_on:
        return f"enrolment closed on {course_class.enrolment_closes_on.isoformat()}"
    if missing_prerequisites(learner_id, course.prerequisites or []):
        return "prerequisites not completed"
    return None


def _plan_one(course_class: CourseClass, item: dict[str, Any], result: PlannedResult) -> bool:
    """Make the request unless an active one exists (recorded in `result`); True when made."""
    active = _active_of(item["class_id"], item["learner_id"])
    if active is None:
        enrolment = Enrolment(
            class_id=course_class.id,
            course_id=course_class.course_id,
            learner_id=item["learner_id"],
            learner_name=item["learner_name"],
            unit_code=item.get("unit_code"),
            supervisor_id=item.get("supervisor_id"),
            status=EnrolmentStatus.REQUESTED,
        )
        try:
            with db.session.begin_nested():
                db.session.add(enrolment)
        except IntegrityError:  # a concurrent twin made it first
            active = _active_of(item["class_id"], item["learner_id"])
        else:
            events.publish("enrolment.requested", summary(enrolment, course_class), enrolment.id)
            result.enrolment_id, result.created = enrolment.id, True
            result.status = EnrolmentStatus.REQUESTED
            return True
    if active is not None:
        result.enrolment_id, result.status = active.id, active.status
    return False


def approve(enrolment_id: str, actor: Principal, override_reason: str | None) -> Enrolment:
    """Approve (see for_decision): enrolled while seats remain, else waitlisted; reserves
    the cost."""
    enrolment = for_decision(enrolment_id, actor)
    check_transition(enrolment.status, EnrolmentAction.APPROVE)
    if override_reason and not actor.is_admin:
        raise CakapError(
            403,
            "Only an admin may approve beyond the budget.",
            errors={"override_reason": ["admin only"]},
        )
    now = utcnow()
    # Claim the request first: a second approver finds it no longer `requested`.
    move_or_conflict(
        enrolment,
        EnrolmentStatus.WAITLISTED,
        decided_at=now,
        decided_by=actor.id,
        waitlisted_at=now,
    )
    course_class = enrolment.course_class
    hold_class(course_class.id)
    if take_seat(course_class.id):
        move(
            enrolment.id,
            EnrolmentStatus.WAITLISTED,
            EnrolmentStatus.ENROLLED,
            enrolled_at=now,
            waitlisted_at=None,
        )
    reserve_budget(enrolment, course_class, actor, override_reason)
    db.session.flush()
    db.session.refresh(enrolment)
    events.publish("enrolment.approved", summary(enrolment, course_class), enrolment.id)
    db.session.commit()
    audit("enrolment.approved", enrolment=enrolment.id, status=enrolment.status)
    return enrolment


def reject(enrolment_id: str, actor: Principal, reason: str) -> Enrolment:
    """Reject a request (or a waitlisted place) with a reason (see for_decision)."""
    enrolment = for_decision(enrolment_id, actor)
    check_transition(enrolment.status, EnrolmentAction.REJECT)
    move_or_conflict(
        enrolment, EnrolmentStatus.REJECTED, reason=reason, decided_at=utcnow(), decided_by=actor.id
    )
    release_budget(enrolment)
    db.session.refresh(enrolment)
    events.publish(
        "enrolment.rejected",
        {**summary(enrolment, enrolment.course_class), "reason": reason},
        enrolment.id,
    )
    db.session.commit()
    audit("enrolment.rejected", enrolment=enrolment.id)
    return _reloaded(enrolment)


def withdraw(enrolment_id: str, who: Principal, reason: str | None) -> Enrolment:
    """Withdraw (see for_withdrawal); an enrolled learner's seat goes to the first on the
    waitlist, in the same transaction."""
    enrolment = for_withdrawal(enrolment_id, who)
    check_transition(enrolment.status, EnrolmentAction.WITHDRAW)
    was = enrolment.status
    move_or_conflict(enrolment, EnrolmentStatus.WITHDRAWN, reason=reason, withdrawn_at=utcnow())
    release_budget(enrolment)
    if was == EnrolmentStatus.ENROLLED:
        free_seat(enrolment.class_id)
        promote_next(enrolment.class_id)
    db.session.commit()
    audit("enrolment.withdrawn", enrolment=enrolment.id)
    return _reloaded(enrolment)


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
    done = set(
        db.session.scalars(
            select(Course.code)
            .join(Enrolment, Enrolment.course_id == Course.id)
            .where(
                Enrolment.learner_id == learner_id,
                Enrolment.status == EnrolmentStatus.COMPLETED,
                Course.code.in_(codes),
            )
        )
    )
    return [c for c in codes if c not in done]


def _reloaded(enrolment: Enrolment) -> Enrolment:
    db.session.refresh(enrolment)
    return enrolment

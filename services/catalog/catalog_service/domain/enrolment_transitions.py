"""Enrolment states: the transition table, conditional moves, seats, the waitlist, completion.

Seats move only through conditional UPDATEs whose WHERE clause re-checks the limit
(`seats_taken < capacity`): the database serialises concurrent writers on the row, so no
approval can overfill a class, on SQLite (one writer at a time) as on PostgreSQL (row
lock, WHERE re-evaluated). State changes are conditional on the state read
(`WHERE status = :from`), so two approvers racing on one enrolment cannot both act.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from cakap_shared.db import utcnow
from cakap_shared.logs import audit
from cakap_shared.problems import CakapError
from sqlalchemy import select, update

from ..extensions import db, events
from ..models import CourseClass, Enrolment, EnrolmentStatus
from . import clock


class EnrolmentAction(StrEnum):
    """What someone (or the waitlist) does to an enrolment."""

    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    PROMOTE = "promote"
    COMPLETE = "complete"


_S = EnrolmentStatus
# (state, action) -> states the action may lead to. Anything absent is a 409.
TRANSITIONS: dict[tuple[EnrolmentStatus, EnrolmentAction], tuple[EnrolmentStatus, ...]] = {
    (_S.REQUESTED, EnrolmentAction.APPROVE): (_S.ENROLLED, _S.WAITLISTED),
    (_S.REQUESTED, EnrolmentAction.REJECT): (_S.REJECTED,),
    (_S.REQUESTED, EnrolmentAction.WITHDRAW): (_S.WITHDRAWN,),
    (_S.WAITLISTED, EnrolmentAction.PROMOTE): (_S.ENROLLED,),
    (_S.WAITLISTED, EnrolmentAction.REJECT): (_S.REJECTED,),
    (_S.WAITLISTED, EnrolmentAction.WITHDRAW): (_S.WITHDRAWN,),
    (_S.ENROLLED, EnrolmentAction.WITHDRAW): (_S.WITHDRAWN,),
    (_S.ENROLLED, EnrolmentAction.COMPLETE): (_S.COMPLETED,),
}
# How the 409 names a refused action.
_DONE = {
    EnrolmentAction.APPROVE: "approved",
    EnrolmentAction.REJECT: "rejected",
    EnrolmentAction.WITHDRAW: "withdrawn",
    EnrolmentAction.PROMOTE: "promoted",
    EnrolmentAction.COMPLETE: "completed",
}


def check_transition(
    status: EnrolmentStatus, action: EnrolmentAction
) -> tuple[EnrolmentStatus, ...]:
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


def move(
    enrolment_id: str, from_status: EnrolmentStatus, to_status: EnrolmentStatus, **values: Any
) -> bool:
    """Change the state only if it is still `from_status`; True when this call did it."""
    result = db.session.execute(
        update(Enrolment)
        .where(Enrolment.id == enrolment_id, Enrolment.status == from_status)
        .values(status=to_status, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def move_or_conflict(enrolment: Enrolment, to_status: EnrolmentStatus, **values: Any) -> None:
    """Move from the state read; 409 `stale` (rolled back) when someone moved it first."""
    if not move(enrolment.id, enrolment.status, to_status, **values):
        db.session.rollback()
        raise CakapError(
            409, "The enrolment was changed meanwhile; reload it and try again.", code="stale"
        )


def hold_class(class_id: str) -> None:
    """Lock the class row until the transaction ends, before joining its waitlist.

    A full class's take_seat fails and locks nothing, so a withdrawal at that moment would
    free its seat and look for the waitlist before this learner is on it: the seat would
    stay free with the learner waiting. Held, the withdrawal waits and then promotes them.
    """
    db.session.execute(select(CourseClass.id).where(CourseClass.id == class_id).with_for_update())


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
            .where(Enrolment.class_id == class_id, Enrolment.status == EnrolmentStatus.WAITLISTED)
            .order_by(Enrolment.waitlisted_at, Enrolment.requested_at, Enrolment.id)
            .limit(1)
        )
        if candidate is None:
            free_seat(class_id)
            return None
        if move(candidate, _S.WAITLISTED, _S.ENROLLED, enrolled_at=utcnow()):
            promoted = db.session.get(Enrolment, candidate)
            db.session.refresh(promoted)
            events.publish(
                "enrolment.promoted", summary(promoted, promoted.course_class), candidate
            )
            return candidate
        free_seat(class_id)
    return None


def finish(enrolment: Enrolment) -> bool:
    """enrolled -> completed and the enrolment.completed event, in the caller's transaction."""
    now = utcnow()
    if not move(enrolment.id, _S.ENROLLED, _S.COMPLETED, completed_at=now):
        return False
    db.session.refresh(enrolment)
    events.publish("enrolment.completed", completed_event(enrolment), enrolment.id)
    audit("enrolment.completed", enrolment=enrolment.id)
    return True


def maybe_complete(enrolment: Enrolment) -> bool:
    """Complete when every module is done and the post test (if any) passed."""
    course = enrolment.course_class.course
    if enrolment.status != _S.ENROLLED or not course.completes_by_itself:
        return False
    if not set(course.module_ids) <= set(enrolment.completed_module_ids):
        return False
    if course.post_test_id is not None and not enrolment.post_test_passed:
        return False
    return finish(enrolment)


def summary(enrolment: Enrolment, course_class: CourseClass) -> dict[str, Any]:
    """The data of the enrolment.requested/approved/rejected/promoted events."""
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

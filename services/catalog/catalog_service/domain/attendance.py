"""Classroom training: session days, attendance, and the course's completion rule.

A classroom course (tatap muka, blended) is completed by a trainer of the class, learner by
learner or all at once, and only for learners who meet the course's rule: the share of the
class's session days attended, every module of the course completed and its post test
passed (when it has them). Completing goes through the same transition and event as
e-learning (enrolment_transitions.finish), so JP, certificate, survey and impact evaluation follow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from cakap_shared.auth import Principal
from cakap_shared.db import utcnow
from cakap_shared.logs import audit
from cakap_shared.problems import CakapError
from sqlalchemy import delete, select

from ..extensions import db
from ..models import Attendance, ClassSession, Course, CourseClass, Enrolment, EnrolmentStatus
from . import clock
from .enrolment_rights import for_completion, is_trainer_of
from .enrolment_transitions import EnrolmentAction, check_transition, finish

# Generated session days stop here: a longer class is a programme, not a tatap muka class.
MAX_GENERATED_DAYS = 120


@dataclass
class Standing:
    """Where one learner stands against the completion rule."""

    enrolment: Enrolment
    present_days: list[date]
    attendance_percent: int | None
    unmet: list[dict[str, str]] = field(default_factory=list)

    @property
    def meets_rule(self) -> bool:
        """True when nothing of the rule is missing."""
        return not self.unmet


@dataclass
class SessionDays:
    """A class's session days, in order."""

    items: list[ClassSession]


@dataclass
class Sheet:
    """A class's attendance sheet: session days, the rule, every learner's standing."""

    class_id: str
    rule: dict[str, Any]
    sessions: list[ClassSession]
    learners: list[Standing]


@dataclass
class ClassCompletion:
    """Who completing a class completed, and who not (with what they miss)."""

    completed: list[Enrolment]
    not_completed: list[Standing]


def weekdays(starts_on: date, ends_on: date) -> list[date]:
    """Monday to Friday between the dates (both included); every day when none is a weekday."""
    days = [
        starts_on + timedelta(days=i)
        for i in range(min((ends_on - starts_on).days + 1, MAX_GENERATED_DAYS))
    ]
    working = [d for d in days if d.weekday() < 5]
    return working or days


def add_default_sessions(course_class: CourseClass) -> None:
    """Give a new classroom class one session per working day (trainers adjust them)."""
    if not course_class.course.is_classroom:
        return
    for day in weekdays(course_class.starts_on, course_class.ends_on):
        db.session.add(ClassSession(class_id=course_class.id, day=day))


def may_manage(course_class: CourseClass, who: Principal) -> bool:
    """Admins and the class's trainers keep its attendance and complete its learners."""
    return who.is_admin or is_trainer_of(course_class, who)


def load_class(class_id: str, who: Principal) -> CourseClass:
    """The class if `who` manages it: 404 when it is unknown or not theirs to see."""
    course_class = db.session.get(CourseClass, class_id)
    if course_class is None or not (may_manage(course_class, who) or who.is_service):
        raise CakapError(404, "No class with this id that you teach.")
    return course_class


def sessions(course_class: CourseClass) -> list[ClassSession]:
    """The class's session days, in order."""
    return list(
        db.session.scalars(
            select(ClassSession)
            .where(ClassSession.class_id == course_class.id)
            .order_by(ClassSession.day)
        )
    )


def _session(course_class: CourseClass, day: date) -> ClassSession:
    found = db.session.scalar(
        select(ClassSession).where(
            ClassSession.class_id == course_class.id, ClassSession.day == day
        )
    )
    if found is None:
        raise CakapError(404, f"The class has no session on {day.isoformat()}.")
    return found


def add_session(class_id: str, who: Principal, day: date) -> ClassSession:
    """A new session day between the class's start and end; 409 when it exists."""
    course_class = load_class(class_id, who)
    if not course_class.starts_on <= day <= course_class.ends_on:
        raise CakapError(
            422,
            f"day: {day.isoformat()} is outside the class ({course_class.starts_on.isoformat()}"
            f" to {course_class.ends_on.isoformat()})",
            errors={"day": ["outside the class's dates"]},
            code="session-outside-class",
        )
    exists = db.session.scalar(
        select(ClassSession.id).where(
            ClassSession.class_id == course_class.id, ClassSession.day == day
        )
    )
    if exists is not None:
        raise CakapError(
            409, f"The class already has a session on {day.isoformat()}.", code="session-exists"
        )
    session_day = ClassSession(class_id=course_class.id, day=day)
    db.session.add(session_day)
    db.session.commit()
    return session_day


def remove_session(class_id: str, who: Principal, day: date) -> None:
    """Drop a session day and the attendance recorded on it."""
    course_class = load_class(class_id, who)
    found = _session(course_class, day)
    db.session.execute(delete(Attendance).where(Attendance.session_id == found.id))
    db.session.delete(found)
    db.session.commit()
    audit("class.session_removed", class_id=course_class.id, day=day.isoformat())


def learners(course_class: CourseClass) -> list[Enrolment]:
    """Enrolled and completed learners of the class, by name."""
    return list(
        db.session.scalars(
            select(Enrolment)
            .where(
                Enrolment.class_id == course_class.id,
                Enrolment.status.in_((EnrolmentStatus.ENROLLED, EnrolmentStatus.COMPLETED)),
            )
            .order_by(Enrolment.learner_name, Enrolment.id)
        )
    )


def record(class_id: str, who: Principal, day: date, present: list[str]) -> Sheet:
    """Set who was present on a session day (enrolled learners; completed ones stay as they
    are); the sheet after it."""
    course_class = load_class(class_id, who)
    found = _session(course_class, day)
    if day > clock.today():
        raise CakapError(
            409,
            f"The session on {day.isoformat()} has not taken place yet.",
            day=day.isoformat(),
            code="session-not-held",
        )
    enrolled = {e.id for e in learners(course_class) if e.status == EnrolmentStatus.ENROLLED}
    unknown = sorted(set(present) - enrolled)
    if unknown:
        raise CakapError(
            422,
            "present: not enrolled learners of this class: " + ", ".join(unknown[:5]),
            errors={"present": ["enrolment(s) not enrolled in this class: " + ", ".join(unknown)]},
        )
    if enrolled:
        db.session.execute(
            delete(Attendance).where(
                Attendance.session_id == found.id, Attendance.enrolment_id.in_(enrolled)
            )
        )
    now = utcnow()
    for enrolment_id in sorted(set(present)):
        db.session.add(
            Attendance(
                session_id=found.id, enrolment_id=enrolment_id, recorded_by=who.id, recorded_at=now
            )
        )
    db.session.commit()
    audit("class.attendance", class_id=course_class.id, day=day.isoformat(), present=len(present))
    return sheet(class_id, who)


def sheet(class_id: str, who: Principal) -> Sheet:
    """The class's session days, completion rule, and each learner's attendance and standing."""
    course_class = load_class(class_id, who)
    return Sheet(
        class_id=course_class.id,
        rule=rule_of(course_class.course),
        sessions=sessions(course_class),
        learners=standings(course_class),
    )


def session_days(class_id: str, who: Principal) -> SessionDays:
    """The session days of a class `who` manages."""
    return SessionDays(sessions(load_class(class_id, who)))


def rule_of(course: Course) -> dict[str, Any]:
    """The completion rule as the API shows it."""
    return {
        "completed_by": "self" if course.completes_by_itself else "trainer",
        "min_attendance_percent": course.min_attendance_percent,
        "modules": len(course.module_links),
        "post_test": course.post_test_id is not None,
    }


def standings(course_class: CourseClass, only: list[Enrolment] | None = None) -> list[Standing]:
    """Each learner's attendance and what they still miss of the course's rule."""
    days = {s.id: s.day for s in sessions(course_class)}
    people = only if only is not None else learners(course_class)
    present: dict[str, list[date]] = {e.id: [] for e in people}
    if days and people:
        rows = db.session.execute(
            select(Attendance.enrolment_id, Attendance.session_id).where(
                Attendance.session_id.in_(list(days)),
                Attendance.enrolment_id.in_(list(present)),
            )
        )
        for enrolment_id, session_id in rows:
            present[enrolment_id].append(days[session_id])
    return [_standing(course_class.course, e, sorted(present[e.id]), len(days)) for e in people]


def _standing(course: Course, enrolment: Enrolment, present: list[date], held: int) -> Standing:
    percent = round(100 * len(present) / held) if held else None
    unmet: list[dict[str, str]] = []
    needed = course.min_attendance_percent
    if needed is not None and needed > 0:
        if not held:
            unmet.append(
                {"code": "attendance", "detail": "the class has no session days to attend"}
            )
        elif 100 * len(present) < needed * held:
            unmet.append(
                {
                    "code": "attendance",
                    "detail": f"attended {len(present)} of {held} session days ({percent}%);"
                    f" the course requires {needed}%",
                }
            )
    missing = [m for m in course.module_ids if m not in set(enrolment.completed_module_ids)]
    if missing:
        unmet.append(
            {
                "code": "modules",
                "detail": f"{len(missing)} of {len(course.module_ids)} modules not completed",
            }
        )
    if course.post_test_id is not None and not enrolment.post_test_passed:
        unmet.append({"code": "post_test", "detail": "the post test is not passed"})
    return Standing(enrolment, present, percent, unmet)


def refuse_self_completing(course: Course) -> None:
    """409 for a course its modules and post test complete: no one completes it by hand."""
    if course.completes_by_itself:
        raise CakapError(
            409,
            f"Course {course.code} completes by itself when the learner completes its modules"
            " and passes its post test; it cannot be completed by hand.",
            code="completes-by-itself",
        )


def complete_one(enrolment_id: str, who: Principal) -> Enrolment:
    """Complete one enrolled learner who meets the rule (see for_completion); 409 saying why
    otherwise."""
    enrolment = for_completion(enrolment_id, who)
    course = enrolment.course_class.course
    refuse_self_completing(course)
    check_transition(enrolment.status, EnrolmentAction.COMPLETE)
    [standing] = standings(enrolment.course_class, only=[enrolment])
    if not standing.meets_rule:
        raise CakapError(
            409,
            "The learner does not meet the course's completion rule: "
            + "; ".join(u["detail"] for u in standing.unmet)
            + ".",
            code="completion-rule-not-met",
            unmet=standing.unmet,
        )
    if not finish(enrolment):
        db.session.rollback()
        raise CakapError(
            409, "The enrolment was changed meanwhile; reload it and try again.", code="stale"
        )
    db.session.commit()
    db.session.refresh(enrolment)
    return enrolment


def complete_class(class_id: str, who: Principal) -> ClassCompletion:
    """Complete every enrolled learner who meets the rule, in one transaction (admin, the
    class's trainers)."""
    course_class = load_class(class_id, who)
    refuse_self_completing(course_class.course)
    completed, left = [], []
    for standing in standings(course_class):
        enrolment = standing.enrolment
        if enrolment.status != EnrolmentStatus.ENROLLED:
            continue
        if standing.meets_rule and finish(enrolment):
            completed.append(enrolment)
        else:
            left.append(standing)
    db.session.commit()
    audit("class.completed", class_id=course_class.id, completed=len(completed), left=len(left))
    return ClassCompletion(completed, left)

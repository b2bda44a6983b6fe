"""Classes: who sees which, opening one under a course, the roster, and changing a class
after it was opened: name, dates, place, capacity, window, trainers.

The new values of a change are checked together with the ones kept (a new end date against the old
start), the capacity never drops below the seats already taken (one conditional UPDATE,
so an approval racing the change cannot slip past it), added seats go to the waitlist in
its order, and a classroom class's session days follow its dates: days no longer inside
are removed, new working days are added, and a day that already has attendance is never
dropped (the change is refused instead).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from cakap_shared.auth import Principal
from cakap_shared.db import paginate
from cakap_shared.logs import audit
from cakap_shared.problems import CakapError
from sqlalchemy import Select, case, delete, select, update

from ..extensions import db
from ..models import (
    Attendance,
    ClassSession,
    Course,
    CourseClass,
    CourseStatus,
    Enrolment,
    EnrolmentStatus,
)
from . import clock, courses
from .attendance import add_default_sessions, weekdays
from .enrolment_rights import is_trainer_of
from .enrolment_transitions import promote_next
from .pages import list_page

# The fields a class's PATCH may carry (all optional).
FIELDS = (
    "name",
    "starts_on",
    "ends_on",
    "place",
    "online",
    "capacity",
    "enrolment_opens_on",
    "enrolment_closes_on",
    "trainer_ids",
)


def _privileged(who: Principal) -> bool:
    return who.is_admin or who.is_service


def load(class_id: str, who: Principal) -> CourseClass:
    """The class; a draft course's classes only for admins, services and its trainers; else 404."""
    course_class = db.session.get(CourseClass, class_id)
    if course_class is None or (
        course_class.course.status == CourseStatus.DRAFT
        and not (_privileged(who) or is_trainer_of(course_class, who))
    ):
        raise CakapError(404, "No class with this id.")
    return course_class


def listing(who: Principal, args: dict[str, Any]) -> dict[str, Any]:
    """A page of classes, soonest first: of one course, open for enrolment today, of a trainer."""
    stmt = select(CourseClass).join(Course, Course.id == CourseClass.course_id)
    if not _privileged(who):
        stmt = stmt.where(Course.status != CourseStatus.DRAFT)
    if args.get("course_id"):
        stmt = stmt.where(CourseClass.course_id == args["course_id"])
    if args.get("year"):
        year = args["year"]
        stmt = stmt.where(
            CourseClass.starts_on >= date(year, 1, 1),
            CourseClass.starts_on <= date(year, 12, 31),
        )
    if args.get("open"):
        today = clock.today()
        stmt = stmt.where(
            Course.status == CourseStatus.PUBLISHED,
            CourseClass.enrolment_opens_on <= today,
            CourseClass.enrolment_closes_on >= today,
        )
    rows = stmt.order_by(CourseClass.starts_on, CourseClass.name, CourseClass.id)
    if args.get("trainer_id"):
        # trainer_ids is a small JSON list: filter in Python over the (few) candidates.
        items = [c for c in db.session.scalars(rows) if args["trainer_id"] in c.trainer_ids]
        return list_page(items, args["page"], args["per_page"])
    return paginate(db, rows, args["page"], args["per_page"])


def roster(class_id: str, who: Principal, status: str | None) -> Select[Any]:
    """Enrolled, completed and waitlisted learners (trainers of the class, admin, services)."""
    course_class = load(class_id, who)
    if not (_privileged(who) or is_trainer_of(course_class, who)):
        raise CakapError(403, "Only the class's trainers and admins see its roster.")
    shown = (EnrolmentStatus.ENROLLED, EnrolmentStatus.COMPLETED, EnrolmentStatus.WAITLISTED)
    statuses = [status] if status else list(shown)
    # Enrolled and completed learners first, then the waitlist (anything else last).
    rank = {
        EnrolmentStatus.ENROLLED: 0,
        EnrolmentStatus.COMPLETED: 0,
        EnrolmentStatus.WAITLISTED: 1,
    }
    order = case(rank, value=Enrolment.status, else_=2)
    return (
        select(Enrolment)
        .where(Enrolment.class_id == course_class.id, Enrolment.status.in_(statuses))
        .order_by(order, Enrolment.waitlisted_at, Enrolment.learner_name, Enrolment.id)
    )


def of_course(course_id: str, who: Principal) -> Select[Any]:
    """The classes of a course `who` may see, soonest first."""
    course = courses.load(course_id, who)
    return (
        select(CourseClass)
        .where(CourseClass.course_id == course.id)
        .order_by(CourseClass.starts_on, CourseClass.name)
    )


def open_class(course_id: str, who: Principal, body: dict[str, Any]) -> CourseClass:
    """Open a class of a draft or published course, with its default session days."""
    course = courses.load(course_id, who)
    if course.status == CourseStatus.ARCHIVED:
        raise CakapError(409, f"Course {course.code} is archived: it gets no new classes.")
    opens = body.pop("enrolment_opens_on", None) or min(clock.today(), body["starts_on"])
    closes = body.pop("enrolment_closes_on", None) or body["starts_on"]
    if closes < opens:
        raise CakapError(
            422,
            "enrolment_closes_on: enrolment closes before it opens",
            errors={"enrolment_closes_on": ["enrolment closes before it opens"]},
        )
    course_class = CourseClass(
        course_id=course.id,
        enrolment_opens_on=opens,
        enrolment_closes_on=closes,
        seats_taken=0,
        **body,
    )
    db.session.add(course_class)
    db.session.flush()
    add_default_sessions(course_class)
    db.session.commit()
    return course_class


def _invalid(field: str, message: str) -> CakapError:
    return CakapError(422, f"{field}: {message}", errors={field: [message]}, code="invalid-class")


def _check_dates(merged: dict[str, Any]) -> None:
    starts, ends = merged["starts_on"], merged["ends_on"]
    opens, closes = merged["enrolment_opens_on"], merged["enrolment_closes_on"]
    if ends < starts:
        raise _invalid("ends_on", "the class ends before it starts")
    if closes < opens:
        raise _invalid("enrolment_closes_on", "enrolment closes before it opens")
    if closes > ends:
        raise _invalid("enrolment_closes_on", "enrolment closes after the class ends")


def update_class(class_id: str, who: Principal, body: dict[str, Any]) -> CourseClass:
    """Apply `body` to the class (admin), in one transaction; 409/422 name the field."""
    course_class = load(class_id, who)
    if course_class.course.status == CourseStatus.ARCHIVED:
        raise CakapError(
            409,
            f"Course {course_class.course.code} is archived: its classes are kept as they were.",
            code="course-archived",
        )
    merged = {name: body.get(name, getattr(course_class, name)) for name in FIELDS}
    _check_dates(merged)
    old_days = (course_class.starts_on, course_class.ends_on)
    old_capacity, capacity = course_class.capacity, merged["capacity"]
    if capacity != old_capacity:
        # Conditional: a seat taken meanwhile is counted here, never overbooked.
        changed = db.session.execute(
            update(CourseClass)
            .where(CourseClass.id == course_class.id, CourseClass.seats_taken <= capacity)
            .values(capacity=capacity)
            .execution_options(synchronize_session=False)
        )
        if changed.rowcount != 1:
            db.session.rollback()
            raise CakapError(
                409,
                f"capacity: {course_class.seats_taken} learners are enrolled; withdraw some "
                "before lowering the capacity below that.",
                errors={"capacity": ["below the learners already enrolled"]},
                code="capacity-below-enrolled",
            )
    for name in FIELDS:
        if name != "capacity" and name in body:
            setattr(course_class, name, body[name])
    if (course_class.starts_on, course_class.ends_on) != old_days:
        _follow_dates(course_class, old_days)
    db.session.flush()
    if capacity > old_capacity:
        # Seats added: the waitlist gets them, first come first served.
        while promote_next(course_class.id):
            pass
    db.session.commit()
    audit("class.updated", actor=who.id, class_id=course_class.id, fields=sorted(body))
    db.session.refresh(course_class)
    return course_class


def _follow_dates(course_class: CourseClass, old_days: tuple[date, date]) -> None:
    """Session days of a classroom class follow new dates; attended days are never dropped."""
    if not course_class.course.is_classroom:
        return
    starts, ends = course_class.starts_on, course_class.ends_on
    outside = select(ClassSession.id).where(
        ClassSession.class_id == course_class.id,
        (ClassSession.day < starts) | (ClassSession.day > ends),
    )
    attended = db.session.scalar(
        select(ClassSession.day)
        .join(Attendance, Attendance.session_id == ClassSession.id)
        .where(ClassSession.id.in_(outside))
        .order_by(ClassSession.day)
        .limit(1)
    )
    if attended is not None:
        db.session.rollback()
        field = "starts_on" if attended < starts else "ends_on"
        raise CakapError(
            409,
            f"{field}: attendance is recorded on {attended.isoformat()}, outside the new dates.",
            errors={field: [f"attendance is recorded on {attended.isoformat()}"]},
            code="attendance-outside-dates",
        )
    db.session.execute(
        delete(ClassSession)
        .where(ClassSession.id.in_(outside))
        .execution_options(synchronize_session=False)
    )
    old_starts, old_ends = old_days
    kept = set(
        db.session.scalars(select(ClassSession.day).where(ClassSession.class_id == course_class.id))
    )
    # Only days the old dates did not cover: days a trainer removed inside them stay removed.
    for day in weekdays(starts, ends):
        if day not in kept and not old_starts <= day <= old_ends:
            db.session.add(ClassSession(class_id=course_class.id, day=day))

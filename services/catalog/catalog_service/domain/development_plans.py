"""Personal development plans: the courses an ASN intends to take in a year.

The person keeps the plan while it is a draft (or returned), then submits it; their
supervisor approves it or returns it with a comment, and a returned plan is edited and
submitted again. Who decides is the rule of enrolment approval (for_decision): the
supervisor on the person's token snapshot, or an admin. Supervisors further up the line read
a plan as they read that person's enrolments (team_filter: personnel's line of supervisors).
"""

from __future__ import annotations

from dataclasses import dataclass

from cakap_shared.auth import Principal
from cakap_shared.db import utcnow
from cakap_shared.http import ServiceUnavailable
from cakap_shared.logs import audit
from cakap_shared.problems import CakapError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..clients import personnel
from ..extensions import db
from ..models import Course, CourseStatus, DevelopmentPlan, DevelopmentPlanItem

# A plan is a year's intention, not a catalogue: a handful of courses the supervisor can weigh.
MAX_ITEMS = 10
EDITABLE = ("draft", "returned")


def _not_found() -> CakapError:
    return CakapError(404, "No development plan with this id that you may see.")


def _in_line(plan: DevelopmentPlan, who: Principal) -> bool:
    """Whether personnel puts `who` anywhere in the plan owner's line of supervisors."""
    if not who.has_role("supervisor"):
        return False
    try:
        return who.id in personnel.supervisor_ids(plan.person_id)
    except ServiceUnavailable as exc:
        raise CakapError(
            503, "Personnel is unavailable, so the line of supervisors cannot be read."
        ) from exc


def can_decide(plan: DevelopmentPlan, who: Principal) -> bool:
    """The owner's supervisor (snapshot) or an admin, never the owner: enrolment approval's rule."""
    is_supervisor = plan.supervisor_id == who.id and plan.person_id != who.id
    return who.is_admin or is_supervisor


def for_viewer(plan_id: str, who: Principal) -> DevelopmentPlan:
    """The plan if `who` may read it (owner, deciding supervisor, the line above, admin)."""
    plan = db.session.get(DevelopmentPlan, plan_id)
    if plan is None:
        raise _not_found()
    if who.is_service or plan.person_id == who.id or can_decide(plan, who) or _in_line(plan, who):
        return plan
    raise _not_found()


def _for_owner(plan_id: str, who: Principal) -> DevelopmentPlan:
    plan = for_viewer(plan_id, who)
    if plan.person_id != who.id:
        raise CakapError(403, "Only the plan's owner changes or submits it.", code="plan-not-yours")
    return plan


def _editable(plan: DevelopmentPlan) -> None:
    if plan.status not in EDITABLE:
        raise CakapError(
            409,
            f"The plan is {plan.status}: only a draft or returned plan changes.",
            code="plan-not-editable",
            status_now=plan.status,
        )


@dataclass
class PlanList:
    """Plans the caller may read."""

    items: list[DevelopmentPlan]


def list_plans(who: Principal, scope: str, year: int | None, status: str | None) -> PlanList:
    """Mine; a supervisor's team's (the plans they decide); everyone's for admins."""
    stmt = select(DevelopmentPlan)
    if scope == "all":
        if not (who.is_admin or who.is_service):
            raise CakapError(403, "Only admins read everyone's plans.", code="plans-all-admin")
    elif scope == "team":
        stmt = stmt.where(
            DevelopmentPlan.supervisor_id == who.id, DevelopmentPlan.person_id != who.id
        )
    else:
        stmt = stmt.where(DevelopmentPlan.person_id == who.id)
    if year is not None:
        stmt = stmt.where(DevelopmentPlan.year == year)
    if status:
        stmt = stmt.where(DevelopmentPlan.status == status)
    stmt = stmt.order_by(DevelopmentPlan.year.desc(), DevelopmentPlan.person_name).limit(500)
    return PlanList(list(db.session.scalars(stmt)))


def create(who: Principal, year: int) -> DevelopmentPlan:
    """A new draft plan of `who` for the year; 409 with its id when one exists."""
    if not who.has_role("asn"):
        raise CakapError(403, "Development plans are for ASN.", code="plan-asn-only")
    plan = DevelopmentPlan(
        person_id=who.id,
        year=year,
        person_name=who.name or "",
        unit_code=who.claims.get("unit_code"),
        supervisor_id=who.claims.get("supervisor_id"),
    )
    db.session.add(plan)
    try:
        db.session.flush()
    except IntegrityError:  # one plan per person and year
        db.session.rollback()
        existing = db.session.scalar(
            select(DevelopmentPlan.id).where(
                DevelopmentPlan.person_id == who.id, DevelopmentPlan.year == year
            )
        )
        raise CakapError(
            409,
            f"You already have a plan for {year}.",
            errors={"year": ["a plan for this year exists"]},
            code="plan-exists",
            plan_id=existing,
        ) from None
    audit("development_plan.created", plan_id=plan.id, year=year)
    db.session.commit()
    return plan


def _course_error(message: str, code: str) -> CakapError:
    return CakapError(422, f"course_id: {message}", errors={"course_id": [message]}, code=code)


def add_course(plan_id: str, who: Principal, course_id: str, note: str | None) -> DevelopmentPlan:
    """Put a published course in the owner's editable plan (no duplicates, at most MAX_ITEMS)."""
    plan = _for_owner(plan_id, who)
    _editable(plan)
    course = db.session.get(Course, course_id)
    if course is None:
        raise _course_error("no such course", "unknown-course")
    if course.status != CourseStatus.PUBLISHED:
        raise _course_error("the course is not published", "course-not-published")
    if any(item.course_id == course_id for item in plan.items):
        raise _course_error("the course is already in the plan", "plan-duplicate-course")
    if len(plan.items) >= MAX_ITEMS:
        raise _course_error(f"a plan holds at most {MAX_ITEMS} courses", "plan-full")
    plan.items.append(DevelopmentPlanItem(course_id=course_id, note=note or None))
    try:
        db.session.flush()
    except IntegrityError:  # a concurrent twin add won
        db.session.rollback()
        raise _course_error("the course is already in the plan", "plan-duplicate-course") from None
    db.session.commit()
    return plan


def remove_course(plan_id: str, who: Principal, course_id: str) -> DevelopmentPlan:
    """Take a course out of the owner's editable plan; 404 when it is not in it."""
    plan = _for_owner(plan_id, who)
    _editable(plan)
    item = next((i for i in plan.items if i.course_id == course_id), None)
    if item is None:
        raise CakapError(404, "The course is not in the plan.", code="plan-item-not-found")
    plan.items.remove(item)
    db.session.commit()
    return plan


def submit(plan_id: str, who: Principal) -> DevelopmentPlan:
    """Send a draft or returned plan with at least one course to the supervisor."""
    plan = _for_owner(plan_id, who)
    _editable(plan)
    if not plan.items:
        raise CakapError(
            422,
            "items: add at least one course before submitting",
            errors={"items": ["the plan has no course"]},
            code="plan-empty",
        )
    # The supervisor may have changed since the draft began: the current one decides.
    supervisor_id = who.claims.get("supervisor_id")
    if not supervisor_id:
        raise CakapError(
            409,
            "You have no supervisor on record to approve the plan.",
            code="plan-no-supervisor",
        )
    plan.supervisor_id = supervisor_id
    plan.status = "submitted"
    plan.submitted_at = utcnow()
    audit("development_plan.submitted", plan_id=plan.id)
    db.session.commit()
    return plan


def decide(plan_id: str, who: Principal, approve: bool, comment: str | None) -> DevelopmentPlan:
    """Approve, or return with a comment: the supervisor or an admin, a submitted plan only."""
    plan = for_viewer(plan_id, who)
    if not can_decide(plan, who):
        raise CakapError(
            403,
            "Only the person's supervisor or an admin decides on the plan.",
            code="plan-not-your-decision",
        )
    # Only while still submitted: the supervisor and an admin may decide at once, and the
    # second must hear that the plan was decided, not overwrite the first decision.
    decided = (
        plan.status == "submitted"
        and db.session.execute(
            update(DevelopmentPlan)
            .where(DevelopmentPlan.id == plan.id, DevelopmentPlan.status == "submitted")
            .values(
                status="approved" if approve else "returned",
                supervisor_comment=comment or None,
                decided_by=who.id,
                decided_at=utcnow(),
            )
        ).rowcount
        == 1
    )
    if not decided:
        db.session.rollback()
        status_now = db.session.scalar(
            select(DevelopmentPlan.status).where(DevelopmentPlan.id == plan_id)
        )
        raise CakapError(
            409,
            f"The plan is {status_now}: only a submitted plan is decided.",
            code="plan-not-submitted",
            status_now=status_now,
        )
    db.session.commit()
    audit(f"development_plan.{plan.status}", plan_id=plan.id)
    return plan

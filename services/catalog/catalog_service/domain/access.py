"""Answers for other services (learning access) and recommendations for a person's gaps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cakap_shared.auth import Principal
from cakap_shared.http import ServiceUnavailable
from cakap_shared.problems import CakapError
from flask import current_app
from sqlalchemy import or_, select

from ..clients import personnel
from ..extensions import db
from ..models import (
    Course,
    CourseCompetency,
    CourseModule,
    CourseStatus,
    Enrolment,
    EnrolmentStatus,
)
from . import courses
from .pages import list_page


@dataclass
class Access:
    """Whether a learner may use a module or assessment, and through which enrolments."""

    allowed: bool
    course_ids: list[str]
    class_ids: list[str]
    reviewable: bool


@dataclass
class Recommendation:
    """A published course working on some of a person's gaps."""

    course: Course
    gaps: list[dict[str, Any]]
    gaps_closed: int
    levels_gained: int
    has_open_class: bool


def learning_access(learner_id: str, module_id: str | None, assessment_id: str | None) -> Access:
    """Allowed when enrolled in a class of a published course using the module or assessment;
    a module is also `reviewable` when the learner completed a course holding it."""
    stmt = (
        select(Enrolment.course_id, Enrolment.class_id)
        .join(Course, Course.id == Enrolment.course_id)
        .where(
            Enrolment.learner_id == learner_id,
            Enrolment.status == EnrolmentStatus.ENROLLED,
            Course.status == CourseStatus.PUBLISHED,
        )
    )
    if module_id:
        stmt = stmt.join(CourseModule, CourseModule.course_id == Course.id).where(
            CourseModule.module_id == module_id
        )
    else:
        stmt = stmt.where(
            or_(Course.pre_test_id == assessment_id, Course.post_test_id == assessment_id)
        )
    rows = db.session.execute(stmt.order_by(Enrolment.course_id, Enrolment.class_id)).all()
    return Access(
        allowed=bool(rows),
        course_ids=sorted({r.course_id for r in rows}),
        class_ids=sorted({r.class_id for r in rows}),
        reviewable=bool(module_id) and _completed_a_course_holding(learner_id, module_id),
    )


def _completed_a_course_holding(learner_id: str, module_id: str) -> bool:
    """Whether the learner completed a course holding the module: its modules stay open to
    them for review (a launch that never counts), even once the course is archived."""
    found = db.session.scalar(
        select(Enrolment.id)
        .join(Course, Course.id == Enrolment.course_id)
        .join(CourseModule, CourseModule.course_id == Course.id)
        .where(
            Enrolment.learner_id == learner_id,
            Enrolment.status == EnrolmentStatus.COMPLETED,
            CourseModule.module_id == module_id,
            Course.status != CourseStatus.DRAFT,
        )
        .limit(1)
    )
    return found is not None


def _may_see_person(who: Principal, person_id: str) -> None:
    if who.is_admin or who.is_service or who.id == person_id:
        return
    if who.has_role("supervisor") and who.id in personnel.supervisor_ids(person_id):
        return
    raise CakapError(403, "Recommendations are for yourself, your team (supervisors) or admins.")


def recommendations(who: Principal, person_id: str, page: int, per_page: int) -> dict[str, Any]:
    """A page of the published courses that close the person's gaps (from personnel)."""
    try:
        _may_see_person(who, person_id)
        gaps = personnel.competency_gaps(person_id)
    except ServiceUnavailable as exc:
        raise CakapError(
            503, "Personnel is unavailable, so the competency gaps cannot be read."
        ) from exc
    if gaps is None:
        raise CakapError(404, "No person with this id.")
    ranked = recommend(gaps)[: current_app.config["CATALOG_RECOMMENDATIONS_LIMIT"]]
    return list_page(ranked, page, per_page)


def recommend(gaps: list[dict[str, Any]]) -> list[Recommendation]:
    """Published courses working on the gaps: most gaps closed, most levels gained, open class."""
    open_gaps = {g["code"]: g for g in gaps if g["gap"] > 0}
    if not open_gaps:
        return []
    has_open = courses.open_class_exists().label("has_open_class")
    rows = db.session.execute(
        select(Course, has_open)
        .where(
            Course.status == CourseStatus.PUBLISHED,
            Course.id.in_(
                select(CourseCompetency.course_id).where(
                    CourseCompetency.competency_code.in_(list(open_gaps))
                )
            ),
        )
        .limit(2000)
    ).all()
    ranked = []
    for course, open_class in rows:
        worked = _worked(course, open_gaps)
        if not worked:
            continue
        closed = sum(1 for w in worked if w["closes"])
        gained = sum(min(w["level"], w["required"]) - w["current"] for w in worked)
        ranked.append(Recommendation(course, worked, closed, gained, bool(open_class)))
    ranked.sort(
        key=lambda r: (
            -r.gaps_closed,
            -r.levels_gained,
            not r.has_open_class,
            r.course.jp,
            r.course.code,
        )
    )
    return ranked


def _worked(course: Course, open_gaps: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The gaps the course raises someone above their current level in, and whether it closes."""
    worked = []
    for target in course.competencies:
        gap = open_gaps.get(target["code"])
        if gap is None or target["level"] <= gap["current"]:
            continue
        worked.append(
            {**gap, "level": target["level"], "closes": target["level"] >= gap["required"]}
        )
    return worked

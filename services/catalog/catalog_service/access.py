"""Answers for other services (learning access) and recommendations for a person's gaps."""

from __future__ import annotations

from typing import Any

from cakap_shared.auth import current_principal, require_roles
from cakap_shared.http import ServiceUnavailable
from cakap_shared.problems import CakapError
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import or_, select

from .clients import personnel
from .domain import courses
from .extensions import db
from .models import Course, CourseCompetency, CourseModule, Enrolment
from .schemas import (
    LearningAccessArgsSchema,
    LearningAccessSchema,
    RecommendationArgsSchema,
    RecommendationSchema,
    page_of,
)

blp = Blueprint("access", __name__, url_prefix="/api/v1", description="Access and recommendations")


@blp.route("/learning-access")
class LearningAccess(MethodView):
    """May this learner use this module or assessment?"""

    @blp.arguments(LearningAccessArgsSchema, location="query")
    @blp.response(200, LearningAccessSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Allowed when enrolled in a class of a published course using it; a module is also
        `reviewable` when the learner completed a course holding it (services, admin)."""
        require_roles("service", "admin")
        stmt = (
            select(Enrolment.course_id, Enrolment.class_id)
            .join(Course, Course.id == Enrolment.course_id)
            .where(
                Enrolment.learner_id == args["learner_id"],
                Enrolment.status == "enrolled",
                Course.status == "published",
            )
        )
        if args.get("module_id"):
            stmt = stmt.join(CourseModule, CourseModule.course_id == Course.id).where(
                CourseModule.module_id == args["module_id"]
            )
        else:
            aid = args["assessment_id"]
            stmt = stmt.where(or_(Course.pre_test_id == aid, Course.post_test_id == aid))
        rows = db.session.execute(stmt.order_by(Enrolment.course_id, Enrolment.class_id)).all()
        return {
            "allowed": bool(rows),
            "course_ids": sorted({r.course_id for r in rows}),
            "class_ids": sorted({r.class_id for r in rows}),
            "reviewable": bool(args.get("module_id"))
            and _completed_a_course_holding(args["learner_id"], args["module_id"]),
        }


def _completed_a_course_holding(learner_id: str, module_id: str) -> bool:
    """Whether the learner completed a course holding the module: its modules stay open to
    them for review (a launch that never counts), even once the course is archived."""
    found = db.session.scalar(
        select(Enrolment.id)
        .join(Course, Course.id == Enrolment.course_id)
        .join(CourseModule, CourseModule.course_id == Course.id)
        .where(
            Enrolment.learner_id == learner_id,
            Enrolment.status == "completed",
            CourseModule.module_id == module_id,
            Course.status != "draft",
        )
        .limit(1)
    )
    return found is not None


def _may_see_person(person_id: str) -> None:
    who = current_principal()
    if who.is_admin or who.is_service or who.id == person_id:
        return
    if who.has_role("supervisor") and who.id in personnel.supervisor_ids(person_id):
        return
    raise CakapError(403, "Recommendations are for yourself, your team (supervisors) or admins.")


def recommend(gaps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Published courses working on the gaps: most gaps closed, most levels gained, open class."""
    open_gaps = {g["code"]: g for g in gaps if g["gap"] > 0}
    if not open_gaps:
        return []
    has_open = courses.open_class_exists().label("has_open_class")
    rows = db.session.execute(
        select(Course, has_open)
        .where(
            Course.status == "published",
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
        worked = []
        for target in course.competencies:
            gap = open_gaps.get(target["code"])
            if gap is None or target["level"] <= gap["current"]:
                continue
            worked.append(
                {**gap, "level": target["level"], "closes": target["level"] >= gap["required"]}
            )
        if not worked:
            continue
        closed = sum(1 for w in worked if w["closes"])
        gained = sum(min(w["level"], w["required"]) - w["current"] for w in worked)
        ranked.append(
            {
                "course": course,
                "gaps": worked,
                "gaps_closed": closed,
                "levels_gained": gained,
                "has_open_class": bool(open_class),
            }
        )
    ranked.sort(
        key=lambda r: (
            -r["gaps_closed"],
            -r["levels_gained"],
            not r["has_open_class"],
            r["course"].jp,
            r["course"].code,
        )
    )
    return ranked


@blp.route("/recommendations")
class Recommendations(MethodView):
    """Courses for a person's competency gaps."""

    @blp.arguments(RecommendationArgsSchema, location="query")
    @blp.response(200, page_of(RecommendationSchema))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Published courses that close the person's gaps (from personnel), best first."""
        person_id = args["person_id"]
        try:
            _may_see_person(person_id)
            gaps = personnel.competency_gaps(person_id)
        except ServiceUnavailable as exc:
            raise CakapError(
                503, "Personnel is unavailable, so the competency gaps cannot be read."
            ) from exc
        if gaps is None:
            raise CakapError(404, "No person with this id.")
        ranked = recommend(gaps)[: current_app.config["CATALOG_RECOMMENDATIONS_LIMIT"]]
        per_page = min(args["per_page"], 100)
        start = (args["page"] - 1) * per_page
        return {
            "items": ranked[start : start + per_page],
            "total": len(ranked),
            "page": args["page"],
            "per_page": per_page,
        }

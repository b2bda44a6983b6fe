"""Classes across courses, changing one (admin), and a class's roster for its trainers."""

from __future__ import annotations

from datetime import date
from typing import Any

from cakap_shared.auth import Principal, current_principal, require_roles
from cakap_shared.db import paginate
from cakap_shared.problems import CakapError
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import case, select

from .api._common import ClassPageSchema, ClassSchema
from .domain import classes as class_rules
from .domain import clock
from .domain.enrolments import is_trainer_of
from .extensions import db
from .models import Course, CourseClass, Enrolment
from .schemas import (
    ClassQueryArgsSchema,
    ClassUpdateSchema,
    RosterEntrySchema,
    RosterQueryArgsSchema,
    page_of,
)

blp = Blueprint("classes", __name__, url_prefix="/api/v1", description="Classes and rosters")


def _privileged(who: Principal) -> bool:
    return who.is_admin or who.is_service


def _class(class_id: str, who: Principal) -> CourseClass:
    course_class = db.session.get(CourseClass, class_id)
    if course_class is None or (
        course_class.course.status == "draft"
        and not (_privileged(who) or is_trainer_of(course_class, who))
    ):
        raise CakapError(404, "No class with this id.")
    return course_class


@blp.route("/classes")
class Classes(MethodView):
    """Classes of all courses."""

    @blp.arguments(ClassQueryArgsSchema, location="query")
    @blp.response(200, ClassPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Classes, soonest first: of one course, open for enrolment today, or of a trainer."""
        who = current_principal()
        stmt = select(CourseClass).join(Course, Course.id == CourseClass.course_id)
        if not _privileged(who):
            stmt = stmt.where(Course.status != "draft")
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
                Course.status == "published",
                CourseClass.enrolment_opens_on <= today,
                CourseClass.enrolment_closes_on >= today,
            )
        rows = stmt.order_by(CourseClass.starts_on, CourseClass.name, CourseClass.id)
        if args.get("trainer_id"):
            # trainer_ids is a small JSON list: filter in Python over the (few) candidates.
            items = [c for c in db.session.scalars(rows) if args["trainer_id"] in c.trainer_ids]
            per_page = min(args["per_page"], 100)
            start = (args["page"] - 1) * per_page
            return {
                "items": items[start : start + per_page],
                "total": len(items),
                "page": args["page"],
                "per_page": per_page,
            }
        return paginate(db, rows, args["page"], args["per_page"])


@blp.route("/classes/<class_id>")
class ClassesById(MethodView):
    """One class."""

    @blp.response(200, ClassSchema)
    def get(self, class_id: str) -> CourseClass:
        """A class with its seats and enrolment window."""
        return _class(class_id, current_principal())

    @blp.arguments(ClassUpdateSchema)
    @blp.response(200, ClassSchema)
    @blp.alt_response(409, description="Capacity below the enrolled, attendance outside new dates")
    def patch(self, body: dict[str, Any], class_id: str) -> CourseClass:
        """Change a class (admin): name, dates, place, capacity, enrolment window, trainers."""
        who = require_roles("admin")
        return class_rules.update_class(_class(class_id, who), body, who.id)


@blp.route("/classes/<class_id>/roster")
class ClassRoster(MethodView):
    """Who is in a class."""

    @blp.arguments(RosterQueryArgsSchema, location="query")
    @blp.response(200, page_of(RosterEntrySchema))
    def get(self, args: dict[str, Any], class_id: str) -> dict[str, Any]:
        """Enrolled, completed and waitlisted learners (trainers of the class, admin, services)."""
        who = current_principal()
        course_class = _class(class_id, who)
        if not (_privileged(who) or is_trainer_of(course_class, who)):
            raise CakapError(403, "Only the class's trainers and admins see its roster.")
        statuses = (
            [args["status"]] if args.get("status") else ["enrolled", "completed", "waitlisted"]
        )
        order = case(
            {"enrolled": 0, "completed": 0, "waitlisted": 1}, value=Enrolment.status, else_=2
        )
        stmt = (
            select(Enrolment)
            .where(Enrolment.class_id == course_class.id, Enrolment.status.in_(statuses))
            .order_by(order, Enrolment.waitlisted_at, Enrolment.learner_name, Enrolment.id)
        )
        return paginate(db, stmt, args["page"], args["per_page"])

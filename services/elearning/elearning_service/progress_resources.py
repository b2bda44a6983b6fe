"""Progress: a learner's per module, and a module's per class roster."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from cakap_shared.auth import Principal, current_principal
from cakap_shared.problems import CakapError
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from .catalog import ServiceUnavailable, catalog, unavailable
from .extensions import db
from .models import Attempt, Module
from .modules_resources import get_module
from .schemas import (
    ClassProgressArgsSchema,
    ClassProgressSchema,
    LearnerProgressSchema,
    ProgressArgsSchema,
)

blp = Blueprint("progress", __name__, url_prefix="/api/v1", description="Learning progress")
_RANK = {"not_attempted": 0, "incomplete": 1, "completed": 2}


def summarise(attempts: Iterable[Attempt]) -> dict[str, Any]:
    """Best status and score over a learner's attempts on one module, total time of all."""
    rows = list(attempts)
    if not rows:
        return {
            "status": "not_attempted",
            "success": "unknown",
            "score": None,
            "total_time": 0.0,
            "attempts": 0,
            "last_activity": None,
        }
    best = max(rows, key=lambda a: (_RANK[a.completion], a.success == "passed", a.score or -1))
    scores = [a.score for a in rows if a.score is not None]
    return {
        "status": best.completion,
        "success": best.success,
        "score": max(scores) if scores else None,
        "total_time": round(sum(a.total_seconds for a in rows), 2),
        "attempts": len(rows),
        "last_activity": max(a.updated_at for a in rows),
    }


@blp.route("/progress")
class Progress(MethodView):
    """A learner's progress."""

    @blp.arguments(ProgressArgsSchema, location="query")
    @blp.response(200, LearnerProgressSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Per module: status, score, total time and attempts (yourself, or anyone for admins)."""
        who = current_principal()
        learner_id = args.get("learner_id") or who.id
        if learner_id != who.id and not (who.is_admin or who.is_service):
            raise CakapError(403, "You may only see your own progress.")
        # Reviews and previews never count, so they are no part of anyone's progress.
        attempts = db.session.scalars(
            select(Attempt)
            .where(Attempt.learner_id == learner_id, Attempt.mode == "normal")
            .order_by(Attempt.started_at)
        ).all()
        by_module: dict[str, list[Attempt]] = defaultdict(list)
        for attempt in attempts:
            by_module[attempt.module_id].append(attempt)
        items = []
        for module_id, rows in by_module.items():
            module = db.session.get(Module, module_id)
            assert module is not None
            items.append(
                {
                    "module_id": module_id,
                    "title": module.title,
                    "kind": module.kind,
                    **summarise(rows),
                }
            )
        return {"learner_id": learner_id, "items": items}


def _member(entry: Any) -> tuple[str, str] | None:
    """(learner id, name) of a roster entry, whatever the roster calls its fields."""
    if not isinstance(entry, dict):
        return None
    learner_id = entry.get("learner_id") or entry.get("person_id") or entry.get("id")
    name = entry.get("learner_name") or entry.get("name") or ""
    return (str(learner_id), str(name)) if learner_id else None


def _class_roster(class_id: str, module_id: str, who: Principal) -> dict[str, Any]:
    """The roster of a class whose course uses the module, for the class's trainers and admins.

    Elearning reads the roster with its own service token, so the caller's right to the
    class is checked here, against catalog's own record of the class (trainer_ids).
    """
    gateway = catalog()
    course_class = gateway.course_class(class_id)
    if course_class is None:
        raise CakapError(404, "No such class.")
    trainers = course_class.get("trainer_ids") or []
    if not (who.is_admin or (isinstance(trainers, list) and who.id in trainers)):
        raise CakapError(403, "Only the class's trainers or an administrator see its progress.")
    course_id = course_class.get("course_id")
    course = gateway.course(str(course_id)) if course_id else None
    module_ids = (course or {}).get("module_ids") or []
    if not isinstance(module_ids, list) or module_id not in module_ids:
        raise CakapError(404, "This module is not part of the class's course.")
    roster = gateway.roster(class_id)
    if roster is None:
        raise CakapError(404, "No such class.")
    return roster


@blp.route("/modules/<string:module_id>/progress")
class ModuleProgress(MethodView):
    """A module's progress in one class."""

    @blp.arguments(ClassProgressArgsSchema, location="query")
    @blp.response(200, ClassProgressSchema)
    @blp.alt_response(503, description="Catalog could not be asked for the roster")
    def get(self, args: dict[str, Any], module_id: str) -> dict[str, Any]:
        """Who started, who completed, the average score and time spent (class trainer or admin)."""
        who = current_principal()
        module = get_module(module_id)
        if not (who.is_admin or who.has_role("trainer")):
            raise CakapError(403, "Only the class's trainers or an administrator see its progress.")
        try:
            roster = _class_roster(args["class_id"], module.id, who)
        except ServiceUnavailable:
            raise unavailable() from None
        members = [m for m in map(_member, roster.get("items") or []) if m]
        ids = [m[0] for m in members]
        attempts = (
            db.session.scalars(
                select(Attempt).where(
                    Attempt.module_id == module.id,
                    Attempt.learner_id.in_(ids),
                    Attempt.mode == "normal",
                )
            ).all()
            if ids
            else []
        )
        by_learner: dict[str, list[Attempt]] = defaultdict(list)
        for attempt in attempts:
            by_learner[attempt.learner_id].append(attempt)
        items = []
        for learner_id, name in members:
            s = summarise(by_learner.get(learner_id, []))
            items.append(
                {
                    "learner_id": learner_id,
                    "name": name,
                    "started": s["attempts"] > 0,
                    "completed": s["status"] == "completed",
                    "status": s["status"],
                    "score": s["score"],
                    "total_time": s["total_time"],
                    "attempts": s["attempts"],
                }
            )
        scores = [i["score"] for i in items if i["score"] is not None]
        return {
            "module_id": module.id,
            "class_id": args["class_id"],
            "learners": len(items),
            "started": sum(i["started"] for i in items),
            "completed": sum(i["completed"] for i in items),
            "average_score": round(sum(scores) / len(scores), 2) if scores else None,
            "total_time": round(sum(i["total_time"] for i in items), 2),
            "items": items,
        }

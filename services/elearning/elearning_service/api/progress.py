"""Progress: a learner's per module, and a module's per class roster."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.auth import current_principal
from cakap_shared.schemas import UtcDateTime, state_field
from flask.views import MethodView
from flask_smorest import Blueprint

from ..domain import progress as domain
from ..models import Completion, ModuleKind, Success

blp = Blueprint("progress", __name__, url_prefix="/api/v1", description="Learning progress")


class ProgressArgsSchema(ma.Schema):
    """Whose progress (default: the caller)."""

    learner_id = ma.fields.String(load_default=None, validate=ma.validate.Length(min=1, max=80))


class ModuleProgressSchema(ma.Schema):
    """One learner's progress in one module (best attempt)."""

    module_id = ma.fields.String()
    title = ma.fields.String()
    kind = state_field(ModuleKind)
    status = state_field(Completion, "not_attempted, incomplete, completed")
    success = state_field(Success)
    score = ma.fields.Float(allow_none=True)
    total_time = ma.fields.Float(metadata={"description": "seconds, all attempts"})
    attempts = ma.fields.Integer()
    last_activity = UtcDateTime(allow_none=True)


class LearnerProgressSchema(ma.Schema):
    """A learner's progress per module."""

    learner_id = ma.fields.String()
    items = ma.fields.List(ma.fields.Nested(ModuleProgressSchema))


class ClassProgressArgsSchema(ma.Schema):
    """Which class roster to report on."""

    class_id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=80))


class RosterProgressSchema(ma.Schema):
    """One roster member's progress in the module."""

    learner_id = ma.fields.String()
    name = ma.fields.String()
    started = ma.fields.Boolean()
    completed = ma.fields.Boolean()
    status = state_field(Completion)
    score = ma.fields.Float(allow_none=True)
    total_time = ma.fields.Float()
    attempts = ma.fields.Integer()


class ClassProgressSchema(ma.Schema):
    """A module's progress in one class."""

    module_id = ma.fields.String()
    class_id = ma.fields.String()
    learners = ma.fields.Integer()
    started = ma.fields.Integer()
    completed = ma.fields.Integer()
    average_score = ma.fields.Float(allow_none=True)
    total_time = ma.fields.Float(metadata={"description": "seconds, all learners"})
    items = ma.fields.List(ma.fields.Nested(RosterProgressSchema))


@blp.route("/progress")
class Progress(MethodView):
    """A learner's progress."""

    @blp.arguments(ProgressArgsSchema, location="query")
    @blp.response(200, LearnerProgressSchema)
    def get(self, args: dict[str, Any]) -> domain.LearnerProgress:
        """Per module: status, score, total time and attempts (yourself, or anyone for admins)."""
        return domain.learner_progress(current_principal(), args.get("learner_id"))


@blp.route("/modules/<string:module_id>/progress")
class ModuleProgress(MethodView):
    """A module's progress in one class."""

    @blp.arguments(ClassProgressArgsSchema, location="query")
    @blp.response(200, ClassProgressSchema)
    @blp.alt_response(503, description="Catalog could not be asked for the roster")
    def get(self, args: dict[str, Any], module_id: str) -> domain.ClassProgress:
        """Who started, who completed, the average score and time spent (class trainer or admin)."""
        return domain.class_progress(current_principal(), module_id, args["class_id"])

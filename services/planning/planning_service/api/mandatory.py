"""Mandatory trainings: which courses which people must attend."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.auth import require_roles
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from ..extensions import db
from ..models import MandatoryTraining

blp = Blueprint(
    "mandatory", __name__, url_prefix="/api/v1", description="Mandatory trainings for planning"
)

V = ma.validate
POSITION_TYPES = (
    "jpt_madya",
    "jpt_pratama",
    "administrator",
    "pengawas",
    "fungsional",
    "pelaksana",
)


class MandatoryTrainingSchema(ma.Schema):
    """A course some people must attend: those of a position type, newly appointed, or both."""

    id = ma.fields.String(dump_only=True)
    course_code = ma.fields.String(required=True, validate=V.Length(min=1, max=40))
    title = ma.fields.String(load_default="", validate=V.Length(max=300))
    position_type = ma.fields.String(
        load_default=None, allow_none=True, validate=V.OneOf(POSITION_TYPES)
    )
    appointed_within_months = ma.fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=V.Range(min=0, max=480)
    )


class MandatoryListSchema(ma.Schema):
    """Every rule."""

    items = ma.fields.List(ma.fields.Nested(MandatoryTrainingSchema))


@blp.route("/mandatory-trainings")
class MandatoryTrainings(MethodView):
    """The rules planning applies."""

    @blp.response(200, MandatoryListSchema)
    def get(self) -> dict[str, Any]:
        """Every mandatory-training rule (admin)."""
        require_roles("admin")
        rows = db.session.scalars(select(MandatoryTraining).order_by(MandatoryTraining.course_code))
        return {"items": list(rows)}

    @blp.arguments(MandatoryTrainingSchema)
    @blp.response(201, MandatoryTrainingSchema)
    def post(self, body: dict[str, Any]) -> MandatoryTraining:
        """Add a rule (admin)."""
        require_roles("admin")
        rule = MandatoryTraining(**body)
        db.session.add(rule)
        db.session.commit()
        return rule

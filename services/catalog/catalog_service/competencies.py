"""Competency dictionary: admins add entries, everyone signed in reads them."""

from __future__ import annotations

from typing import Any

from cakap_shared.auth import require_roles
from cakap_shared.db import paginate
from cakap_shared.problems import CakapError
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import or_, select

from .extensions import db
from .models import Competency
from .schemas import CompetencyQueryArgsSchema, CompetencySchema, page_of

blp = Blueprint("competencies", __name__, url_prefix="/api/v1", description="Competency dictionary")


@blp.route("/competencies")
class Competencies(MethodView):
    """The dictionary."""

    @blp.arguments(CompetencyQueryArgsSchema, location="query")
    @blp.response(200, page_of(CompetencySchema))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List competencies, by type or matching a code/name."""
        stmt = select(Competency).order_by(Competency.type, Competency.code)
        if args.get("type"):
            stmt = stmt.where(Competency.type == args["type"])
        if args.get("q"):
            like = f"%{args['q']}%"
            stmt = stmt.where(or_(Competency.code.ilike(like), Competency.name.ilike(like)))
        return paginate(db, stmt, args["page"], args["per_page"])

    @blp.arguments(CompetencySchema)
    @blp.response(201, CompetencySchema)
    def post(self, body: dict[str, Any]) -> Competency:
        """Add a competency (admin)."""
        require_roles("admin")
        if db.session.scalar(select(Competency.id).where(Competency.code == body["code"])):
            raise CakapError(
                409, f"A competency with code {body['code']} exists.", errors={"code": ["taken"]}
            )
        competency = Competency(**body)
        db.session.add(competency)
        db.session.commit()
        return competency


@blp.route("/competencies/<code>")
class CompetenciesByCode(MethodView):
    """One competency."""

    @blp.response(200, CompetencySchema)
    def get(self, code: str) -> Competency:
        """A competency with its level indicators."""
        competency = db.session.scalar(select(Competency).where(Competency.code == code))
        if competency is None:
            raise CakapError(404, "No competency with this code.")
        return competency

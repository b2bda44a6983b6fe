"""The competency dictionary: admins add entries, everyone signed in reads them."""

from __future__ import annotations

from typing import Any

from cakap_shared.problems import CakapError
from sqlalchemy import Select, or_, select

from ..extensions import db
from ..models import Competency


def listing(args: dict[str, Any]) -> Select[Any]:
    """Competencies by type then code, of one type or matching a code/name."""
    stmt = select(Competency).order_by(Competency.type, Competency.code)
    if args.get("type"):
        stmt = stmt.where(Competency.type == args["type"])
    if args.get("q"):
        like = f"%{args['q']}%"
        stmt = stmt.where(or_(Competency.code.ilike(like), Competency.name.ilike(like)))
    return stmt


def create(body: dict[str, Any]) -> Competency:
    """A new entry; 409 for a code that exists."""
    if db.session.scalar(select(Competency.id).where(Competency.code == body["code"])):
        raise CakapError(
            409, f"A competency with code {body['code']} exists.", errors={"code": ["taken"]}
        )
    competency = Competency(**body)
    db.session.add(competency)
    db.session.commit()
    return competency


def by_code(code: str) -> Competency:
    """The entry with this code, or 404."""
    competency = db.session.scalar(select(Competency).where(Competency.code == code))
    if competency is None:
        raise CakapError(404, "No competency with this code.")
    return competency

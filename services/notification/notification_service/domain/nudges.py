"""Supervisor nudges: a reminder to a team member still below the yearly JP target.

Only someone above the member in personnel's supervisor line may send one; the member
gets it in the inbox and by e-mail as they chose. One per member per calendar week
(CAKAP_TIMEZONE), whoever sends it, so a member is never flooded by several bosses.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cakap_shared.db import utcnow
from cakap_shared.problems import CakapError
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Nudge
from . import inbox

KIND = "supervisor_nudge"
SupervisorsLookup = Callable[[str], list[str] | None]
JpLookup = Callable[[str], dict[str, int] | None]


def week_of(moment: datetime, zone: str) -> tuple[str, date]:
    """The ISO week label of `moment` in `zone` and the Monday the next week starts."""
    local = moment.astimezone(ZoneInfo(zone)).date()
    year, week, weekday = local.isocalendar()
    return f"{year}-W{week:02d}", local + timedelta(days=8 - weekday)


def _too_soon(next_week: date) -> CakapError:
    return CakapError(
        429,
        "This person was already reminded this week.",
        code="nudge-too-soon",
        next_allowed_on=next_week.isoformat(),
    )


def send(sender_id: str, person_id: str, supervisors: SupervisorsLookup, jp: JpLookup) -> Nudge:
    """Check the sender is above the person and the person is below target; then nudge.

    Someone outside the sender's team gets the same 404 as an unknown id (no probing).
    Lookups raise ServiceUnavailable when personnel cannot answer: nothing is written.
    """
    chain = supervisors(person_id) if person_id != sender_id else None
    if not chain or sender_id not in chain:
        raise CakapError(404, "No member of your team has this id.", code="not-in-team")
    summary = jp(person_id)
    if summary is None:
        raise CakapError(404, "No member of your team has this id.", code="not-in-team")
    if summary["shortfall"] <= 0:
        raise CakapError(409, "This person has reached the JP target.", code="target-met")
    now = utcnow()
    week, next_week = week_of(now, current_app.config["TIMEZONE"])
    taken = db.session.scalar(
        select(Nudge.id).where(Nudge.person_id == person_id, Nudge.week == week)
    )
    if taken is not None:
        raise _too_soon(next_week)
    nudge = Nudge(person_id=person_id, sender_id=sender_id, week=week, created_at=now)
    db.session.add(nudge)
    try:
        db.session.flush()  # a concurrent nudge for the same week fails here
    except IntegrityError:
        db.session.rollback()
        raise _too_soon(next_week) from None
    inbox.notify(nudge.id, person_id, KIND, summary)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise _too_soon(next_week) from None
    return nudge


def sent_this_week(sender_id: str) -> dict[str, Any]:
    """The sender's nudges of the current week (the team page marks those members)."""
    week, next_week = week_of(utcnow(), current_app.config["TIMEZONE"])
    items = db.session.scalars(
        select(Nudge)
        .where(Nudge.sender_id == sender_id, Nudge.week == week)
        .order_by(Nudge.created_at.desc())
    ).all()
    return {"week": week, "next_week_starts_on": next_week, "items": items}

"""Completions and spending per month of a year, for the back office's report."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cakap_shared.db import local_date
from sqlalchemy import select

from .extensions import db
from .models import Course, Enrolment


def monthly(year: int) -> list[dict[str, Any]]:
    """Twelve rows: completions, JP earned and the cost of the completed enrolments.

    A completion counts in the local month it happened (completion moments are UTC);
    the window read is widened by a day on each side and filtered after conversion.
    """
    rows = db.session.execute(
        select(Enrolment.completed_at, Enrolment.cost_reserved, Course.jp)
        .join(Course, Course.id == Enrolment.course_id)
        .where(
            Enrolment.status == "completed",
            Enrolment.completed_at >= datetime(year - 1, 12, 31, tzinfo=UTC),
            Enrolment.completed_at < datetime(year + 1, 1, 2, tzinfo=UTC),
        )
    ).all()
    months = [{"month": m, "completions": 0, "jp": 0, "spent": 0} for m in range(1, 13)]
    for completed_at, cost, jp in rows:
        moment = completed_at if completed_at.tzinfo else completed_at.replace(tzinfo=UTC)
        day = local_date(moment)
        if day.year != year:
            continue
        month = months[day.month - 1]
        month["completions"] += 1
        month["jp"] += int(jp or 0)
        month["spent"] += int(cost or 0)
    return months

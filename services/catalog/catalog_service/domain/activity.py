"""Completions and spending per month of a year, for the back office's report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from cakap_shared.db import local_date
from sqlalchemy import select

from ..extensions import db
from ..models import Course, Enrolment, EnrolmentStatus


@dataclass
class Month:
    """One local month's completions, JP earned and the cost of the completed enrolments."""

    month: int
    completions: int = 0
    jp: int = 0
    spent: int = 0


@dataclass
class Year:
    """The twelve months of a year."""

    year: int
    items: list[Month] = field(default_factory=list)


def monthly(year: int) -> Year:
    """Twelve rows: completions, JP earned and the cost of the completed enrolments.

    A completion counts in the local month it happened (completion moments are UTC);
    the window read is widened by a day on each side and filtered after conversion.
    """
    rows = db.session.execute(
        select(Enrolment.completed_at, Enrolment.cost_reserved, Course.jp)
        .join(Course, Course.id == Enrolment.course_id)
        .where(
            Enrolment.status == EnrolmentStatus.COMPLETED,
            Enrolment.completed_at >= datetime(year - 1, 12, 31, tzinfo=UTC),
            Enrolment.completed_at < datetime(year + 1, 1, 2, tzinfo=UTC),
        )
    ).all()
    months = Year(year, [Month(m) for m in range(1, 13)])
    for completed_at, cost, jp in rows:
        moment = completed_at if completed_at.tzinfo else completed_at.replace(tzinfo=UTC)
        day = local_date(moment)
        if day.year != year:
            continue
        month = months.items[day.month - 1]
        month.completions += 1
        month.jp += int(jp or 0)
        month.spent += int(cost or 0)
    return months

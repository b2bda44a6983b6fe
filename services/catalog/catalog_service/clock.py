"""Today's date where the city is: enrolment windows are calendar days in local time."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def today() -> date:
    """The local date (TIMEZONE); tests replace this function to move the clock."""
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()

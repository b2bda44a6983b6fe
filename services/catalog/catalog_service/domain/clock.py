"""Today's date where the city is: enrolment windows are calendar days in local time."""

from __future__ import annotations

from datetime import date

from cakap_shared.db import local_date, utcnow


def today() -> date:
    """The local date (TIMEZONE); tests replace this function to move the clock."""
    return local_date(utcnow())

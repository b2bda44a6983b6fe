"""The service's notion of now: one function tests patch instead of sleeping.

Call it as ``clock.now()`` / ``clock.today()`` (through the module) so that
``monkeypatch.setattr(clock, "now", ...)`` reaches every caller.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from cakap_shared.db import local_date, utcnow


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    return utcnow()


def today() -> date:
    """Today's local date (TIMEZONE, WIB by default), derived from now()."""
    return local_date(now())


def aware(moment: datetime | None) -> datetime | None:
    """Stored datetimes as aware UTC (SQLite gives them back naive)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)

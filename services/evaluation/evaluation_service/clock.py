"""The service's notion of now: one function tests patch instead of sleeping.

Call it as ``clock.now()`` / ``clock.today()`` (through the module) so that
``monkeypatch.setattr(clock, "now", ...)`` reaches every caller.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from cakap_shared.db import utcnow
from flask import current_app, has_app_context


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    return utcnow()


def today() -> date:
    """Today's local date (TIMEZONE, WIB by default), derived from now()."""
    zone = current_app.config["TIMEZONE"] if has_app_context() else "Asia/Jakarta"
    return now().astimezone(ZoneInfo(zone)).date()


def aware(moment: datetime | None) -> datetime | None:
    """Stored datetimes as aware UTC (SQLite gives them back naive)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)

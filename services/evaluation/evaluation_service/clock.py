"""The service's notion of now: one function tests patch instead of sleeping.

Call it as ``clock.now()`` / ``clock.today()`` (through the module) so that
``monkeypatch.setattr(clock, "now", ...)`` reaches every caller.
"""

from __future__ import annotations

from datetime import date, datetime

from cakap_shared.db import local_date, utcnow


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    return utcnow()


def today() -> date:
    """Today's local date (TIMEZONE, WIB by default), derived from now()."""
    return local_date(now())

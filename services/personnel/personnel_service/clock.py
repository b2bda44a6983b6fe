"""Today's date in one place, so tests can move the calendar without sleeping."""

from __future__ import annotations

from datetime import date

from cakap_shared.db import utcnow


def today() -> date:
    """The current date (UTC); tests monkeypatch this function."""
    return utcnow().date()

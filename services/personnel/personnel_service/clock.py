"""Today's date in one place, so tests can move the calendar without sleeping."""

from __future__ import annotations

from datetime import date

from cakap_shared.db import local_date, utcnow


def today() -> date:
    """The local date (TIMEZONE, as everywhere in Cakap); tests monkeypatch this function."""
    return local_date(utcnow())

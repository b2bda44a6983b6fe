"""Per-person choices: e-mail mode per kind (the inbox is always on) and quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cakap_shared.db import utcnow

from ..extensions import db
from ..models import Preference
from .templates import KINDS


def of(person_id: str) -> Preference | None:
    """The stored preferences, None while the person kept the defaults."""
    return db.session.get(Preference, person_id)


def as_dict(person_id: str) -> dict[str, Any]:
    """Every kind with its effective e-mail mode, and the quiet hours."""
    stored = of(person_id)
    chosen = stored.email if stored else {}
    quiet = None
    if stored is not None and stored.quiet_start is not None and stored.quiet_end is not None:
        quiet = {"start": stored.quiet_start, "end": stored.quiet_end}
    return {
        "email": {name: chosen.get(name, kind.default_email) for name, kind in KINDS.items()},
        "quiet_hours": quiet,
    }


def update(person_id: str, email: dict[str, str] | None, quiet: Any) -> dict[str, Any]:
    """Store the given choices (kinds not named keep theirs); `quiet` None clears them."""
    stored = of(person_id)
    if stored is None:
        stored = Preference(person_id=person_id, email={})
        db.session.add(stored)
    if email is not None:
        stored.email = {**(stored.email or {}), **email}
    if quiet is not ...:
        stored.quiet_start = quiet["start"] if quiet else None
        stored.quiet_end = quiet["end"] if quiet else None
    stored.updated_at = utcnow()
    db.session.commit()
    return as_dict(person_id)


def email_mode(person_id: str, kind: str) -> str:
    """instant, digest or off for this person and kind."""
    stored = of(person_id)
    chosen = (stored.email or {}).get(kind) if stored else None
    return chosen or KINDS[kind].default_email


def quiet_until(person_id: str, now: datetime, zone: str) -> datetime | None:
    """When the person's quiet hours end, if `now` is inside them; else None."""
    stored = of(person_id)
    if stored is None or stored.quiet_start is None or stored.quiet_end is None:
        return None
    return quiet_end(now, stored.quiet_start, stored.quiet_end, zone)


def quiet_end(now: datetime, start: int, end: int, zone: str) -> datetime | None:
    """The end of the quiet window [start, end) (local hours, may wrap midnight) around now."""
    local = now.astimezone(ZoneInfo(zone))
    hour = local.hour
    inside = (start <= hour < end) if start < end else (hour >= start or hour < end)
    if start == end or not inside:
        return None
    ends = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if ends <= local:
        ends += timedelta(days=1)
    return ends.astimezone(UTC)

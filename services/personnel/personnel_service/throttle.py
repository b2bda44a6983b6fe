"""Sign-in throttling: failed attempts per user name and per client address, in the DB.

The counts live in the database so that every worker and replica sees them.
Successful sign-ins are not counted: an office behind one NAT address may sign in
together without being throttled.
"""

from __future__ import annotations

from datetime import timedelta

from cakap_shared.db import utcnow
from flask import current_app
from sqlalchemy import delete, func, select

from .extensions import db
from .models import LoginFailure


def _scopes(username: str, address: str) -> list[tuple[str, int]]:
    cfg = current_app.config
    return [
        (f"user:{username.strip().lower()}", cfg["LOGIN_MAX_FAILURES_PER_USER"]),
        (f"addr:{address}", cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"]),
    ]


def retry_after(username: str, address: str) -> int | None:
    """Seconds to wait when either scope has too many recent failures, else None."""
    window = timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    since = utcnow() - window
    for scope, limit in _scopes(username, address):
        count, oldest = db.session.execute(
            select(func.count(), func.min(LoginFailure.failed_at)).where(
                LoginFailure.scope == scope, LoginFailure.failed_at >= since
            )
        ).one()
        if count >= limit:
            if oldest.tzinfo is None:
                oldest = oldest.replace(tzinfo=since.tzinfo)
            return max(1, int((oldest + window - utcnow()).total_seconds()) + 1)
    return None


def record_failure(username: str, address: str) -> None:
    """Count one failed sign-in against both scopes (committed by the caller)."""
    for scope, _limit in _scopes(username, address):
        db.session.add(LoginFailure(scope=scope))


def forget_old_failures() -> None:
    """Drop failures older than the window (keeps the table small)."""
    since = utcnow() - timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    db.session.execute(delete(LoginFailure).where(LoginFailure.failed_at < since))

"""Sign-in throttling: failed attempts per typed user name, per account and per address.

The counts live in the database so that every worker and replica sees them. A name that
resolves to an account is also counted per account, so a login name and a NIP of the same
person share one budget.

Every attempt is recorded BEFORE its password is checked (reserve), committed, and only then
counted: of any burst of parallel attempts, the one committing last sees all the others, so
no more than the budget ever reach the password check. A throttled attempt withdraws its
reservation (it is refused, not counted), and so does a successful one: successful sign-ins
are never counted, so an office behind one NAT address may sign in together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from cakap_shared.db import utcnow
from flask import current_app
from sqlalchemy import delete, func, select

from ..extensions import db
from ..models import LoginFailure
from .login_names import name_tag


@dataclass
class Attempt:
    """A sign-in attempt reserved in every scope; wait is set when it must be refused."""

    ids: list[int] = field(default_factory=list)
    wait: int | None = None


def _scopes(username: str, address: str, account_id: str | None) -> list[tuple[str, int]]:
    cfg = current_app.config
    per_user = cfg["LOGIN_MAX_FAILURES_PER_USER"]
    scopes = [
        # The typed name only as a keyed hash: it may be a password typed in the wrong field.
        (f"user:{name_tag(username)}", per_user),
        (f"addr:{address}", cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"]),
    ]
    if account_id:
        scopes.append((f"account:{account_id}", per_user))
    return scopes


def begin(username: str, address: str, account_id: str | None = None) -> Attempt:
    """Reserve one attempt in every scope (committed), then count; wait set when over budget."""
    rows = [LoginFailure(scope=scope) for scope, _ in _scopes(username, address, account_id)]
    db.session.add_all(rows)
    # Commit before counting: counting inside the inserting transaction would not see a
    # parallel attempt's uncommitted row, and both could slip through.
    db.session.commit()
    attempt = Attempt(ids=[row.id for row in rows])
    window = timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    since = utcnow() - window
    for scope, limit in _scopes(username, address, account_id):
        count, oldest = db.session.execute(
            select(func.count(), func.min(LoginFailure.failed_at)).where(
                LoginFailure.scope == scope, LoginFailure.failed_at >= since
            )
        ).one()
        if count > limit:  # our own reservation is one of them
            if oldest.tzinfo is None:
                oldest = oldest.replace(tzinfo=since.tzinfo)
            wait = max(1, int((oldest + window - utcnow()).total_seconds()) + 1)
            attempt.wait = max(wait, attempt.wait or 0)
    return attempt


def withdraw(attempt: Attempt) -> None:
    """Un-count a reserved attempt (refused or successful); committed by the caller."""
    if attempt.ids:
        db.session.execute(delete(LoginFailure).where(LoginFailure.id.in_(attempt.ids)))


def forget_old_failures() -> None:
    """Drop failures older than the window (keeps the table small)."""
    since = utcnow() - timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    db.session.execute(delete(LoginFailure).where(LoginFailure.failed_at < since))


def allow_request(scope: str, limit: int) -> bool:
    """Record one request in `scope` (committed) and say whether it is within `limit`."""
    db.session.add(LoginFailure(scope=scope))
    db.session.commit()
    since = utcnow() - timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    count = db.session.scalar(
        select(func.count()).where(LoginFailure.scope == scope, LoginFailure.failed_at >= since)
    )
    return count <= limit

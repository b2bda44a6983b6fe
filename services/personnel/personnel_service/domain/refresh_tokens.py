"""Refresh tokens: opaque, stored hashed, rotated on every use, reuse revokes the family.

A family starts at sign-in and ends at logout, at the absolute limit (REFRESH_TOKEN_TTL), or
when a token of it is presented a second time: the second presenter may be a thief who copied
it (or the owner after the thief used it), and neither can be told apart, so both lose it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cakap_shared.db import aware, new_id, utcnow
from cakap_shared.logs import audit
from flask import current_app
from sqlalchemy import select, update

from ..extensions import db
from ..models import Account, RefreshToken
from .secrets import digest, new_refresh_token


class RefreshRefused(Exception):
    """The token is unknown, used, revoked, expired, or its account cannot sign in."""


@dataclass(frozen=True)
class Issued:
    """A new refresh token (shown once) and when its family ends."""

    token: str
    expires_at: datetime

    @property
    def expires_in(self) -> int:
        """Seconds until the family ends."""
        return max(0, int((self.expires_at - utcnow()).total_seconds()))


def start_family(account: Account) -> Issued:
    """The first token of a new family (at sign-in)."""
    ttl = timedelta(seconds=current_app.config["REFRESH_TOKEN_TTL"])
    return _add(account.id, new_id(), utcnow() + ttl)


def _add(account_id: str, family_id: str, expires_at: datetime) -> Issued:
    token = new_refresh_token()
    db.session.add(
        RefreshToken(
            family_id=family_id,
            account_id=account_id,
            token_hash=digest(token),
            expires_at=expires_at,
        )
    )
    return Issued(token, expires_at)


def rotate(token: str) -> tuple[Account, Issued]:
    """Spend `token` and return its account with the family's next token; commits."""
    row = db.session.scalar(select(RefreshToken).where(RefreshToken.token_hash == digest(token)))
    if row is None:
        raise RefreshRefused("unknown refresh token")
    now = utcnow()
    if row.revoked_at is not None:
        raise RefreshRefused("refresh token revoked")
    if row.used_at is not None:
        _reused(row)
    if aware(row.expires_at) <= now:
        raise RefreshRefused("refresh token expired")
    # Conditional: of two requests presenting the same token at once, only one spends it.
    spent = db.session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.id == row.id,
            RefreshToken.used_at.is_(None),
            RefreshToken.revoked_at.is_(None),
        )
        .values(used_at=now),
        execution_options={"synchronize_session": False},
    ).rowcount
    if spent != 1:
        db.session.rollback()
        _reused(row)
    account = db.session.get(Account, row.account_id)
    if account is None or not account.is_active:
        revoke_family(row.family_id)
        db.session.commit()
        raise RefreshRefused("account cannot sign in")
    issued = _add(row.account_id, row.family_id, aware(row.expires_at))
    db.session.commit()
    return account, issued


def _reused(row: RefreshToken) -> None:
    revoke_family(row.family_id)
    db.session.commit()
    audit("auth.refresh_reused", account_id=row.account_id, family_id=row.family_id)
    raise RefreshRefused("refresh token reused; its family is revoked")


def revoke_family(family_id: str) -> None:
    """Every token of the family stops working (caller commits)."""
    db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow()),
        execution_options={"synchronize_session": False},
    )


def revoke_account(account_id: str) -> None:
    """Every refresh token of the account stops working (caller commits)."""
    db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.account_id == account_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow()),
        execution_options={"synchronize_session": False},
    )


def logout(token: str) -> None:
    """Revoke the family of `token` when it is one of ours (caller commits)."""
    row = db.session.scalar(select(RefreshToken).where(RefreshToken.token_hash == digest(token)))
    if row is not None:
        revoke_family(row.family_id)
        audit("auth.logout", account_id=row.account_id, family_id=row.family_id)

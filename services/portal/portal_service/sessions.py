"""Server-side session state in Redis: what makes a portal cookie worth anything.

The browser's cookie carries only a random session id (plus the CSRF token, flashes and
the resume marker, signed). The id's record in Redis holds the user, the encrypted access
and refresh tokens and the session's clock readings. Deleting the record ends the session on
every portal worker at once, so a copied cookie is worthless after logout
(docs/decisions/0006-portal-sessions-in-redis.md).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import redis
from flask import Flask, current_app


class SessionStore:
    """Session records and saved form posts under one key prefix."""

    def __init__(self, client: redis.Redis, prefix: str, idle_seconds: int) -> None:
        self.client = client
        self.prefix = prefix
        # Redis forgets a record a little after the idle limit (the limit itself is checked
        # against the portal's clock, so tests can move time).
        self.ttl = idle_seconds + 120

    def _key(self, sid: str) -> str:
        # Hashed: a dump of Redis does not hand out cookies.
        return f"{self.prefix}s:{hashlib.sha256(sid.encode()).hexdigest()}"

    def load(self, sid: str) -> dict[str, Any] | None:
        """The record of `sid`, or None when it ended or never was."""
        raw = self.client.get(self._key(sid))
        return json.loads(raw) if raw else None

    def save(self, sid: str, record: dict[str, Any]) -> None:
        """Write the record (and keep it alive for another idle period)."""
        self.client.set(self._key(sid), json.dumps(record), ex=self.ttl)

    def delete(self, sid: str) -> None:
        """End the session everywhere."""
        self.client.delete(self._key(sid))

    @contextmanager
    def refresh_lock(self, sid: str) -> Iterator[bool]:
        """One token refresh per session at a time; yields whether this request holds it."""
        lock = self.client.lock(self._key(sid) + ":lock", timeout=15, blocking_timeout=10)
        held = lock.acquire()
        try:
            yield held
        finally:
            if held:
                # Expired meanwhile: nothing left to release.
                with suppress(redis.exceptions.LockError):
                    lock.release()

    def stash_form(self, key: str, data: dict[str, Any], ttl: int) -> None:
        """Keep a form post that met an ended session, to send after sign-in."""
        self.client.set(f"{self.prefix}f:{key}", json.dumps(data), ex=ttl)

    def take_form(self, key: str) -> dict[str, Any] | None:
        """The saved form post (once)."""
        raw = self.client.getdel(f"{self.prefix}f:{key}")
        return json.loads(raw) if raw else None


def init_sessions(app: Flask) -> None:
    """Attach the store (connections are made lazily, on first use)."""
    client = redis.Redis.from_url(
        app.config["REDIS_URL"], socket_timeout=2, socket_connect_timeout=2
    )
    app.extensions["portal_sessions"] = SessionStore(
        client, app.config["PORTAL_SESSION_PREFIX"], app.config["PORTAL_SESSION_IDLE_SECONDS"]
    )


def store() -> SessionStore:
    """The app's session store."""
    return current_app.extensions["portal_sessions"]

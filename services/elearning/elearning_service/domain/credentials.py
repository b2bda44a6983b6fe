"""Launch credentials: short-lived HMAC tokens in player URLs, bound to attempt and learner.

A browser opens the player without an Authorization header, so the URL carries the proof.
Two purposes, signed with different salts so one cannot stand in for the other:
- "launch": the player page and its runtime commits (X-Launch-Token), per attempt;
- "content": the files of one SCO, in the content path the sandboxed frame loads.
Each new launch of an attempt rotates its nonce, which retires older URLs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cakap_shared.problems import CakapError
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from itsdangerous.timed import TimestampSigner
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Attempt

Clock = Callable[[], float]
# What every use of an attempt reads beside it (items, rollup, the answer): one query.
WITH_VERSION = (joinedload(Attempt.version),)


class LaunchRefused(Exception):
    """The credential is malformed, forged, expired or for another purpose."""


@dataclass(frozen=True)
class LaunchClaims:
    """What a valid credential says."""

    attempt_id: str
    learner_id: str
    nonce: str
    sco: int | None = None


class LaunchTokens:
    """Issue and check launch and content credentials."""

    def __init__(self, secret: str, ttl_seconds: int, clock: Clock = time.time) -> None:
        self.secret = secret
        self.ttl = ttl_seconds
        self.clock = clock
        # One serializer per purpose, built once: not a new class at every check.
        self._serializers: dict[str, URLSafeTimedSerializer] = {}

    def _serializer(self, purpose: str) -> URLSafeTimedSerializer:
        serializer = self._serializers.get(purpose)
        if serializer is None:
            owner = self

            class Signer(TimestampSigner):
                """A TimestampSigner whose now is the owner's clock, read at each use
                (tests replace the clock after the app started)."""

                def get_timestamp(self) -> int:
                    return int(owner.clock())

            serializer = URLSafeTimedSerializer(
                self.secret, salt=f"cakap-elearning-{purpose}", signer=Signer
            )
            self._serializers[purpose] = serializer
        return serializer

    def issue(
        self, purpose: str, attempt_id: str, learner_id: str, nonce: str, **extra: Any
    ) -> str:
        """A signed credential for `purpose` ("launch" or "content")."""
        payload = {"a": attempt_id, "u": learner_id, "n": nonce, **extra}
        return str(self._serializer(purpose).dumps(payload))

    def check(self, purpose: str, token: str | None) -> LaunchClaims:
        """The claims of a valid, unexpired credential of this purpose; else LaunchRefused."""
        if not token or len(token) > 1000:
            raise LaunchRefused("missing launch credential")
        try:
            data = self._serializer(purpose).loads(token, max_age=self.ttl)
        except BadSignature as exc:  # SignatureExpired is a BadSignature too
            raise LaunchRefused(type(exc).__name__) from exc
        if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in "aun"):
            raise LaunchRefused("malformed launch credential")
        sco = data.get("s")
        return LaunchClaims(data["a"], data["u"], data["n"], sco if isinstance(sco, int) else None)


def tokens() -> LaunchTokens:
    """The app's launch credential issuer."""
    return current_app.extensions["elearning_launch"]


def launch_url(attempt: Attempt) -> str:
    """The player URL of this launch (relative: the gateway's origin serves /play)."""
    token = tokens().issue("launch", attempt.id, attempt.learner_id, attempt.launch_nonce)
    return f"/play/{attempt.id}?launch={token}"


def credential_attempt(
    purpose: str, credential: str | None, attempt_id: str
) -> tuple[Attempt, LaunchClaims]:
    """The attempt a launch or content credential opens: valid, unexpired, current, this one."""
    try:
        claims = tokens().check(purpose, credential)
    except LaunchRefused as exc:
        raise CakapError(
            401,
            "The launch link is invalid or has expired; launch the module again.",
            code="launch-expired",
        ) from exc
    attempt = db.session.get(Attempt, attempt_id, options=WITH_VERSION)
    if (
        attempt is None
        or claims.attempt_id != attempt.id
        or claims.learner_id != attempt.learner_id
    ):
        raise CakapError(404, "No such attempt.")
    if claims.nonce != attempt.launch_nonce:
        raise CakapError(
            401,
            "This launch was replaced by a newer one; launch the module again.",
            code="launch-expired",
        )
    return attempt, claims

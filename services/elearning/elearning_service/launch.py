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

from itsdangerous import BadSignature, URLSafeTimedSerializer
from itsdangerous.timed import TimestampSigner

Clock = Callable[[], float]


class LaunchRefused(Exception):
    """The credential is malformed, forged, expired or for another purpose."""


@dataclass(frozen=True)
class LaunchClaims:
    """What a valid credential says."""

    attempt_id: str
    learner_id: str
    nonce: str
    sco: int | None = None


class _ClockSigner(TimestampSigner):
    """TimestampSigner whose idea of now comes from a replaceable clock (tests)."""

    clock: Clock = time.time

    def get_timestamp(self) -> int:
        return int(self.clock())


class LaunchTokens:
    """Issue and check launch and content credentials."""

    def __init__(self, secret: str, ttl_seconds: int, clock: Clock = time.time) -> None:
        self.secret = secret
        self.ttl = ttl_seconds
        self.clock = clock

    def _serializer(self, purpose: str) -> URLSafeTimedSerializer:
        clock = self.clock

        class Signer(_ClockSigner):
            pass

        Signer.clock = staticmethod(clock)  # type: ignore[assignment]
        return URLSafeTimedSerializer(self.secret, salt=f"cakap-elearning-{purpose}", signer=Signer)

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

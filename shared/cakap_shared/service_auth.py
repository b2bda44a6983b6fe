"""Tokens a service uses to call another service (role `service`, audience the callee)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import requests

TokenSource = Callable[[str], str]


class ServiceTokens:
    """Gets and caches client-credential tokens from personnel, one per audience."""

    def __init__(self, token_url: str, client_id: str, client_secret: str) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self.client_secret = client_secret
        self._cache: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._http = requests.Session()

    def __call__(self, audience: str) -> str:
        """A valid token for calling `audience`, fetched when the cached one nears expiry."""
        with self._lock:
            cached = self._cache.get(audience)
            if cached and cached[1] - 30 > time.time():
                return cached[0]
            response = self._http.post(
                self.token_url,
                json={
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                    "audience": audience,
                },
                timeout=(2, 5),
            )
            response.raise_for_status()
            body = response.json()
            token = str(body["access_token"])
            self._cache[audience] = (token, time.time() + int(body.get("expires_in", 300)))
            return token

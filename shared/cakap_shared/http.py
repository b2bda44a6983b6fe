"""Calling another service: pooled connections, timeouts, request id and service token."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests
from flask import g, has_request_context
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .logs import REQUEST_ID_HEADER
from .service_auth import TokenSource

CONNECT_TIMEOUT = 2.0
READ_TIMEOUT = 10.0


def path_segment(value: object) -> str:
    """One URL path segment from a value, so an id can never change which route is called.

    Everything outside the unreserved characters is percent-encoded ("/", "?", "#", "%",
    "\\", spaces). A segment of only dots is encoded too: urllib3 removes "." and ".."
    segments while preparing a URL, which would climb to another route. (It decodes
    "%2E" back afterwards, so the peer receives ".." as the id: Werkzeug routes it as
    a plain value, and the gateway refuses dot segments outright.)
    """
    text = quote(str(value), safe="")
    if not text:
        raise ValueError("an empty path segment would change the route")
    if text.strip(".") == "":
        return text.replace(".", "%2E")
    return text


def quoted_path(template: str, *segments: object) -> str:
    """Fill the `{}` of a path template, each with one quoted segment.

    `quoted_path("/api/v1/people/{}/supervisors", person_id)`: the one way every peer
    client builds a URL from an id it was given.
    """
    return template.format(*(path_segment(s) for s in segments))


class ServiceUnavailable(Exception):
    """The other service did not answer usefully in time."""


class ServiceClient:
    """A small JSON client for one peer service."""

    def __init__(self, base_url: str, audience: str, tokens: TokenSource | None) -> None:
        self.base_url = base_url.rstrip("/")
        self.audience = audience
        self.tokens = tokens
        self.session = requests.Session()
        # Only idempotent methods are retried, and only on connection failures.
        retry = Retry(
            total=2, connect=2, read=0, status=0, allowed_methods={"GET"}, backoff_factor=0.2
        )
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=16, max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def headers(self) -> dict[str, str]:
        """Authorization and the current request id."""
        headers: dict[str, str] = {}
        if self.tokens is not None:
            headers["Authorization"] = f"Bearer {self.tokens(self.audience)}"
        if has_request_context() and getattr(g, "request_id", None):
            headers[REQUEST_ID_HEADER] = g.request_id
        return headers

    def get_json(self, path: str, **params: Any) -> Any:
        """GET a JSON document; None on 404; ServiceUnavailable on anything unusable."""
        try:
            response = self.session.get(
                f"{self.base_url}{path}",
                params=params or None,
                headers=self.headers(),
                timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
            )
        except requests.RequestException as exc:
            raise ServiceUnavailable(f"{self.audience}: {exc.__class__.__name__}") from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ServiceUnavailable(f"{self.audience} answered {response.status_code}")
        return response.json()

    def post_json(self, path: str, body: Any) -> requests.Response:
        """POST a JSON body once (never retried); the caller reads the answer."""
        try:
            return self.session.post(
                f"{self.base_url}{path}",
                json=body,
                headers=self.headers(),
                timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
            )
        except requests.RequestException as exc:
            raise ServiceUnavailable(f"{self.audience}: {exc.__class__.__name__}") from exc

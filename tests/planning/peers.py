"""Peer services as real Flask apps behind requests: a transport adapter for ServiceClient.

Planning's calls go through its real HTTP client, headers, token and JSON, into the peer's
real app (its routes, schemas and rights), so a payload mismatch fails the test.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from flask import Flask
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict


class FlaskAdapter(BaseAdapter):
    """Sends a prepared request to a Flask app's test client and answers as requests would."""

    def __init__(self, app: Flask) -> None:
        super().__init__()
        self.app = app
        self.calls: list[tuple[str, str]] = []

    def send(self, request: requests.PreparedRequest, **_kwargs: Any) -> requests.Response:
        """One round trip through the peer app."""
        url = urlsplit(request.url or "")
        self.calls.append((request.method or "GET", url.path))
        answer = self.app.test_client().open(
            url.path,
            query_string=url.query,
            method=request.method,
            headers=dict(request.headers),
            data=request.body,
        )
        response = requests.Response()
        response.status_code = answer.status_code
        response._content = answer.get_data()
        response.headers = CaseInsensitiveDict(answer.headers)
        response.url = request.url or ""
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        """Nothing to release."""

"""The portal's one way to the API: HTTP calls to the gateway with the user's token."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from http.cookiejar import DefaultCookiePolicy
from typing import Any, BinaryIO

import requests
from cakap_shared.forwarding import FORWARDER_HEADER
from cakap_shared.http import quoted_path
from cakap_shared.logs import REQUEST_ID_HEADER
from flask import Flask, current_app, g, has_request_context, request
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

log = logging.getLogger("portal.gateway")


class SessionEnded(Exception):
    """The API refused the user's token: the session is over, whatever the page was doing.

    Not an ApiError, so no view that handles a refusal catches it by mistake: the app's
    error handler signs the user out and asks them to sign in again (errors.py).
    """


class ApiError(Exception):
    """The API answered with an error (4xx/5xx) or could not be reached."""

    def __init__(
        self, status: int, detail: str | None = None, body: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail
        self.body = body or {}
        self.retry_after: str | None = None

    @property
    def unavailable(self) -> bool:
        """The gateway or a service behind it failed, not the user's request."""
        return self.status >= 500

    @property
    def field_errors(self) -> dict[str, list[str]]:
        """The problem document's `errors`, by field."""
        errors = self.body.get("errors")
        return errors if isinstance(errors, dict) else {}


@dataclass
class ApiResponse:
    """A successful answer: status, parsed JSON (or None) and the raw response."""

    status: int
    data: Any
    raw: requests.Response


def path(template: str, *parts: object) -> str:
    """Fill an API path, quoting each part so an id can never add path segments."""
    return quoted_path(template, *parts)


class GatewayClient:
    """Kept-alive connections to the gateway with connect and read timeouts."""

    def __init__(self, base_url: str, connect_timeout: float, read_timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self._local = threading.local()

    @property
    def session(self) -> requests.Session:
        """This thread's session: its own kept-alive connections, nothing shared to lock."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = _new_session()
        return session

    def _headers(self, token: str | None, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if has_request_context():
            if getattr(g, "request_id", None):
                headers[REQUEST_ID_HEADER] = g.request_id
            secret = current_app.config.get("FORWARDER_SECRET")
            if secret and request.remote_addr:
                # The browser's address, so the API's per-address rules see the person, not
                # the portal; the gateway believes it only with the shared secret.
                headers["X-Forwarded-For"] = request.remote_addr
                headers[FORWARDER_HEADER] = secret
        headers.update(extra or {})
        return headers

    def request(
        self,
        method: str,
        api_path: str,
        *,
        token: str | None = None,
        params: dict[str, Any] | None = None,
        json: Any = None,
        data: dict[str, Any] | None = None,
        files: dict[str, tuple[str, BinaryIO, str]] | None = None,
        headers: dict[str, str] | None = None,
        stream: bool = False,
    ) -> ApiResponse:
        """Call the API; 2xx gives an ApiResponse, anything else raises ApiError."""
        url = f"{self.base_url}{api_path}"
        clean_params = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        try:
            response = self.session.request(
                method,
                url,
                params=clean_params or None,
                json=json,
                data=data,
                files=files,
                headers=self._headers(token, headers),
                timeout=self.timeout,
                stream=stream,
            )
        except requests.RequestException as exc:
            log.warning("gateway unreachable: %s %s: %s", method, api_path, exc.__class__.__name__)
            raise ApiError(503, None) from exc
        if response.status_code == 401 and token:
            raise SessionEnded()
        if response.status_code >= 400:
            raise _error_from(response, method, api_path)
        if stream:
            return ApiResponse(response.status_code, None, response)
        return ApiResponse(response.status_code, _json_or_none(response), response)

    def get(self, api_path: str, **kwargs: Any) -> Any:
        """GET and return the JSON body."""
        return self.request("GET", api_path, **kwargs).data

    def post(self, api_path: str, **kwargs: Any) -> Any:
        """POST and return the JSON body."""
        return self.request("POST", api_path, **kwargs).data

    def put(self, api_path: str, **kwargs: Any) -> Any:
        """PUT and return the JSON body."""
        return self.request("PUT", api_path, **kwargs).data


def _new_session() -> requests.Session:
    session = requests.Session()
    # The gateway's address is configured, never found: no proxy, netrc or CA bundle from the
    # environment (requests would read them all again for every call).
    session.trust_env = False
    # Calls carry the user's token, never cookies: a cookie an answer set must not ride along
    # on the next call of this thread, which may be another person's.
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    # Only GETs are retried, and only when the connection could not be made.
    retry = Retry(total=1, connect=1, read=0, status=0, allowed_methods={"GET"})
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=2, max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _error_from(response: requests.Response, method: str, api_path: str) -> ApiError:
    body = _json_or_none(response)
    body = body if isinstance(body, dict) else {}
    detail = body.get("detail") if isinstance(body.get("detail"), str) else None
    if response.status_code >= 500:
        log.warning("API error %s on %s %s", response.status_code, method, api_path)
    error = ApiError(response.status_code, detail, body)
    error.retry_after = response.headers.get("Retry-After")
    return error


def init_gateway(app: Flask) -> None:
    """Attach one GatewayClient to the app."""
    app.extensions["portal_gateway"] = GatewayClient(
        app.config["GATEWAY_URL"],
        app.config["GATEWAY_CONNECT_TIMEOUT"],
        app.config["GATEWAY_READ_TIMEOUT"],
    )


def gateway() -> GatewayClient:
    """The app's gateway client."""
    return current_app.extensions["portal_gateway"]

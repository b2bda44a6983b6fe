"""JSON log lines that carry the request id, and the request id itself."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import sys
import time
from datetime import UTC, datetime

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_ENVIRON_KEY = "HTTP_X_REQUEST_ID"
# A caller's id is echoed into logs and headers: keep it short and printable.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


# Player content URLs carry a launch credential in the path: never write it to a log.
_CREDENTIAL_IN_PATH = re.compile(r"^(/play/[^/]+/)[^/]+(/content/)")


def loggable_path(path: str) -> str:
    """The path as access logs may show it: credentials in the path are masked."""
    if not path.startswith("/play/"):
        return path
    return _CREDENTIAL_IN_PATH.sub(r"\1***\2", path)


def new_request_id() -> str:
    """A fresh request id: 32 random hex digits (a quarter of uuid4().hex's cost)."""
    return secrets.token_hex(16)


def accept_request_id(value: str | None) -> str:
    """The caller's request id when it is sane, else a new one."""
    if value and _VALID_REQUEST_ID.match(value):
        return value
    return new_request_id()


# One encoder for every line: json.dumps with options builds a new one per call.
_encode = json.JSONEncoder(default=str, ensure_ascii=False).encode


_last_second: list[tuple[int, str]] = [(-1, "")]


def timestamp(created: float) -> str:
    """`created` as ISO 8601 UTC with milliseconds (2026-11-30T09:00:00.123+00:00).

    The part up to the second is rendered once per second, not once per line.
    """
    second, millis = divmod(int(created * 1000), 1000)
    cached = _last_second[0]
    if cached[0] != second:
        cached = (second, datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S"))
        _last_second[0] = cached  # one tuple swapped whole: threads never see half of it
    return f"{cached[1]}.{millis:03d}+00:00"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, service, logger, message, request id, extras."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        """Render the record as a JSON line."""
        line = {
            "ts": timestamp(record.created),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id is None and has_request_context():
            request_id = getattr(g, "request_id", None)
        if request_id:
            line["request_id"] = request_id
        fields = getattr(record, "fields", None)
        if fields:
            line.update(fields)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return _encode(line)


def configure_logging(service: str, level: str = "INFO") -> None:
    """Send every logger's records to stderr as JSON lines (idempotent)."""
    # What no line shows is not gathered for every record (the logging HOWTO's
    # "Optimization"): thread names and the caller's file and line. The process id
    # stays: gunicorn's own lines show it.
    logging.logThreads = logging.logMultiprocessing = False
    logging._srcfile = None
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "_cakap", False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler._cakap = True  # type: ignore[attr-defined]
        root.handlers = [handler]
    handler.setFormatter(JsonFormatter(service))
    root.setLevel(level.upper())


def audit(event: str, **fields: object) -> None:
    """Log a security-relevant event (sign-in, refusal, upload, grade change) with its actor."""
    actor = getattr(g, "principal", None) if has_request_context() else None
    if actor is not None:
        fields.setdefault("actor", getattr(actor, "id", None))
    logging.getLogger("cakap.audit").info(event, extra={"fields": {"event": event, **fields}})


class AccessLog:
    """One JSON line per answered request, in the shape JsonFormatter gives every line.

    Written straight to stderr, not through `logging`: a record, its handler and the
    formatter cost about 40 µs a line, a fifth of a small request's time (issue 20). One
    `os.write` per line, atomic below PIPE_BUF, so threads and workers never interleave.
    LOG_LEVEL above INFO turns it off, as for any logger.
    """

    def __init__(self, service: str, fd: int = 2) -> None:
        self.service = _encode(service)
        self.fd = fd
        self.logger = logging.getLogger("cakap.access")

    @property
    def enabled(self) -> bool:
        """Whether LOG_LEVEL lets INFO lines through."""
        return self.logger.isEnabledFor(logging.INFO)

    def write(
        self,
        method: str,
        path: str,
        status: int,
        ms: float,
        request_id: str,
        upstream: str | None = None,
    ) -> None:
        """Log one answered request (the gateway names the service that answered)."""
        # Fixed fields are literal; what a client controls goes through the JSON encoder.
        # The request id was checked against a safe alphabet on arrival.
        line = (
            f'{{"ts": "{timestamp(time.time())}", "level": "info", "service": {self.service}, '
            f'"logger": "cakap.access", "message": {_encode(f"{method} {path} {status}")}, '
            f'"request_id": "{request_id}", "method": {_encode(method)}, '
            f'"path": {_encode(path)}, "status": {status}, '
            + (f'"upstream": {_encode(upstream)}, ' if upstream is not None else "")
            + f'"ms": {ms!r}}}\n'
        )
        with contextlib.suppress(OSError):  # a closed stderr must not fail requests
            os.write(self.fd, line.encode())


def init_request_logging(app: Flask) -> None:
    """Accept or create X-Request-ID, echo it, and log one access line per request."""
    access = AccessLog(app.config["SERVICE_NAME"])

    @app.before_request
    def _start() -> None:
        g.request_id = accept_request_id(request.environ.get(_REQUEST_ID_ENVIRON_KEY))
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        request_id = g.get("request_id") or new_request_id()
        response.headers[REQUEST_ID_HEADER] = request_id
        path = request.path
        if path.startswith("/health/") or not access.enabled:
            return response
        elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        access.write(
            request.method, loggable_path(path), response.status_code, round(elapsed, 2), request_id
        )
        return response

"""JSON log lines that carry the request id, and the request id itself."""

from __future__ import annotations

import json
import logging
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


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, service, logger, message, request id, extras."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service
        self._second: tuple[int, str] = (-1, "")

    def timestamp(self, created: float) -> str:
        """`created` as ISO 8601 UTC with milliseconds (2026-11-30T09:00:00.123+00:00).

        The part up to the second is rendered once per second, not once per line.
        """
        second, millis = divmod(int(created * 1000), 1000)
        cached = self._second
        if cached[0] != second:
            text = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
            cached = self._second = (second, text)
        return f"{cached[1]}.{millis:03d}+00:00"

    def format(self, record: logging.LogRecord) -> str:
        """Render the record as a JSON line."""
        line = {
            "ts": self.timestamp(record.created),
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


def init_request_logging(app: Flask) -> None:
    """Accept or create X-Request-ID, echo it, and log one access line per request."""
    access = logging.getLogger("cakap.access")

    @app.before_request
    def _start() -> None:
        g.request_id = accept_request_id(request.environ.get(_REQUEST_ID_ENVIRON_KEY))
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        request_id = g.get("request_id") or new_request_id()
        response.headers[REQUEST_ID_HEADER] = request_id
        path = request.path
        if path.startswith("/health/") or not access.isEnabledFor(logging.INFO):
            return response
        elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        method, status, path = request.method, response.status_code, loggable_path(path)
        fields = {"method": method, "path": path, "status": status, "ms": round(elapsed, 2)}
        # The id rides on the record, so the formatter does not look it up again.
        access.info(
            "%s %s %s", method, path, status, extra={"request_id": request_id, "fields": fields}
        )
        return response

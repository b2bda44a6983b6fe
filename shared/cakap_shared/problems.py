"""RFC 9457 problem+json answers for every error a service or the gateway gives."""

from __future__ import annotations

import json
import logging
from typing import Any

import marshmallow as ma
from flask import Flask, Response, g, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException, InternalServerError

from .http import ServiceUnavailable

PROBLEM_MIMETYPE = "application/problem+json"
log = logging.getLogger("cakap.errors")


class ProblemSchema(ma.Schema):
    """Documents the problem+json error body (RFC 9457), which may carry extension members."""

    class Meta:
        unknown = ma.INCLUDE

    type = ma.fields.String()
    title = ma.fields.String()
    status = ma.fields.Integer()
    detail = ma.fields.String()
    instance = ma.fields.String()
    request_id = ma.fields.String()
    code = ma.fields.String(
        metadata={
            "description": "A stable name of what went wrong (e.g. enrolment-exists); clients "
            "say it in their own words instead of showing `detail`"
        }
    )
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        metadata={"description": "Invalid fields, each with its messages"},
    )


def problem_body(
    status: int,
    title: str,
    detail: str | None = None,
    errors: dict[str, list[str]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Build a problem document; `type` stays about:blank, so `title` is the status phrase."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    request_id = getattr(g, "request_id", None) if _has_app_context() else None
    if request_id:
        body["request_id"] = request_id
    body.update(extra)
    return body


def problem_response(
    status: int,
    detail: str | None = None,
    *,
    title: str | None = None,
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """A ready Flask response carrying a problem document."""
    title = title or _status_phrase(status)
    body = problem_body(status, title, detail, errors, **extra)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_MIMETYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def flatten_errors(messages: Any, prefix: str = "", *, top: bool = True) -> dict[str, list[str]]:
    """Turn webargs/marshmallow nested messages into {"field.sub": [messages]}.

    The location level webargs adds at the top ("json", "query", "form", "files") is
    dropped: a client names fields, not locations. Deeper keys are field names, even
    when a field is called "form".
    """
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            key = str(key)
            if top and key in _LOCATIONS:
                nested = flatten_errors(value, prefix, top=False)
            else:
                nested = flatten_errors(value, f"{prefix}.{key}" if prefix else key, top=False)
            for field, msgs in nested.items():
                flat.setdefault(field, []).extend(msgs)
    elif isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            flat[prefix or "_body"] = list(messages)
        else:
            for item in messages:
                for field, msgs in flatten_errors(item, prefix, top=False).items():
                    flat.setdefault(field, []).extend(msgs)
    else:
        flat[prefix or "_body"] = [str(messages)]
    return flat


_LOCATIONS = frozenset({"json", "query", "form", "files", "headers", "view_args", "json_or_form"})


def _status_phrase(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _has_app_context() -> bool:
    from flask import has_app_context

    return has_app_context()


class ProblemApi(Api):  # type: ignore[misc]  # flask-smorest ships no types
    """flask-smorest Api whose errors are problem+json instead of its own shape."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        # Document the error responses with the content type they are sent with;
        # success answers stay application/json.
        self.DEFAULT_RESPONSE_CONTENT_TYPE = PROBLEM_MIMETYPE
        try:
            super()._register_responses()
        finally:
            del self.DEFAULT_RESPONSE_CONTENT_TYPE

    def handle_http_exception(self, error: HTTPException) -> Response:
        """Answer any HTTPException (abort, validation, 404, 405 ...) as problem+json."""
        return http_exception_to_problem(error)


def http_exception_to_problem(error: HTTPException) -> Response:
    """Convert an HTTPException, keeping its Allow/WWW-Authenticate/Retry-After headers."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = None
    detail = data.get("message") if isinstance(data, dict) else None
    if isinstance(data, dict):
        raw = data.get("errors") or data.get("messages")
        if raw:
            errors = flatten_errors(raw)
    if detail is None:
        # A validation abort from webargs carries only field messages: say which fields.
        detail = (
            "Some fields are invalid: " + ", ".join(sorted(errors))
            if status == 422 and errors
            else error.description
        )
    if status >= 500 and not isinstance(error, InternalServerError | CakapError):
        detail = None
    headers = {
        k: v for k, v in error.get_headers() if k.lower() not in {"content-type", "content-length"}
    }
    # webargs sets data["headers"] = None on validation aborts: guard it.
    extra_headers = data.get("headers") if isinstance(data, dict) else None
    headers.update(extra_headers or {})
    extra = data.get("extra") if isinstance(data, dict) else None
    if isinstance(data, dict) and data.get("messages") and not (extra or {}).get("code"):
        # A schema's refusal (webargs) has no code of its own: clients map this one.
        extra = {**(extra or {}), "code": "invalid-fields"}
    return problem_response(
        status, detail, title=error.name, errors=errors, headers=headers, **(extra or {})
    )


class CakapError(HTTPException):
    """An HTTP error raised by service code with a message for the client.

    `raise CakapError(409, "...", code="enrolment-exists")` is the one way service code
    stops a request with a problem answer; `invalid()` builds the common 422.
    """

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(description=detail)
        self.code = status
        self.data = {"message": detail, "errors": errors, "headers": headers, "extra": extra}

    @property
    def name(self) -> str:
        """The status phrase, used as the problem title."""
        return _status_phrase(self.code or 500)


def invalid(field: str, message: str, status: int = 422) -> CakapError:
    """A 422 naming one field: `raise invalid("nip", "NIP must be 18 digits")`."""
    return CakapError(status, f"{field}: {message}", errors={field: [message]})


def peer_unavailable(error: ServiceUnavailable) -> Response:
    """503 (code `unavailable`) for a peer service that did not answer usefully.

    The one mapping of ServiceUnavailable: service code lets it rise, and catches it only
    to say more (what could not be read) or to carry on without the peer. The peer's
    name and error go to the log, not to the client.
    """
    log.warning("peer service unavailable on %s %s: %s", request.method, request.path, error)
    return problem_response(
        503, "A service this request needs is unavailable. Try again.", code="unavailable"
    )


def register_problem_handlers(app: Flask) -> None:
    """Make every error, including unexpected exceptions, a problem+json answer."""
    app.register_error_handler(HTTPException, http_exception_to_problem)
    app.register_error_handler(ServiceUnavailable, peer_unavailable)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        if isinstance(error, HTTPException):
            return http_exception_to_problem(error)
        # The trace goes to the log only; the body says nothing of the internals.
        log.exception("unhandled exception on %s %s", request.method, request.path)
        return problem_response(
            500,
            "An unexpected error occurred. Quote the request id when reporting it.",
        )

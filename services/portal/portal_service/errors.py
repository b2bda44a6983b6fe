"""Error pages: HTML for browsers, problem+json for clients that ask for JSON; never a trace."""

from __future__ import annotations

import logging

from cakap_shared.problems import problem_response
from flask import Flask, Response, flash, g, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from redis.exceptions import RedisError
from werkzeug.exceptions import HTTPException

from .auth import ask_to_sign_in, sign_out
from .gateway import ApiError, SessionEnded
from .pages import coded_message

log = logging.getLogger("portal.errors")


def _wants_html() -> bool:
    best = request.accept_mimetypes.best_match(
        ["text/html", "application/json", "application/problem+json"]
    )
    return best in (None, "text/html")


def _default_message(status: int) -> str:
    messages = {
        400: _("Permintaan tidak dapat diproses."),
        403: _("Anda tidak berhak membuka halaman ini."),
        404: _("Halaman atau data yang Anda cari tidak ditemukan."),
        405: _("Cara membuka halaman ini tidak diizinkan."),
        409: _("Permintaan bertentangan dengan keadaan data saat ini."),
        413: _("Berkas terlalu besar."),
        422: _("Data yang dikirim tidak valid."),
        429: _("Terlalu banyak percobaan. Silakan tunggu sebentar lalu coba lagi."),
    }
    if status >= 500:
        return _(
            "Layanan sedang tidak dapat dihubungi. Silakan coba lagi beberapa saat lagi. "
            "Jika masalah berlanjut, sampaikan kode permintaan di bawah ini kepada admin."
        )
    return messages.get(status, _("Terjadi kesalahan."))


def error_page(status: int, detail: str | None = None) -> tuple[str, int] | Response:
    """Render the error page (or problem+json) for `status`."""
    message = _default_message(status)
    if not _wants_html():
        return problem_response(status, detail or message)
    request_id = getattr(g, "request_id", None)
    try:
        page = render_template(
            "error.html", status=status, message=message, detail=detail, request_id=request_id
        )
    except Exception:
        # The error page itself failed (a broken session, a template bug): plain text will do.
        log.exception("error page failed to render")
        page = f"<!doctype html><title>{status}</title><p>{escape(message)}</p>"
        page += f"<p>Request id: <code>{escape(request_id or '')}</code></p>"
    return page, status


def handle_session_ended(_error: SessionEnded) -> Response:
    """The API refused the session's token: sign out and ask to sign in again."""
    sign_out()
    flash(_("Sesi Anda telah berakhir. Silakan masuk kembali."), "warning")
    return ask_to_sign_in()


def handle_api_error(error: ApiError) -> tuple[str, int] | Response:
    """An API error nobody handled closer: an explanatory page."""
    if error.status == 401:
        return handle_session_ended(SessionEnded())
    if error.unavailable:
        status = error.status if error.status in (502, 503, 504) else 502
        # The API's detail of a server failure is not for the user: the request id is.
        return error_page(status)
    return error_page(error.status, coded_message(error))


def handle_http_error(error: HTTPException) -> tuple[str, int] | Response:
    """404, 405, 413, a refused CSRF token ..."""
    status = error.code or 500
    if isinstance(error, CSRFError):
        log.warning("CSRF refusal on %s %s: %s", request.method, request.path, error.description)
        return error_page(
            400, _("Formulir kedaluwarsa atau tidak sah. Muat ulang halaman lalu coba lagi.")
        )
    response = error_page(status)
    if status == 405 and isinstance(response, tuple):
        allowed = dict(error.get_headers()).get("Allow")
        return Response(response[0], status, headers={"Allow": allowed} if allowed else {})
    return response


def handle_unexpected(error: Exception) -> tuple[str, int] | Response:
    """A bug: the trace goes to the log, the page shows the request id."""
    if isinstance(error, HTTPException):
        return handle_http_error(error)
    log.exception("unhandled exception on %s %s", request.method, request.path)
    return error_page(500)


def handle_session_store_down(error: RedisError) -> tuple[str, int] | Response:
    """The session store is unreachable: nobody can be signed in, so say the service is down."""
    log.error("session store unreachable: %s", error.__class__.__name__)
    return error_page(503)


def register_error_pages(app: Flask) -> None:
    """Install the handlers."""
    app.register_error_handler(SessionEnded, handle_session_ended)
    app.register_error_handler(ApiError, handle_api_error)
    app.register_error_handler(RedisError, handle_session_store_down)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)

"""Portal: the server-rendered web UI; it calls the API only through the gateway."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import requests
from cakap_shared.app import CakapFlask
from cakap_shared.forwarding import TrustedForwarder
from cakap_shared.health import ServiceManifest, init_health
from cakap_shared.logs import configure_logging, init_request_logging
from flask import Flask, Response, current_app, request
from flask_babel import get_locale
from flask_wtf.csrf import CSRFProtect

from . import labels
from .auth import current_user
from .config import ensure_secret_key, load_config
from .errors import register_error_pages
from .gateway import init_gateway
from .i18n import init_i18n
from .sessions import init_sessions

ROUTES = ["/"]
csrf = CSRFProtect()


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the portal; `test_config` overrides the environment."""
    app = CakapFlask(__name__)
    config = load_config()
    config.update(test_config or {})
    ensure_secret_key(config)
    if config["SESSION_COOKIE_SECURE"] and not config["SESSION_COOKIE_NAME"].startswith("__Host-"):
        # Only over TLS, only for this host and path /: no subdomain can plant or read it.
        config["SESSION_COOKIE_NAME"] = "__Host-" + config["SESSION_COOKIE_NAME"]
    app.config.update(config)
    app.permanent_session_lifetime = timedelta(seconds=app.config["PERMANENT_SESSION_LIFETIME"])
    register_extensions(app)
    register_blueprints(app)
    register_error_pages(app)
    register_page_helpers(app)
    return app


def register_extensions(app: Flask) -> None:
    """Logs with request ids, proxy headers, CSRF, languages, the gateway client, health."""
    configure_logging(app.config["SERVICE_NAME"], app.config["LOG_LEVEL"])
    init_request_logging(app)
    # The browser's address and scheme, from the gateway only (it presents the secret).
    app.wsgi_app = TrustedForwarder(app.wsgi_app, app.config["FORWARDER_SECRET"])  # type: ignore[method-assign]
    csrf.init_app(app)
    init_i18n(app)
    init_gateway(app)
    init_sessions(app)
    manifest = ServiceManifest(
        name="portal",
        version=app.config["SERVICE_VERSION"],
        routes=ROUTES,
        # No API of its own, hence no OpenAPI document for the gateway to merge.
        openapi_path=None,  # type: ignore[arg-type]
    )
    init_health(
        app,
        manifest,
        db=None,
        extra_checks=[("gateway", _gateway_answers), ("sessions", _sessions_answer)],
    )


def _sessions_answer() -> None:
    """Ready only when the session store answers: without it nobody stays signed in."""
    current_app.extensions["portal_sessions"].client.ping()


def _gateway_answers() -> None:
    """Ready only when the gateway is alive (its liveness, not readiness: no cycle)."""
    response = requests.get(f"{current_app.config['GATEWAY_URL']}/health/live", timeout=(1.0, 2.0))
    response.raise_for_status()


def register_blueprints(app: Flask) -> None:
    """Mount the pages."""
    from . import (
        account_views,
        admin_views,
        auth_views,
        backoffice,
        broadcast_views,
        development_views,
        learner_views,
        notification_views,
        planning_views,
        public_views,
        supervisor_views,
        survey_views,
        trainer_views,
    )
    from .trainer import bp as trainer_workspace

    for module in (
        auth_views,
        account_views,
        learner_views,
        development_views,
        survey_views,
        supervisor_views,
        trainer_views,
        admin_views,
        notification_views,
        planning_views,
        backoffice,
        public_views,
        broadcast_views,
    ):
        app.register_blueprint(module.bp)
    app.register_blueprint(trainer_workspace)


def register_page_helpers(app: Flask) -> None:
    """What every template may use, and the headers every page carries."""
    app.jinja_env.globals.update(
        course_form_labels=labels.COURSE_FORMS, enrolment_status_labels=labels.ENROLMENT_STATUSES
    )

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {
            "current_user": current_user(),
            "languages": app.config["LANGUAGES"],
            "get_locale": get_locale,
        }

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
            "frame-ancestors 'none'",
        )
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        if request.path.startswith(("/health/", "/.well-known/", "/static/")):
            return response
        # Pages show personal data: never from a shared cache or the back button of the
        # next user of the same computer.
        headers["Cache-Control"] = "no-store"
        headers.add("Vary", "Cookie")
        return response

"""Personnel: people, units, accounts and tokens, competency profiles and the JP ledger."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cakap_shared.app import CakapFlask
from cakap_shared.auth import USER_AUDIENCE
from cakap_shared.forwarding import TrustedForwarder
from cakap_shared.platform import init_platform
from flask import Flask

from . import extensions
from .config import load_config
from .domain.tokens import issuer_from_config
from .extensions import db

ROUTES = [
    "/api/v1/auth",
    "/api/v1/me",
    "/api/v1/people",
    "/api/v1/units",
    "/api/v1/position-standards",
    "/api/v1/jp-targets",
    "/api/v1/development-needs",
    "/api/v1/jp-compliance",
    "/api/v1/unit-development",
]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the personnel app; `test_config` overrides the environment."""
    app = CakapFlask(__name__)
    app.config.update(load_config())
    if test_config:
        app.config.update(test_config)
    # The gateway names the client in X-Forwarded-For, proven by the forwarder secret; a
    # client calling this port directly is judged by its own address (sign-in throttling).
    app.wsgi_app = TrustedForwarder(app.wsgi_app, app.config["FORWARDER_SECRET"])  # type: ignore[method-assign]

    issuer = issuer_from_config(app)
    app.extensions["cakap_token_issuer"] = issuer
    from . import events as handlers  # noqa: F401  (subscriptions register before the manifest)
    from . import models

    init_platform(
        app,
        db=db,
        api=extensions.api,
        migrations_dir=Path(__file__).resolve().parent.parent / "migrations",
        routes=ROUTES,
        idempotency_model=models.IdempotencyRecord,
        events=extensions.events,
        event_models=(models.OutboxEvent, models.OutboxDelivery, models.InboxEvent),
        verifier=issuer.verifier([USER_AUDIENCE, "personnel"]),
    )
    # Personnel signs its own service tokens: no round trip to itself.
    app.extensions["cakap_service_tokens"] = lambda audience: issuer.service_token(
        "personnel", audience
    )
    register_blueprints(app)
    register_commands(app)
    return app


def register_blueprints(app: Flask) -> None:
    """Mount the API features (the `api` package shadows no extension: see extensions.api)."""
    from cakap_shared.auth import public

    from .api import accounts, appreciations, auth, development, people, unit_development, units

    for module in (auth, units, people, development, accounts, appreciations, unit_development):
        extensions.api.register_blueprint(module.blp)
    app.add_url_rule("/.well-known/jwks.json", "jwks", public(auth.jwks_view))


def register_commands(app: Flask) -> None:
    """CLI: `flask seed-demo`."""
    from .demo import seed_demo_command

    app.cli.add_command(seed_demo_command)

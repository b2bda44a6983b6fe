"""The steps every service's create_app() runs, in one place and in the right order."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import click
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from .auth import USER_AUDIENCE, TokenCache, TokenVerifier, init_auth
from .db import engine_options, protect_sqlite_file
from .events import Events
from .health import ReadyCheck, ServiceManifest, init_health
from .idempotency import IdempotencyRecordMixin, init_idempotency
from .json_guard import init_json_guard
from .logs import configure_logging, init_request_logging
from .problems import ProblemApi, register_problem_handlers
from .service_auth import ServiceTokens
from .text_guard import init_text_guard


def verifier_from_config(app: Flask) -> TokenVerifier:
    """Verify with pinned keys when JWT_PUBLIC_KEY is set, else with personnel's JWKS."""
    keys = [app.config["JWT_PUBLIC_KEY"]] if app.config.get("JWT_PUBLIC_KEY") else []
    return TokenVerifier(
        issuer=app.config["JWT_ISSUER"],
        audiences=[USER_AUDIENCE, app.config["SERVICE_NAME"]],
        public_keys=keys,
        jwks_url=None if keys else app.config["JWKS_URL"],
    )


def init_migrations(app: Flask) -> None:
    """The `flask db` commands' Alembic setup, for the CLI and the tests.

    Alembic with Flask-Migrate is about 11 MB a process: gunicorn's workers, which never
    migrate, are created without it (init_platform calls this only under the flask CLI,
    where Migrate adds the `db` commands).
    """
    from flask_migrate import Migrate

    if "migrate" not in app.extensions:
        db = app.extensions["sqlalchemy"]
        Migrate(app, db, directory=app.config["MIGRATIONS_DIR"], render_as_batch=True)


def init_platform(
    app: Flask,
    *,
    db: SQLAlchemy,
    api: ProblemApi,
    migrations_dir: Path,
    routes: list[str],
    idempotency_model: type[IdempotencyRecordMixin],
    events: Events | None = None,
    event_models: tuple[type, type, type] | None = None,
    verifier: TokenVerifier | None = None,
    ready_checks: Iterable[tuple[str, ReadyCheck]] = (),
) -> None:
    """Logging, request ids, DB, migrations, API, errors, auth, body guards, idempotency,
    events, health."""
    name = app.config["SERVICE_NAME"]
    configure_logging(name, app.config.get("LOG_LEVEL", "INFO"))
    init_request_logging(app)
    protect_sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config.get("SQLALCHEMY_ENGINE_OPTIONS")
    )
    db.init_app(app)
    app.config["MIGRATIONS_DIR"] = str(migrations_dir)
    if click.get_current_context(silent=True) is not None:
        init_migrations(app)  # the `flask db` commands come with it; a web worker never migrates
    api.init_app(app)
    register_problem_handlers(app)
    init_auth(app, TokenCache(verifier or verifier_from_config(app)))
    init_json_guard(app)
    init_text_guard(app)
    init_idempotency(app, db, idempotency_model)
    if app.config.get("SERVICE_SECRET"):
        app.extensions["cakap_service_tokens"] = ServiceTokens(
            app.config["TOKEN_URL"], name, app.config["SERVICE_SECRET"]
        )
    if events is not None:
        assert event_models is not None, "events need their outbox, delivery and inbox models"
        events.init_app(app, db, *event_models)
    manifest = ServiceManifest(
        name=name,
        version=app.config["SERVICE_VERSION"],
        # A producer's outbox is also readable by admins through the gateway (events.py).
        routes=[*routes, f"/api/v1/outbox/{events.producer}"] if events else routes,
        publishes=events.publishes if events else [],
        subscribes=events.subscribes if events else [],
    )
    init_health(app, manifest, db, ready_checks)

"""Evaluation: question banks, assessments, surveys, impact evaluations and certificates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cakap_shared.app import CakapFlask
from cakap_shared.platform import init_platform
from flask import Flask

from . import extensions
from .config import load_config

ROUTES = [
    "/api/v1/question-banks",
    "/api/v1/questions",
    "/api/v1/assessments",
    "/api/v1/assessment-attempts",
    "/api/v1/surveys",
    "/api/v1/impact-evaluations",
    "/api/v1/certificates",
    "/api/v1/reports",
]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the evaluation app; `test_config` overrides the environment."""
    app = CakapFlask(__name__)
    app.config.update(load_config())
    if test_config:
        app.config.update(test_config)
    from . import events as handlers  # noqa: F401  (handlers register before the manifest)
    from . import models

    init_platform(
        app,
        db=extensions.db,
        api=extensions.api,
        migrations_dir=Path(__file__).resolve().parent.parent / "migrations",
        routes=ROUTES,
        idempotency_model=models.IdempotencyRecord,
        events=extensions.events,
        event_models=(models.OutboxEvent, models.OutboxDelivery, models.InboxEvent),
    )
    register_blueprints(app)
    register_commands(app)
    return app


def register_blueprints(app: Flask) -> None:
    """Mount the API features and the outbound clients they use (the `api` package
    shadows no extension: see extensions.api)."""
    from .api import assessments, banks, certificates, impact, reports, surveys
    from .clients import init_clients

    init_clients(app)
    for module in (banks, assessments, certificates, surveys, impact, reports):
        extensions.api.register_blueprint(module.blp)


def register_commands(app: Flask) -> None:
    """CLI commands of this service."""
    from .commands import close_overdue_attempts_command, remind_impact_evaluations_command
    from .demo import seed_demo_command

    app.cli.add_command(seed_demo_command)
    app.cli.add_command(close_overdue_attempts_command)
    app.cli.add_command(remind_impact_evaluations_command)

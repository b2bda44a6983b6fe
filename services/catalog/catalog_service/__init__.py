"""Catalog: competency dictionary, providers, courses, classes, enrolments and budgets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cakap_shared.app import CakapFlask
from cakap_shared.platform import init_platform
from flask import Flask

# `api` and `events` are also this package's modules (catalog_service.api, .events): the
# smorest Api and the event bus are reached as extensions.* so importing those cannot
# shadow them.
from . import extensions
from .config import load_config

ROUTES = [
    "/api/v1/competencies",
    "/api/v1/providers",
    "/api/v1/courses",
    "/api/v1/classes",
    "/api/v1/enrolments",
    "/api/v1/budgets",
    "/api/v1/recommendations",
    "/api/v1/learning-access",
    "/api/v1/development-plans",
]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the catalog app; `test_config` overrides the environment."""
    app = CakapFlask(__name__)
    app.config.update(load_config())
    if test_config:
        app.config.update(test_config)
    from . import events as handlers  # noqa: F401  (subscriptions register before the manifest)
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
    """Mount the feature blueprints (the OpenAPI tags keep this order)."""
    from .api import (
        access,
        attendance,
        budgets,
        classes,
        competencies,
        courses,
        development_plans,
        enrolments,
        providers,
    )

    for module in (
        competencies,
        providers,
        courses,
        classes,
        attendance,
        enrolments,
        budgets,
        access,
        development_plans,
    ):
        extensions.api.register_blueprint(module.blp)


def register_commands(app: Flask) -> None:
    """CLI commands of this service."""
    from .demo import seed_demo_command

    app.cli.add_command(seed_demo_command)

    @app.cli.command("rebuild-search-index")
    def rebuild_search_index() -> None:
        """Rebuild the course full-text index (after a SQLite VACUUM, for instance)."""
        from sqlalchemy import text

        from .domain.search import REBUILD

        engine = extensions.db.engine
        with engine.begin() as conn:
            conn.execute(text(REBUILD[engine.dialect.name]))

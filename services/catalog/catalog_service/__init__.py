"""Catalog: competency dictionary, providers, courses, classes, enrolments and budgets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cakap_shared.platform import init_platform
from flask import Flask

# `api` is also the package of feature blueprints (catalog_service.api): the smorest Api
# is reached as extensions.api so importing that package cannot shadow it.
from . import extensions
from .config import load_config
from .extensions import db, events

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
    app = Flask(__name__)
    app.config.update(load_config())
    if test_config:
        app.config.update(test_config)
    # Handlers register before init_platform: the manifest lists what we subscribe to.
    from . import completion, models

    del completion
    init_platform(
        app,
        db=db,
        api=extensions.api,
        migrations_dir=Path(__file__).resolve().parent.parent / "migrations",
        routes=ROUTES,
        idempotency_model=models.IdempotencyRecord,
        events=events,
        event_models=(models.OutboxEvent, models.OutboxDelivery, models.InboxEvent),
    )
    register_blueprints(app)
    register_commands(app)
    return app


def register_blueprints(app: Flask) -> None:
    """Mount the API resources and the event handlers."""
    from . import access, budgets, classes, competencies, courses, enrolments, providers
    from .api import attendance, development_plans

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

        with db.engine.begin() as conn:
            conn.execute(text(REBUILD[db.engine.dialect.name]))

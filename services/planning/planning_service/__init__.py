"""Planning: training needs analyses and yearly development plans within a budget."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cakap_shared.app import CakapFlask
from cakap_shared.platform import init_platform
from flask import Flask

from . import extensions
from .config import load_config

ROUTES = ["/api/v1/plans", "/api/v1/needs", "/api/v1/mandatory-trainings"]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the planning app; `test_config` overrides the environment."""
    app = CakapFlask(__name__)
    app.config.update(load_config())
    if test_config:
        app.config.update(test_config)
    from . import models

    init_platform(
        app,
        db=extensions.db,
        api=extensions.api,
        migrations_dir=Path(__file__).resolve().parent.parent / "migrations",
        routes=ROUTES,
        idempotency_model=models.IdempotencyRecord,
    )
    register_blueprints(app)
    register_commands(app)
    return app


def register_blueprints(app: Flask) -> None:
    """Mount the API features (the `api` package shadows no extension: see extensions.api)."""
    from .api import mandatory, needs, plans

    for module in (needs, plans, mandatory):
        extensions.api.register_blueprint(module.blp)


def register_commands(app: Flask) -> None:
    """CLI commands of this service."""
    from .demo import seed_demo_command

    app.cli.add_command(seed_demo_command)

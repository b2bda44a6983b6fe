"""E-learning: content modules, the SCORM player and runtime tracking."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cakap_shared.app import CakapFlask
from cakap_shared.platform import init_platform
from flask import Flask

from . import extensions
from .config import load_config

ROUTES = ["/api/v1/modules", "/api/v1/module-attempts", "/api/v1/progress", "/play"]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the elearning app; `test_config` overrides the environment."""
    app = CakapFlask(__name__)
    app.config.update(load_config())
    if test_config:
        app.config.update(test_config)
        if "MAX_CONTENT_LENGTH" not in test_config:
            app.config["MAX_CONTENT_LENGTH"] = app.config["MODULE_MAX_BYTES"] + 64 * 1024
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
    """Mount the API resources, the player and the services they use."""
    # `api` is also this package's subpackage name: keep the extension under extensions.
    from .api import attempts, modules, progress
    from .clients.catalog import HttpCatalog
    from .domain.credentials import LaunchTokens
    from .domain.storage import init_store
    from .player.views import bp as player_bp

    init_store(app)
    app.extensions.setdefault(
        "elearning_launch",
        LaunchTokens(app.config["LAUNCH_SECRET"], app.config["LAUNCH_TTL_SECONDS"]),
    )
    app.extensions.setdefault("elearning_catalog", HttpCatalog(app))
    for module in (modules, attempts, progress):
        extensions.api.register_blueprint(module.blp)
    app.register_blueprint(player_bp)


def register_commands(app: Flask) -> None:
    """CLI commands of this service."""
    from .demo import seed_demo_command

    app.cli.add_command(seed_demo_command)

"""E-learning: content modules, the SCORM player and runtime tracking."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cakap_shared.platform import init_platform
from flask import Flask

from .config import load_config
from .extensions import api, db, events

ROUTES = ["/api/v1/modules", "/api/v1/module-attempts", "/api/v1/progress", "/play"]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the elearning app; `test_config` overrides the environment."""
    app = Flask(__name__)
    app.config.update(load_config())
    if test_config:
        app.config.update(test_config)
        if "MAX_CONTENT_LENGTH" not in test_config:
            app.config["MAX_CONTENT_LENGTH"] = app.config["MODULE_MAX_BYTES"] + 64 * 1024
    from . import models

    init_platform(
        app,
        db=db,
        api=api,
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
    """Mount the API resources, the player and the services they use."""
    from . import attempts_resources, modules_resources, progress_resources
    from .catalog import HttpCatalog
    from .content import init_store
    from .launch import LaunchTokens
    from .player.views import bp as player_bp

    init_store(app)
    app.extensions.setdefault(
        "elearning_launch",
        LaunchTokens(app.config["LAUNCH_SECRET"], app.config["LAUNCH_TTL_SECONDS"]),
    )
    app.extensions.setdefault("elearning_catalog", HttpCatalog(app))
    api.register_blueprint(modules_resources.blp)
    api.register_blueprint(attempts_resources.blp)
    api.register_blueprint(progress_resources.blp)
    app.register_blueprint(player_bp)


def register_commands(app: Flask) -> None:
    """CLI commands of this service."""
    from .demo import seed_demo_command

    app.cli.add_command(seed_demo_command)

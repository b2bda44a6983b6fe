"""Notification: inboxes, e-mail through SMTP, preferences and digests, fed by events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cakap_shared.app import CakapFlask
from cakap_shared.background import register_background_loop
from cakap_shared.platform import init_platform
from flask import Flask

from . import extensions
from .config import load_config

ROUTES = [
    "/api/v1/notifications",
    "/api/v1/notification-preferences",
    "/api/v1/notification-deliveries",
    "/api/v1/nudges",
    "/api/v1/announcements",
]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the notification app; `test_config` overrides the environment."""
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
    # `api` is also this package's subpackage name: keep the extension under extensions.
    from .api import deliveries, notifications, preferences

    for module in (notifications, preferences, deliveries):
        extensions.api.register_blueprint(module.blp)
    from .api import announcements, nudges

    for module in (nudges, announcements):
        extensions.api.register_blueprint(module.blp)
    from .commands import deliver_notifications_command, send_digests_command
    from .demo import seed_demo_command

    for command in (deliver_notifications_command, send_digests_command, seed_demo_command):
        app.cli.add_command(command)
    from .worker import Worker, email_channel

    # What deliver-events.sh runs, for a web worker to run too in development.
    register_background_loop(app, lambda: Worker(app, email_channel(app)))
    return app

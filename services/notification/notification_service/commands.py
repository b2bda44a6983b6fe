"""CLI commands: the delivery loop (deliver-events.sh) and sending digests now."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from .clients import personnel
from .domain.delivery import collect_digests, send_due


@click.command("deliver-notifications")
@with_appcontext
def deliver_notifications_command() -> None:
    """Send queued e-mails and daily digests until stopped."""
    from .worker import Worker, email_channel

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    Worker(app, email_channel(app)).run_forever()


@click.command("send-digests")
@with_appcontext
def send_digests_command() -> None:
    """Make today's digests of everything waiting now and send them (instead of DIGEST_HOUR)."""
    from .worker import email_channel

    made = collect_digests(right_now=True)
    channel = email_channel(current_app._get_current_object())  # type: ignore[attr-defined]
    tried = send_due(channel, personnel.person) if channel is not None else 0
    click.echo(f"notification: {made} digests made, {tried} e-mails tried")

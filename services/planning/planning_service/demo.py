"""Demo data for `make run`: the mandatory-training rules, only into an empty database.

Plans themselves are made by the admin from the demo people and classes.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from .extensions import db
from .models import MandatoryTraining

RULES = [
    # course code (catalog demo), title, position type, appointed within months
    ("BPSDM-801", "Latsar bagi CPNS yang diangkat dalam 12 bulan terakhir", None, 12),
    ("LAN-701", "PKP bagi pejabat pengawas", "pengawas", None),
]


def seed_demo() -> bool:
    """Add the rules when the table is empty; True when added."""
    if db.session.scalar(select(func.count()).select_from(MandatoryTraining)):
        return False
    for code, title, position_type, months in RULES:
        db.session.add(
            MandatoryTraining(
                course_code=code,
                title=title,
                position_type=position_type,
                appointed_within_months=months,
            )
        )
    db.session.commit()
    return True


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Load the demo data set into an empty database (never in production)."""
    if current_app.config.get("CAKAP_ENV") == "production":
        raise click.ClickException("demo data is never loaded in production")
    click.echo("planning: demo data loaded" if seed_demo() else "planning: not empty, skipped")

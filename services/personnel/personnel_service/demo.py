"""Demo data for `make run`: loaded only in demo mode, only into an empty database."""

from __future__ import annotations

import uuid

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from .extensions import db
from .models import Account, Person
from .passwords import hash_password

DEMO_PASSWORD = "cakap-demo"
# Other services' demo data refers to these people by the same derived ids.
_DEMO_NAMESPACE = uuid.UUID("6f1d0d5e-8a51-4a8e-9a34-3c1bb0f0c0de")


def demo_person_id(key: str) -> str:
    """The stable id of a demo person (key: NIP, or login name for non-ASN)."""
    return str(uuid.uuid5(_DEMO_NAMESPACE, key))


DEMO_ACCOUNTS = [
    # username, roles, name, nip, unit, position, grade, supervisor username
    ("admin", "admin", "Admin BKPSDM", None, None, None, None, None),
    ("trainer", "trainer", "Dr. Hendra Wijaya, M.Kom. (Widyaiswara)", None, None, None, None, None),
    (
        "rina",
        "asn,supervisor",
        "Rina Marlina, S.Kom., M.T.",
        "198203152006042003",
        "DISKOMINFO",
        "Kepala Bidang Aplikasi Informatika",
        "IV/a",
        None,
    ),
    (
        "andi",
        "asn",
        "Andi Saputra, S.T.",
        "199107222019031004",
        "DISKOMINFO",
        "Pranata Komputer Ahli Pertama",
        "III/a",
        "rina",
    ),
]


def seed_demo() -> bool:
    """Load the demo people when the database has none; True if it loaded."""
    if db.session.scalar(select(func.count()).select_from(Person)):
        return False
    password_hash = hash_password(DEMO_PASSWORD)
    ids: dict[str, str] = {}
    for username, roles, name, nip, unit, position, grade, supervisor in DEMO_ACCOUNTS:
        person_id = demo_person_id(nip or username)
        ids[username] = person_id
        db.session.add(
            Person(
                id=person_id,
                nip=nip,
                name=name,
                unit_code=unit,
                position=position,
                grade=grade,
                supervisor_id=ids.get(supervisor) if supervisor else None,
            )
        )
        db.session.flush()
        db.session.add(
            Account(
                person_id=person_id, username=username, password_hash=password_hash, roles=roles
            )
        )
    db.session.commit()
    return True


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Load the demo data set into an empty database (never in production)."""
    if current_app.config["CAKAP_ENV"] == "production":
        raise click.ClickException("demo data is never loaded in production")
    click.echo("personnel: demo data loaded" if seed_demo() else "personnel: not empty, skipped")

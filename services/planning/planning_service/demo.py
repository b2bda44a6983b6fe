"""Demo data for `make run`: the mandatory-training rules, only into an empty database.

Plans themselves are made by the admin from the demo people and classes.
"""

from __future__ import annotations

from cakap_shared import demo
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


seed_demo_command = demo.seed_demo_command("planning", seed_demo)

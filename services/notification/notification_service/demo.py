"""Demo inbox items for the demo accounts, matching the other services' demo data."""

from __future__ import annotations

import uuid

from cakap_shared import demo
from sqlalchemy import func, select

from .domain import inbox
from .extensions import db
from .models import Notification

_DEMO_NAMESPACE = uuid.UUID("6f1d0d5e-8a51-4a8e-9a34-3c1bb0f0c0de")


def demo_id(key: str) -> str:
    """The shared derived id: NIP or login name, "enrolment:<key>" ..."""
    return str(uuid.uuid5(_DEMO_NAMESPACE, key))


LEARNER = demo_id("199507212019022002")  # pegawai, Nyimas Ayu Lestari
SUPERVISOR = demo_id("198203142008031001")  # atasan, Rizal Effendi


def seed_demo() -> bool:
    """atasan has catalog's demo request waiting; pegawai a waitlist place. False if not empty."""
    if db.session.scalar(select(func.count()).select_from(Notification)):
        return False
    course = {
        "course_code": "MAN-503",
        "course_title": "Komunikasi Publik yang Efektif",
        "class_name": "Angkatan 1",
    }
    inbox.notify(
        demo_id("notification:demo-request"),
        SUPERVISOR,
        "enrolment_requested",
        {**course, "status": "requested"},
    )
    inbox.notify(
        demo_id("notification:demo-welcome"),
        LEARNER,
        "enrolment_waitlisted",
        {**course, "course_code": "MAN-504", "course_title": "Pelayanan Prima"},
    )
    db.session.commit()
    return True


seed_demo_command = demo.seed_demo_command("notification", seed_demo)

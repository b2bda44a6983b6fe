"""Demo data for `make run`: loaded only in demo mode, only into an empty database.

A Palembang-like city government (demo_people.py): units, about 300 ASN with
their supervisors, sign-in accounts for the contract's demo people and for every
head with staff, managerial competency levels, and this year's JP ledger spread so
the compliance report has people both above and below target. Everything is
inserted in bulk and the demo password is hashed once, so seeding takes well
under a few seconds.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from cakap_shared import demo
from cakap_shared.db import new_id, utcnow
from sqlalchemy import func, insert, select

from .clock import today
from .demo_people import (
    DEMO_ASN_NIP,
    DEMO_SUPERVISOR_NIP,
    demo_people,
    demo_units,
)
from .domain.competencies import seed_managerial_standard
from .domain.nip import parse_nip
from .domain.passwords import hash_password
from .domain.people import UNUSABLE_PASSWORD
from .extensions import db
from .models import (
    Account,
    CompetencyAssessment,
    JpEntry,
    Person,
    PersonUnitHistory,
    PositionStandard,
    Unit,
)

DEMO_PASSWORD = "cakap-demo"
# Other services' demo data refers to these people by the same derived ids.
_DEMO_NAMESPACE = uuid.UUID("6f1d0d5e-8a51-4a8e-9a34-3c1bb0f0c0de")
_SEED = 20241107


def demo_person_id(key: str) -> str:
    """The stable id of a demo person (key: NIP, or login name for non-ASN)."""
    return str(uuid.uuid5(_DEMO_NAMESPACE, key))


# username, roles, name, nip (None for non-ASN). ASN details come from demo_people.py.
DEMO_ACCOUNTS = [
    ("admin", "admin", "Admin BKPSDM", None),
    ("trainer", "trainer", "Dr. Hendra Wijaya, M.Kom. (Widyaiswara)", None),
    ("atasan", "asn,supervisor", "Rizal Effendi, S.Kom., M.Si.", DEMO_SUPERVISOR_NIP),
    ("pegawai", "asn", "Nyimas Ayu Lestari, S.Kom.", DEMO_ASN_NIP),
]
DEMO_LOGINS = {nip: username for username, _r, _n, nip in DEMO_ACCOUNTS if nip}
# The demo ASN has 8 JP this year (ETK-01, SEM-2024): the demo course TIK-101 (12 JP)
# takes her to the target of 20.
_COURSES = (
    ("TIK-101", "Keamanan Informasi bagi ASN", 12, "e-learning"),
    ("MAN-201", "Kepemimpinan Pengawas", 24, "klasikal"),
    ("PEL-110", "Pelayanan Publik Prima", 8, "e-learning"),
    ("ANJAB-05", "Analisis Jabatan dan Beban Kerja", 16, "klasikal"),
    ("SPBE-02", "Arsitektur SPBE", 10, "blended"),
    ("ETK-01", "Etika dan Integritas ASN", 4, "e-learning"),
    ("COACH-1", "Coaching Kinerja oleh Atasan", 6, "coaching"),
    ("MENT-1", "Mentoring Pejabat Fungsional", 6, "mentoring"),
    ("SEM-2024", "Seminar Nasional Transformasi Digital", 4, "seminar"),
)


def seed_demo() -> bool:
    """Load the demo data set when the database has no people; True if it loaded."""
    if db.session.scalar(select(func.count()).select_from(Person)):
        return False
    rng = random.Random(_SEED)
    seed_managerial_standard()
    password_hash = hash_password(DEMO_PASSWORD)  # once: argon2 costs ~80 ms a hash
    now, on = utcnow(), today()
    db.session.execute(
        insert(Unit),
        [
            {"code": u.code, "name": u.name, "parent_code": u.parent_code, "created_at": now}
            for u in demo_units()
        ],
    )
    people_rows: list[dict[str, Any]] = [
        {"id": demo_person_id(username), "nip": None, "name": name, "status": "active",
         "unit_code": "BKPSDM" if username == "admin" else None,
         "position": "Widyaiswara" if username == "trainer" else "Administrator Sistem",
         "created_at": now, "updated_at": now}
        for username, _roles, name, nip in DEMO_ACCOUNTS if nip is None
    ]  # fmt: skip
    staff = demo_people()
    has_staff = {p.supervisor_nip for p in staff if p.supervisor_nip}
    staff_rows, history = _staff_rows(staff, now, on)
    people_rows.extend(staff_rows)
    # Supervisors come before their staff in demo_people(), so the FK holds row by row.
    db.session.execute(insert(Person), people_rows)
    db.session.execute(insert(PersonUnitHistory), history)
    db.session.execute(insert(Account), _accounts(staff, has_staff, password_hash))
    db.session.execute(insert(CompetencyAssessment), _assessments(rng, staff, on))
    db.session.execute(insert(JpEntry), _jp_entries(rng, staff, on))
    db.session.commit()
    return True


def _staff_rows(
    staff: list[Any], now: datetime, on: date
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The demo ASN as person rows, and the unit each has been in since their appointment."""
    rows: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    for p in staff:
        info = parse_nip(p.nip, on)
        person_id = demo_person_id(p.nip)
        rows.append(
            {
                "id": person_id,
                "nip": p.nip,
                "name": p.name,
                "birth_date": info.birth_date,
                "sex": info.sex,
                "employment_type": p.employment_type,
                "unit_code": p.unit_code,
                "position": p.position,
                "position_type": p.position_type,
                "grade": p.grade,
                "supervisor_id": demo_person_id(p.supervisor_nip) if p.supervisor_nip else None,
                "status": p.status,
                "email": p.email,
                "created_at": now,
                "updated_at": now,
            }
        )
        year, month = info.appointment
        history.append(
            {"id": new_id(), "person_id": person_id, "unit_code": p.unit_code,
             "from_date": max(date(year, month, 1), date(2016, 1, 1)), "to_date": None}
        )  # fmt: skip
    return rows, history


def _accounts(staff: list[Any], has_staff: set[str], password_hash: str) -> list[dict[str, Any]]:
    """admin, trainer, atasan, pegawai, every head with staff (login = their NIP); the rest
    of the staff have accounts waiting for activation, as imported people do."""
    rows = []
    for username, roles, _name, nip in DEMO_ACCOUNTS:
        rows.append(
            {"id": new_id(), "person_id": demo_person_id(nip or username), "username": username,
             "password_hash": password_hash, "roles": roles, "is_active": True}
        )  # fmt: skip
    for p in staff:
        if p.nip in has_staff and p.nip not in DEMO_LOGINS:
            rows.append(
                {"id": new_id(), "person_id": demo_person_id(p.nip), "username": p.nip,
                 "password_hash": password_hash, "roles": "asn,supervisor", "is_active": True}
            )  # fmt: skip
        elif p.nip not in DEMO_LOGINS:
            rows.append(
                {"id": new_id(), "person_id": demo_person_id(p.nip), "username": p.nip,
                 "password_hash": UNUSABLE_PASSWORD, "roles": "asn", "is_active": False}
            )  # fmt: skip
    return rows


def _assessments(rng: random.Random, staff: list[Any], on: date) -> list[dict[str, Any]]:
    """Managerial levels around each person's standard: some meet it, some fall short."""
    required = {
        (s.position, s.competency_code): s.required_level
        for s in db.session.scalars(select(PositionStandard))
    }
    codes = sorted({code for _pos, code in required})
    rows = []
    for p in staff:
        assessed_on = on - timedelta(days=rng.randint(30, 700))
        for code in codes:
            need = required.get((p.position_type, code), 1)
            level = min(5, max(1, need + rng.choice((-2, -1, -1, 0, 0, 0, 1))))
            rows.append(
                {"id": new_id(), "person_id": demo_person_id(p.nip), "competency_code": code,
                 "level": level, "source": "assessment_centre", "assessed_on": assessed_on,
                 "created_at": utcnow()}
            )  # fmt: skip
    return rows


def _jp_entries(rng: random.Random, staff: list[Any], on: date) -> list[dict[str, Any]]:
    """This year's JP: from nothing to well over 20, so the compliance report has a spread."""
    start = date(on.year, 1, 1)
    span = max((on - start).days, 1)
    rows = []
    for p in staff:
        if p.status != "active":
            continue
        if p.nip == DEMO_ASN_NIP:
            picks = [c for c in _COURSES if c[0] in ("ETK-01", "SEM-2024")]
        else:
            picks = rng.sample(
                [c for c in _COURSES if c[0] != "TIK-101"], k=rng.choice((0, 1, 2, 2, 3, 3, 4))
            )
        for code, title, jp, form in picks:
            completed = start + timedelta(days=rng.randint(0, span))
            rows.append(
                {"id": new_id(), "person_id": demo_person_id(p.nip), "year": on.year,
                 "course_code": code, "title": title, "jp": jp, "form": form,
                 "completed_on": min(completed, on), "source_event_id": None,
                 "evidence_url": None, "recorded_by": "demo", "created_at": utcnow()}
            )  # fmt: skip
    return rows


seed_demo_command = demo.seed_demo_command("personnel", seed_demo)

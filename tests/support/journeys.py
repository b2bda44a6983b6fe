"""Data a browser or end-to-end test makes for itself through the public API.

Each call makes new, uniquely named things, so tests that share one running suite do not
see each other's data.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import requests
from cakap_shared.db import local_date, utcnow

_serial = itertools.count(1)


def city_today() -> date:
    """The city's date (WIB), as the services count enrolment windows and last days; the
    machine's date is UTC's, a day behind from 17:00 UTC to midnight."""
    return local_date(utcnow())


@dataclass
class Team:
    unit_code: str
    boss_login: str
    staff_login: str
    staff_id: str
    password: str


def _ok(response: requests.Response, status: int = 201) -> Any:
    assert response.status_code == status, (
        f"{response.request.method} {response.url}: {response.text}"
    )
    return response.json() if response.content else None


def nip(born: date, serial: int, female: bool) -> str:
    """A valid NIP: birth date, appointment month (born + 25 years), sex, serial."""
    appointed = born.replace(year=born.year + 25)
    return f"{born:%Y%m%d}{appointed:%Y%m}{2 if female else 1}{serial % 999 + 1:03d}"


def fresh_nips(count: int) -> list[str]:
    """`count` valid NIPs nobody else in a shared suite draws: a random birth day in 30 years
    and a random serial (a 3-digit serial alone collided between tests)."""
    made = []
    for i in range(count):
        draw = uuid.uuid4().int
        born = date(1970 + draw % 30, 1 + draw // 30 % 12, 1 + draw // 360 % 28)  # no Feb 29
        made.append(nip(born, draw // 10_080, female=bool(i % 2)))
    return made


def new_team(admin: requests.Session) -> Team:
    """A unit with a supervisor and one staff member, both able to sign in."""
    n = next(_serial)
    unit = f"UJI-{uuid.uuid4().hex[:6].upper()}"
    _ok(admin.post("/api/v1/units", json={"code": unit, "name": f"Bidang Uji {n}"}))
    password = "sandi-uji-yang-panjang"
    # Drawn at random, not derived from n: n plus a random 0-899 repeated within one run.
    boss_nip, staff_nip = fresh_nips(2)
    _ok(
        admin.post(
            "/api/v1/people",
            json={
                "nip": boss_nip,
                "name": f"Budi Atasan {n}",
                "unit_code": unit,
                "position": "Kepala Bidang",
                "grade": "IV/a",
                "roles": ["asn", "supervisor"],
                "password": password,
            },
        )
    )
    staff = _ok(
        admin.post(
            "/api/v1/people",
            json={
                "nip": staff_nip,
                "name": f"Sari Pegawai {n}",
                "unit_code": unit,
                "position": "Pranata Komputer",
                "grade": "III/a",
                "supervisor_nip": boss_nip,
                "roles": ["asn"],
                "password": password,
            },
        )
    )
    return Team(unit, boss_nip, staff_nip, staff["id"], password)


def course_with_test(
    admin: requests.Session, trainer: requests.Session, questions: list[dict[str, Any]], **test: Any
) -> dict[str, Any]:
    """A published course whose pre test has `questions`, with a class open for enrolment."""
    code = f"UJI-{uuid.uuid4().hex[:6].upper()}"
    assessment = _ok(
        trainer.post(
            "/api/v1/assessments",
            json={
                "title": f"Tes Awal {code}",
                "kind": "pre_test",
                "passing_score": 60,
                "questions": questions,
                **test,
            },
        )
    )
    course = _ok(
        admin.post(
            "/api/v1/courses",
            json={
                "code": code,
                "title": f"Pelatihan Uji {code}",
                "description": "Dibuat oleh tes.",
                "jp": 4,
                "pre_test_id": assessment["id"],
            },
        )
    )
    _ok(admin.post(f"/api/v1/courses/{course['id']}/publish"), 200)
    today = city_today()
    klass = _ok(
        admin.post(
            f"/api/v1/courses/{course['id']}/classes",
            json={
                "name": "Angkatan Uji",
                "starts_on": (today + timedelta(days=7)).isoformat(),
                "ends_on": (today + timedelta(days=14)).isoformat(),
                "capacity": 5,
            },
        )
    )
    return {"course": course, "class": klass, "assessment": assessment}


def enrol(staff: requests.Session, boss: requests.Session, class_id: str) -> dict[str, Any]:
    """The staff member requests the class and the supervisor approves."""
    enrolment = _ok(staff.post("/api/v1/enrolments", json={"class_id": class_id}))
    return _ok(boss.post(f"/api/v1/enrolments/{enrolment['id']}/approve"), 200)

"""Planning test fixtures: planning, personnel and catalog apps on throw-away databases.

Planning reaches the real personnel and catalog apps through its own HTTP client
(tests/planning/peers.py), with service tokens the peers verify.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import catalog_service
import personnel_service
import pytest
from cakap_shared.testing import as_role, empty_tables, migrated_app, rsa_keypair, service_token
from catalog_service.extensions import db as catalog_db
from flask import Flask
from flask.testing import FlaskClient
from personnel_service.domain.competencies import seed_managerial_standard
from personnel_service.domain.nip import make_nip
from personnel_service.extensions import db as personnel_db
from planning_service import create_app
from planning_service.clients._peer import peer
from planning_service.extensions import db

from .peers import FlaskAdapter

ADMIN = "0d2b4c11-0000-4000-8000-00000000a001"


@pytest.fixture(scope="session")
def personnel_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The real personnel app."""
    with migrated_app(
        "personnel",
        personnel_service.create_app,
        personnel_db,
        tmp_path_factory.mktemp("personnel"),
        JWT_PRIVATE_KEY=rsa_keypair()[0],
        SERVICE_SECRET="s3cret",
    ) as application:
        yield application


@pytest.fixture(scope="session")
def catalog_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The real catalog app."""
    with migrated_app(
        "catalog", catalog_service.create_app, catalog_db, tmp_path_factory.mktemp("catalog")
    ) as application:
        yield application


@pytest.fixture(scope="session")
def adapters(personnel_app: Flask, catalog_app: Flask) -> dict[str, FlaskAdapter]:
    """One transport per peer (they record the calls)."""
    return {"personnel": FlaskAdapter(personnel_app), "catalog": FlaskAdapter(catalog_app)}


@pytest.fixture(scope="session")
def app(
    tmp_path_factory: pytest.TempPathFactory, adapters: dict[str, FlaskAdapter]
) -> Iterator[Flask]:
    """The planning app, wired to the real peers."""
    with migrated_app(
        "planning",
        create_app,
        db,
        tmp_path_factory.mktemp("planning"),
        SERVICE_URLS={name: f"http://{name}.test" for name in adapters},
        PLANNING_TIME_LIMIT=5,
        PLANNING_SOLVE_APART=False,  # a child process per solve costs a second; one test has it
    ) as application:
        application.extensions["cakap_service_tokens"] = functools.partial(
            service_token, "planning"
        )
        with application.app_context():
            for name, adapter in adapters.items():
                peer(name).session.mount(f"http://{name}.test", adapter)
        yield application


@pytest.fixture
def client(app: Flask, personnel_app: Flask, catalog_app: Flask) -> FlaskClient:
    """A planning test client; every service's tables empty."""
    with app.app_context():
        empty_tables(db)
    with personnel_app.app_context():
        empty_tables(personnel_db)
        seed_managerial_standard()
        personnel_db.session.commit()
    with catalog_app.app_context():
        empty_tables(catalog_db)
    return app.test_client()


@pytest.fixture(scope="session")
def admin() -> dict[str, str]:
    """An admin's headers (valid for every service)."""
    return as_role("admin", sub=ADMIN, name="Admin BKPSDM")


@pytest.fixture(scope="session")
def asn() -> dict[str, str]:
    """An ASN's headers."""
    return as_role("asn", "supervisor", sub=str(uuid.uuid4()))


def ok(response: Any, status: int = 200) -> Any:
    """The JSON body, asserting the status."""
    assert response.status_code == status, (response.status_code, response.get_json())
    return response.get_json()


class World:
    """People in personnel and classes in catalog, made through their own APIs as an admin."""

    def __init__(self, personnel: Flask, catalog: Flask, admin: dict[str, str]) -> None:
        self.personnel = personnel.test_client()
        self.catalog = catalog.test_client()
        self.admin = admin
        self.serial = 0
        self.year = date.today().year + 1

    def unit(self, code: str, parent: str | None = None) -> None:
        """A unit."""
        body = {"code": code, "name": f"Unit {code}", "parent_code": parent}
        ok(self.personnel.post("/api/v1/units", json=body, headers=self.admin), 201)

    def standard(self, position: str, levels: dict[str, int]) -> None:
        """Required levels of a position name."""
        body = {
            "position": position,
            "competencies": [{"code": c, "level": lv} for c, lv in levels.items()],
        }
        ok(self.personnel.post("/api/v1/position-standards", json=body, headers=self.admin), 201)

    def person(
        self,
        name: str,
        unit: str,
        position: str,
        levels: dict[str, int] | None = None,
        jp: int = 0,
        appointed: tuple[int, int] = (2015, 3),
    ) -> str:
        """A person with assessed levels and JP earned next year; their id."""
        self.serial += 1
        nip = make_nip(date(1990, 1, 1), appointed, "M", self.serial)
        body = {"nip": nip, "name": name, "unit_code": unit, "position": position, "grade": "III/a"}
        person = ok(self.personnel.post("/api/v1/people", json=body, headers=self.admin), 201)
        for code, level in (levels or {}).items():
            ok(
                self.personnel.post(
                    f"/api/v1/people/{person['id']}/competency-assessments",
                    json={"code": code, "level": level, "source": "assessment_centre"},
                    headers=self.admin,
                ),
                201,
            )
        if jp:
            self.jp(person["id"], jp)
        return person["id"]

    def jp(self, person_id: str, jp: int) -> None:
        """JP earned this year (the plan's year is next year: recorded for it by date)."""
        body = {
            "title": "Seminar",
            "jp": jp,
            "form": "seminar",
            "completed_on": date.today().isoformat(),
            "evidence_url": "https://example.org/bukti.pdf",
        }
        ok(
            self.personnel.post(
                f"/api/v1/people/{person_id}/jp-entries", json=body, headers=self.admin
            ),
            201,
        )

    def competency(self, code: str) -> None:
        """A dictionary entry in catalog."""
        body = {"code": code, "name": code, "type": "teknis"}
        ok(self.catalog.post("/api/v1/competencies", json=body, headers=self.admin), 201)

    def klass(
        self,
        levels: dict[str, int],
        cost: int = 1_000_000,
        capacity: int = 10,
        starts_in: int = 30,
        days: int = 2,
        code: str | None = None,
    ) -> str:
        """A published course with one class in the plan's year; the class id."""
        course = ok(
            self.catalog.post(
                "/api/v1/courses",
                json={
                    "code": code or f"C-{uuid.uuid4().hex[:6]}",
                    "title": "Pelatihan",
                    "description": "",
                    "jp": 12,
                    "cost_per_participant": cost,
                    "competencies": [{"code": c, "level": lv} for c, lv in levels.items()],
                    "module_ids": [],
                },
                headers=self.admin,
            ),
            201,
        )
        ok(self.catalog.post(f"/api/v1/courses/{course['id']}/publish", headers=self.admin))
        starts = date(self.year, 1, 1) + timedelta(days=starts_in)
        body = {
            "name": f"Angkatan {course['code']}",
            "starts_on": starts.isoformat(),
            "ends_on": (starts + timedelta(days=days - 1)).isoformat(),
            "capacity": capacity,
            "enrolment_opens_on": date.today().isoformat(),
            "enrolment_closes_on": (starts - timedelta(days=1)).isoformat(),
        }
        answer = self.catalog.post(
            f"/api/v1/courses/{course['id']}/classes", json=body, headers=self.admin
        )
        return ok(answer, 201)["id"]


@pytest.fixture
def world(
    client: FlaskClient, personnel_app: Flask, catalog_app: Flask, admin: dict[str, str]
) -> World:
    """A builder of people and classes on empty databases."""
    return World(personnel_app, catalog_app, admin)

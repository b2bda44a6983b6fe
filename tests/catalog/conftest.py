"""Catalog test fixtures: an app on a throw-away migrated database, clients, tokens."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from cakap_shared.testing import Cast, FakeClock, Persona, empty_tables, migrated_app
from catalog_service import create_app
from catalog_service.extensions import db
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The catalog app, schema built by its migrations."""
    with migrated_app("catalog", create_app, db, tmp_path_factory.mktemp("catalog")) as application:
        yield application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client on empty tables."""
    with app.app_context():
        empty_tables(db)
    return app.test_client()


# --- catalog helpers ----------------------------------------------------------

TODAY = date(2026, 11, 30)
LEARNER = "0c3a8f59-0000-4000-8000-000000000001"
SUPERVISOR = "0c3a8f59-0000-4000-8000-000000000002"
OTHER_ASN = "0c3a8f59-0000-4000-8000-000000000003"
OTHER_SUPERVISOR = "0c3a8f59-0000-4000-8000-000000000004"
TRAINER = "0c3a8f59-0000-4000-8000-000000000005"
OTHER_TRAINER = "0c3a8f59-0000-4000-8000-000000000006"
ADMIN = "0c3a8f59-0000-4000-8000-000000000007"
UNIT = "DISKOMINFO-APTIKA"
OTHER_UNIT = "BAPPEDA"


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """A controllable 'today' for enrolment windows: clock.set(date(...))."""
    from catalog_service.domain import clock as clock_module

    fake = FakeClock()
    fake.set(TODAY)
    return fake.install(monkeypatch, clock_module)


CALLERS = Cast(
    admin=Persona(ADMIN, ("admin",), {"name": "Admin BKPSDM"}),
    learner=Persona(
        LEARNER,
        ("asn",),
        {"name": "Nyimas Ayu Lestari", "unit_code": UNIT, "supervisor_id": SUPERVISOR},
    ),
    supervisor=Persona(
        SUPERVISOR,
        ("asn", "supervisor"),
        {"name": "Rizal Effendi", "unit_code": UNIT, "supervisor_id": None},
    ),
    other_asn=Persona(
        OTHER_ASN,
        ("asn",),
        {"name": "Budi Santoso", "unit_code": OTHER_UNIT, "supervisor_id": OTHER_SUPERVISOR},
    ),
    other_supervisor=Persona(
        OTHER_SUPERVISOR,
        ("asn", "supervisor"),
        {"name": "Siti Aminah", "unit_code": OTHER_UNIT, "supervisor_id": None},
    ),
    trainer=Persona(TRAINER, ("trainer",), {"name": "Widyaiswara"}),
    other_trainer=Persona(OTHER_TRAINER, ("trainer",), {"name": "Lain"}),
    service=Persona("service:elearning", ("service",), audience="catalog"),
)


@pytest.fixture
def who() -> dict[str, dict[str, str]]:
    """Authorization headers per caller (the shared helper re-mints a token near its expiry)."""
    return {name: CALLERS(name) for name in CALLERS.people}


class CatalogDriver:
    """Builds catalog objects through the API, as an admin would."""

    def __init__(self, client: FlaskClient, who: dict[str, dict[str, str]]) -> None:
        self.client = client
        self.who = who
        self.admin = who["admin"]

    def ok(self, response: Any, status: int = 200) -> dict[str, Any]:
        """The JSON body, asserting the status."""
        assert response.status_code == status, (response.status_code, response.get_json())
        return response.get_json()

    def competency(self, code: str = "M-KOM", type_: str = "manajerial", **extra: Any) -> dict:
        """A dictionary entry."""
        body = {"code": code, "name": extra.pop("name", code), "type": type_, **extra}
        return self.ok(self.client.post("/api/v1/competencies", json=body, headers=self.admin), 201)

    def provider(self, code: str = "BKPSDM", kind: str = "internal_unit") -> dict:
        """A provider."""
        body = {"code": code, "name": f"Provider {code}", "kind": kind}
        return self.ok(self.client.post("/api/v1/providers", json=body, headers=self.admin), 201)

    def course(self, publish: bool = True, **overrides: Any) -> dict:
        """A course (published by default)."""
        body = {
            "code": overrides.pop("code", f"C-{uuid.uuid4().hex[:8]}"),
            "title": "Pelatihan Dasar",
            "description": "",
            "jp": 10,
            "competencies": [],
            "module_ids": [],
            # Hand completion without an attendance rule unless a test sets one.
            "min_attendance_percent": None,
            **overrides,
        }
        course = self.ok(self.client.post("/api/v1/courses", json=body, headers=self.admin), 201)
        if publish:
            course = self.ok(
                self.client.post(f"/api/v1/courses/{course['id']}/publish", headers=self.admin)
            )
        return course

    def klass(self, course_id: str, **overrides: Any) -> dict:
        """A class whose enrolment is open today."""
        body = {
            "name": "Angkatan I",
            "starts_on": (TODAY + timedelta(days=10)).isoformat(),
            "ends_on": (TODAY + timedelta(days=12)).isoformat(),
            "capacity": 10,
            "enrolment_opens_on": (TODAY - timedelta(days=5)).isoformat(),
            "enrolment_closes_on": (TODAY + timedelta(days=5)).isoformat(),
            "trainer_ids": [TRAINER],
            **overrides,
        }
        return self.ok(
            self.client.post(f"/api/v1/courses/{course_id}/classes", json=body, headers=self.admin),
            201,
        )

    def request(self, class_id: str, as_: str = "learner") -> dict:
        """A place requested by `as_`."""
        return self.ok(
            self.client.post(
                "/api/v1/enrolments", json={"class_id": class_id}, headers=self.who[as_]
            ),
            201,
        )

    def act(self, enrolment_id: str, action: str, as_: str = "admin", **body: Any) -> Any:
        """POST /enrolments/{id}/{action}; the raw response."""
        return self.client.post(
            f"/api/v1/enrolments/{enrolment_id}/{action}", json=body, headers=self.who[as_]
        )

    def events(self, event_type: str) -> list[dict[str, Any]]:
        """Outbox events of a type, oldest first."""
        from catalog_service.models import OutboxEvent

        with self.client.application.app_context():
            rows = db.session.scalars(
                select(OutboxEvent).where(OutboxEvent.type == event_type).order_by(OutboxEvent.seq)
            ).all()
            return [row.envelope() for row in rows]

    def deliver(self, event_type: str, data: dict[str, Any], event_id: str | None = None) -> Any:
        """Deliver an event to catalog's inbox as a peer would."""
        envelope = {
            "id": event_id or str(uuid.uuid4()),
            "type": event_type,
            "version": 1,
            "occurred_at": "2026-11-30T08:00:00+00:00",
            "producer": "elearning",
            "aggregate_id": str(uuid.uuid4()),
            "data": data,
        }
        return self.client.post("/internal/events", json=envelope, headers=self.who["service"])


@pytest.fixture
def cat(client: FlaskClient, who: dict[str, dict[str, str]]) -> CatalogDriver:
    """The catalog driver on empty tables."""
    return CatalogDriver(client, who)


@pytest.fixture(scope="session")
def people() -> SimpleNamespace:
    """The ids and units behind the `who` tokens."""
    return SimpleNamespace(
        learner=LEARNER,
        supervisor=SUPERVISOR,
        other_asn=OTHER_ASN,
        other_supervisor=OTHER_SUPERVISOR,
        trainer=TRAINER,
        admin=ADMIN,
        unit=UNIT,
        other_unit=OTHER_UNIT,
        today=TODAY,
    )

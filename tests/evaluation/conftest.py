"""Evaluation test fixtures: an app on a throw-away migrated database, clients, tokens."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from cakap_shared.http import ServiceUnavailable
from cakap_shared.testing import Cast, FakeClock, Persona, empty_tables, migrated_app
from evaluation_service import clock as clock_module
from evaluation_service import create_app
from evaluation_service.clients import Clients
from evaluation_service.extensions import db
from flask import Flask
from flask.testing import FlaskClient


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The evaluation app, schema built by its migrations."""
    with migrated_app(
        "evaluation", create_app, db, tmp_path_factory.mktemp("evaluation")
    ) as application:
        yield application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client on empty tables."""
    with app.app_context():
        empty_tables(db)
    return app.test_client()


# --- helpers for the API tests ---------------------------------------------------------

TRAINER = str(uuid.uuid4())
OTHER_TRAINER = str(uuid.uuid4())
ADMIN = str(uuid.uuid4())
LEARNER = str(uuid.uuid4())
OTHER_LEARNER = str(uuid.uuid4())
SUPERVISOR = str(uuid.uuid4())
BIG_BOSS = str(uuid.uuid4())


@dataclass
class Fakes:
    """Stand-ins for catalog and personnel; tests change their data or make them fail."""

    enrolled: set[tuple[str, str]] = field(default_factory=set)  # (learner, assessment)
    enrol_all: bool = True
    catalog_down: bool = False
    personnel_down: bool = False
    people: dict[str, dict[str, Any]] = field(default_factory=dict)
    chains: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    appreciations: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)
    class_ids: list[str] = field(default_factory=list)
    course_ids: list[str] = field(default_factory=list)

    def access(self, learner_id: str, assessment_id: str) -> dict[str, Any]:
        if self.catalog_down:
            raise ServiceUnavailable("catalog: ConnectionError")
        allowed = self.enrol_all or (learner_id, assessment_id) in self.enrolled
        return {
            "allowed": allowed,
            "course_ids": list(self.course_ids),
            "class_ids": list(self.class_ids),
        }

    def person(self, person_id: str) -> dict[str, Any] | None:
        if self.personnel_down:
            raise ServiceUnavailable("personnel: ConnectionError")
        return self.people.get(person_id)

    def supervisors(self, person_id: str) -> list[dict[str, Any]]:
        if self.personnel_down:
            raise ServiceUnavailable("personnel: ConnectionError")
        return self.chains.get(person_id, [])

    def appreciation(self, learner_id: str, body: dict[str, Any], token: str) -> tuple[int, Any]:
        if self.personnel_down:
            raise ServiceUnavailable("personnel: ConnectionError")
        self.appreciations.append((learner_id, body, token))
        return 201, {"id": str(uuid.uuid4()), **body}


@pytest.fixture
def fakes(app: Flask) -> Iterator[Fakes]:
    """Fake catalog/personnel installed in the app for one test."""
    fake = Fakes()
    saved = app.extensions["evaluation_clients"]
    app.extensions["evaluation_clients"] = Clients(
        access=fake.access,
        person=fake.person,
        supervisors=fake.supervisors,
        appreciation=fake.appreciation,
    )
    yield fake
    app.extensions["evaluation_clients"] = saved


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """Evaluation's clock, moved by hand for one test."""
    return FakeClock().install(monkeypatch, clock_module)


AUTH = Cast(
    trainer=Persona(TRAINER, ("trainer",)),
    other_trainer=Persona(OTHER_TRAINER, ("trainer",)),
    admin=Persona(ADMIN, ("admin",)),
    learner=Persona(LEARNER, ("asn",), {"unit_code": "DISKOMINFO", "supervisor_id": SUPERVISOR}),
    other_learner=Persona(OTHER_LEARNER, ("asn",), {"unit_code": "DISKOMINFO"}),
    supervisor=Persona(SUPERVISOR, ("asn", "supervisor"), {"unit_code": "DISKOMINFO"}),
    big_boss=Persona(BIG_BOSS, ("asn", "supervisor"), {"unit_code": "DISKOMINFO"}),
    service=Persona("service:catalog", ("service",)),
    personnel_service=Persona("service:personnel", ("service",)),
)


@pytest.fixture
def auth() -> Cast:
    """Headers for a caller: auth("trainer"), auth("learner"), auth("admin"), ..."""
    return AUTH


FORBIDDEN_KEYS = {
    "answer",
    "answers",
    "credit",
    "feedback",
    "choice_feedback",
    "answer_feedback",
    "feedback_true",
    "feedback_false",
    "tolerance",
    "correct",
    "score",
    "results",
    "order",
    "passed",
}


def grading_keys(document: Any, path: str = "") -> list[str]:
    """Every path in a JSON document whose key would give away grading data."""
    found = []
    if isinstance(document, dict):
        for key, value in document.items():
            if key in FORBIDDEN_KEYS and value is not None:
                found.append(f"{path}.{key}")
            found += grading_keys(value, f"{path}.{key}")
    elif isinstance(document, list):
        for i, value in enumerate(document):
            found += grading_keys(value, f"{path}[{i}]")
    return found


@pytest.fixture
def ids() -> dict[str, str]:
    """The person ids the `auth` fixture signs tokens for."""
    return {
        "trainer": TRAINER,
        "other_trainer": OTHER_TRAINER,
        "admin": ADMIN,
        "learner": LEARNER,
        "other_learner": OTHER_LEARNER,
        "supervisor": SUPERVISOR,
        "big_boss": BIG_BOSS,
    }


@pytest.fixture
def secrecy() -> Callable[[Any], list[str]]:
    """grading_keys(document): paths of answer/grading data found in a response."""
    return grading_keys

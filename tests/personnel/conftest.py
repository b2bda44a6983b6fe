"""Personnel test fixtures: an app on a throw-away migrated database, clients, tokens."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from cakap_shared.testing import (
    as_role,
    as_service,
    empty_tables,
    migrated_app,
    rsa_keypair,
)
from flask import Flask
from flask.testing import FlaskClient
from personnel_service import create_app
from personnel_service.domain.competencies import seed_managerial_standard
from personnel_service.extensions import db


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The personnel app, schema built by its migrations."""
    with migrated_app(
        "personnel",
        create_app,
        db,
        tmp_path_factory.mktemp("personnel"),
        JWT_PRIVATE_KEY=rsa_keypair()[0],
        SERVICE_SECRET="s3cret",
        SERVICE_URLS={"catalog": "http://catalog.invalid"},
    ) as application:
        yield application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client on empty tables (but for the managerial standard the migration seeds)."""
    with app.app_context():
        empty_tables(db)
        seed_managerial_standard()
        db.session.commit()
    return app.test_client()


# ---- a small organisation for API tests ----

ORG_NIPS = {
    "kadis": "197001012000011001",  # head of the agency
    "kabid": "198203142008031001",  # below kadis
    "staff": "199507212019022002",  # below kabid
    "other": "198805052012032003",  # another agency, nobody's relation
    "peer": "199001012015011004",  # below kadis, beside kabid
}


_ORG_NAMESPACE = uuid.UUID("0b7e4a8e-2f7c-4d61-9a1e-5d3c8f1a2b44")


def org_id(key: str) -> str:
    """Stable ids for the test organisation, so tokens can be minted once per session."""
    return str(uuid.uuid5(_ORG_NAMESPACE, key))


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    """argon2id with tiny cost in tests: the sign-in tests hash and verify hundreds of times."""
    from argon2 import PasswordHasher
    from personnel_service.domain import passwords

    real, real_dummy = passwords._hasher, passwords._DUMMY_HASH
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    passwords._DUMMY_HASH = passwords._hasher.hash("not-a-real-password")
    yield
    passwords._hasher, passwords._DUMMY_HASH = real, real_dummy


class Org:
    """Ids of the test organisation's people, and a way to call as each of them."""

    def __init__(self, client: FlaskClient, ids: dict[str, str]) -> None:
        self.client = client
        self.ids = ids
        self.nips = ORG_NIPS

    def headers(self, who: str, roles: list[str] | None = None) -> dict[str, str]:
        """Authorization as `who` (a key of ids, or "service")."""
        if who == "service":
            return as_service("catalog", "personnel")
        default = {"admin": ["admin"], "trainer": ["trainer"], "kadis": ["asn", "supervisor"],
                   "kabid": ["asn", "supervisor"]}.get(who, ["asn"])  # fmt: skip
        return as_role(*(roles or default), sub=self.ids[who], username=who)

    def get(self, path: str, who: str = "admin", **kw: Any) -> Any:
        return self.client.get(path, headers=self.headers(who), **kw)

    def post(self, path: str, who: str = "admin", **kw: Any) -> Any:
        return self.client.post(path, headers=self.headers(who), **kw)

    def patch(self, path: str, who: str = "admin", **kw: Any) -> Any:
        return self.client.patch(path, headers=self.headers(who), **kw)

    def put(self, path: str, who: str = "admin", **kw: Any) -> Any:
        return self.client.put(path, headers=self.headers(who), **kw)


@pytest.fixture
def org(app: Flask, client: FlaskClient) -> Org:
    """Units OPD-A (with OPD-A-SUB) and OPD-B; kadis > kabid > staff, kadis > peer; other in B."""
    from personnel_service.domain.nip import parse_nip
    from personnel_service.models import Person, PersonUnitHistory, Unit

    with app.app_context():
        db.session.add_all(
            [
                Unit(code="OPD-A", name="Dinas A"),
                Unit(code="OPD-A-SUB", name="Bidang A1", parent_code="OPD-A"),
                Unit(code="OPD-B", name="Dinas B"),
            ]
        )
        db.session.flush()
        ids: dict[str, str] = {}
        layout = [
            ("kadis", "OPD-A", None, "Kepala Dinas A", "jpt_pratama", "IV/c"),
            ("kabid", "OPD-A-SUB", "kadis", "Kepala Bidang A1", "administrator", "IV/a"),
            ("staff", "OPD-A-SUB", "kabid", "Pranata Komputer Ahli Pertama", "fungsional", "III/a"),
            ("peer", "OPD-A", "kadis", "Analis Kebijakan Ahli Muda", "fungsional", "III/c"),
            ("other", "OPD-B", None, "Pengadministrasi Perkantoran", "pelaksana", "II/c"),
        ]
        for key, unit, boss, position, kind, grade in layout:
            nip = ORG_NIPS[key]
            info = parse_nip(nip, date.today())
            person = Person(
                id=org_id(key),
                nip=nip, name=key.title(), unit_code=unit, position=position, position_type=kind,
                grade=grade, employment_type="PNS", birth_date=info.birth_date, sex=info.sex,
                supervisor_id=ids.get(boss) if boss else None, status="active",
            )  # fmt: skip
            db.session.add(person)
            db.session.flush()
            ids[key] = person.id
            db.session.add(
                PersonUnitHistory(person_id=person.id, unit_code=unit, from_date=date(2020, 1, 1))
            )
        for key in ("admin", "trainer"):
            person = Person(id=org_id(key), name=key.title(), status="active")
            db.session.add(person)
            db.session.flush()
            ids[key] = person.id
        db.session.commit()
    return Org(client, ids)


@pytest.fixture
def outbox(app: Flask) -> Callable[[], list[dict[str, Any]]]:
    """The person.updated events in the outbox, oldest first."""
    import json

    from personnel_service.models import OutboxEvent

    def read() -> list[dict[str, Any]]:
        with app.app_context():
            rows = db.session.scalars(db.select(OutboxEvent).order_by(OutboxEvent.seq)).all()
            return [{"type": r.type, "data": json.loads(r.data)} for r in rows]

    return read

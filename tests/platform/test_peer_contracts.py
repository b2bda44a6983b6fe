"""Every call a service makes to a peer, checked against the peer (issue 11).

Each peer client is pointed at the REAL peer app (catalog, personnel) on a migrated
throwaway database, through `ContractTransport`: the request and the answer are checked
against the OpenAPI document the peer app itself serves in this run. A field the peer
refuses, a path or method it does not have, or an answer outside its spec fails here,
where each service's own tests (which stub their peers) cannot see it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from cakap_shared.http import ServiceClient
from cakap_shared.testing import (
    ContractTransport,
    PeerContractError,
    as_role,
    migrated_app,
    rsa_keypair,
    service_test_config,
    service_token,
)
from flask import Flask

TODAY = date.today()
LEARNER = "7c0f2b1e-0000-4000-8000-000000000001"
SUPERVISOR = "7c0f2b1e-0000-4000-8000-000000000002"
HEAD = "7c0f2b1e-0000-4000-8000-000000000003"
TRAINER = "7c0f2b1e-0000-4000-8000-000000000004"
MODULE = "7c0f2b1e-0000-4000-8000-0000000000a1"
POST_TEST = "7c0f2b1e-0000-4000-8000-0000000000b1"
UNIT, SUB_UNIT = "OPD-KONTRAK", "OPD-KONTRAK-SUB"
LEARNER_NIP = "199507212019022002"


def _ok(answer: Any, status: int = 200) -> Any:
    assert answer.status_code == status, (answer.status_code, answer.get_json())
    return answer.get_json()


# --- the peers, with data the calls can find ---------------------------------------


@pytest.fixture(scope="module")
def personnel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """Personnel: a unit and sub-unit, head > supervisor > learner, and one account mail."""
    from personnel_service import create_app
    from personnel_service.domain.nip import parse_nip
    from personnel_service.extensions import db
    from personnel_service.models import OutboxEvent, Person, PersonUnitHistory, Unit

    with migrated_app(
        "personnel", create_app, db, tmp_path_factory.mktemp("personnel"),
        JWT_PRIVATE_KEY=rsa_keypair()[0],
    ) as app:  # fmt: skip
        with app.app_context():
            db.session.add_all([Unit(code=UNIT, name="Dinas Kontrak"),
                                Unit(code=SUB_UNIT, name="Bidang", parent_code=UNIT)])  # fmt: skip
            db.session.flush()
            layout = [
                (HEAD, "Kepala Dinas", UNIT, None, "jpt_pratama", "197001012000011001"),
                (SUPERVISOR, "Kepala Bidang", SUB_UNIT, HEAD, "administrator",
                 "198203142008031001"),
                (LEARNER, "Nyimas Ayu Lestari", SUB_UNIT, SUPERVISOR, "fungsional", LEARNER_NIP),
            ]  # fmt: skip
            for person_id, name, unit, boss, kind, nip in layout:
                info = parse_nip(nip, TODAY)
                db.session.add(Person(
                    id=person_id, nip=nip, name=name, unit_code=unit, supervisor_id=boss,
                    position=name, position_type=kind, grade="III/a", employment_type="PNS",
                    birth_date=info.birth_date, sex=info.sex, status="active",
                    email=f"{nip}@kota.go.id",
                ))  # fmt: skip
                db.session.flush()
                db.session.add(
                    PersonUnitHistory(
                        person_id=person_id, unit_code=unit, from_date=date(2020, 1, 1)
                    )
                )
            db.session.commit()
        client = app.test_client()
        _ok(client.post(f"/api/v1/people/{LEARNER}/activation-mail", headers=as_role("admin")), 202)
        with app.app_context():
            rows = db.session.scalars(
                db.select(OutboxEvent).where(OutboxEvent.type == "account.mail_requested")
            ).all()
            [mail_id] = [json.loads(row.data)["mail_id"] for row in rows]
        yield SimpleNamespace(app=app, mail_id=mail_id, transport=ContractTransport(app))


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """Catalog: a published course (a module, a post test) with one class the learner is in."""
    from catalog_service import create_app
    from catalog_service.extensions import db

    with migrated_app("catalog", create_app, db, tmp_path_factory.mktemp("catalog")) as app:
        client = app.test_client()
        admin = as_role("admin")
        body = {"code": "M-KOM", "name": "Komunikasi", "type": "manajerial"}
        _ok(client.post("/api/v1/competencies", json=body, headers=admin), 201)
        course = _ok(client.post("/api/v1/courses", headers=admin, json={
            "code": "KOM-201", "title": "Komunikasi Efektif", "description": "", "jp": 10,
            "competencies": [{"code": "M-KOM", "level": 2}], "module_ids": [MODULE],
            "post_test_id": POST_TEST, "min_attendance_percent": None,
            "cost_per_participant": 500_000,
        }), 201)  # fmt: skip
        _ok(client.post(f"/api/v1/courses/{course['id']}/publish", headers=admin))
        klass = _ok(client.post(f"/api/v1/courses/{course['id']}/classes", headers=admin, json={
            "name": "Angkatan I", "capacity": 10, "trainer_ids": [TRAINER],
            "starts_on": (TODAY + timedelta(days=10)).isoformat(),
            "ends_on": (TODAY + timedelta(days=12)).isoformat(),
            "enrolment_opens_on": (TODAY - timedelta(days=5)).isoformat(),
            "enrolment_closes_on": (TODAY + timedelta(days=5)).isoformat(),
        }), 201)  # fmt: skip
        learner = as_role("asn", sub=LEARNER, unit_code=SUB_UNIT, supervisor_id=SUPERVISOR)
        enrolment = _ok(
            client.post("/api/v1/enrolments", json={"class_id": klass["id"]}, headers=learner), 201
        )
        override = {"override_reason": "Anggaran menyusul"}  # the unit has no budget here
        _ok(client.post(f"/api/v1/enrolments/{enrolment['id']}/approve", json=override,
                        headers=admin))  # fmt: skip
        yield SimpleNamespace(app=app, course=course, klass=klass, transport=ContractTransport(app))


# --- the callers, their clients pointed at the peers -------------------------------


def caller_app(
    service: str, create_app: Callable[[dict[str, Any]], Flask], *peers: SimpleNamespace, **config
) -> Flask:
    """A caller with the test service tokens; its peers answered by their ContractTransport."""
    urls = {peer.app.config["SERVICE_NAME"]: f"http://{peer.app.config['SERVICE_NAME']}.test"
            for peer in peers}  # fmt: skip
    app = create_app(service_test_config(service, "sqlite://", SERVICE_URLS=urls, **config))
    app.extensions["cakap_service_tokens"] = lambda audience: service_token(service, audience)
    return app


def mount(client: ServiceClient, peer: SimpleNamespace) -> ServiceClient:
    """Send the client's calls to the peer app through its contract check."""
    client.session.mount(client.base_url, peer.transport)
    return client


@pytest.fixture
def checked(personnel: SimpleNamespace, catalog: SimpleNamespace) -> Iterator[None]:
    """Fail the test on any call a peer's spec refused, even one a client swallowed."""
    personnel.transport.violations.clear()
    catalog.transport.violations.clear()
    yield
    personnel.transport.assert_clean()
    catalog.transport.assert_clean()


pytestmark = pytest.mark.usefixtures("checked")


# --- the check itself ----------------------------------------------------------------


def test_a_call_outside_the_peer_spec_fails_with_what_was_wrong(personnel):
    client = ServiceClient("http://personnel.test", "personnel", None)
    mount(client, personnel)
    with pytest.raises(PeerContractError, match="/api/v1/no-such-route"):
        client.get_json("/api/v1/no-such-route")
    bad = {"reason": "Rajin", "basis": "improvement", "not_a_field": 1}
    tokens = lambda _aud: service_token("evaluation", "personnel")  # noqa: E731
    client = mount(ServiceClient("http://personnel.test", "personnel", tokens), personnel)
    with pytest.raises(PeerContractError, match="not_a_field"):
        client.post_json(f"/api/v1/people/{LEARNER}/appreciations", bad)
    with pytest.raises(PeerContractError, match="reason"):
        client.post_json(f"/api/v1/people/{LEARNER}/appreciations", {"basis": "improvement"})
    with pytest.raises(PeerContractError, match="DELETE"):
        client.session.delete(f"http://personnel.test/api/v1/people/{LEARNER}/jp")
    with pytest.raises(PeerContractError, match="undeclared query parameter 'unit'"):
        client.get_json("/api/v1/people", unit=UNIT)  # personnel's filter is unit_code
    assert len(personnel.transport.violations) == 5
    personnel.transport.violations.clear()


def test_an_answer_outside_the_peer_spec_fails_too():
    """A peer whose code answers other than its own document says."""
    peer = Flask("peer")
    spec = {"openapi": "3.0.3", "info": {"title": "peer", "version": "1"}, "paths": {
        "/api/v1/things/{id}": {"get": {
            "parameters": [{"in": "path", "name": "id", "required": True,
                            "schema": {"type": "string"}}],
            "responses": {"200": {"description": "OK", "content": {"application/json": {
                "schema": {"type": "object", "required": ["id"],
                           "properties": {"id": {"type": "string"}}}}}}}}}}}  # fmt: skip
    peer.add_url_rule("/api/openapi.json", "spec", lambda: spec)
    peer.add_url_rule("/api/v1/things/<id>", "thing", lambda id: {"name": id})
    transport = ContractTransport(peer)
    client = mount(ServiceClient("http://peer.test", "peer", None), SimpleNamespace(
        transport=transport))  # fmt: skip
    with pytest.raises(PeerContractError, match=r"answer 200 to GET /api/v1/things/x.*'id'"):
        client.get_json("/api/v1/things/x")


# --- elearning -> catalog --------------------------------------------------------------


def test_elearning_catalog_client(catalog):
    from elearning_service import create_app
    from elearning_service.clients.catalog import HttpCatalog

    app = caller_app("elearning", create_app, catalog, LAUNCH_SECRET="x")
    with app.app_context():
        gateway = HttpCatalog(app)
        mount(gateway._http(), catalog)
        access = gateway.learning_access(LEARNER, MODULE)
        assert access["allowed"] is True and catalog.klass["id"] in access["class_ids"]
        assert gateway.learning_access(TRAINER, MODULE)["allowed"] is False
        roster = gateway.roster(catalog.klass["id"])
        assert [r.get("learner_id") or r.get("id") for r in roster["items"]] == [LEARNER]
        assert gateway.roster(str(uuid.uuid4())) is None
        assert gateway.course_class(catalog.klass["id"])["trainer_ids"] == [TRAINER]
        assert gateway.course_class(str(uuid.uuid4())) is None
        assert gateway.course(catalog.course["id"])["module_ids"] == [MODULE]
        assert gateway.course(str(uuid.uuid4())) is None


# --- evaluation -> catalog, personnel ----------------------------------------------------


@pytest.fixture(scope="module")
def evaluation(personnel, catalog) -> Flask:
    from evaluation_service import create_app

    return caller_app("evaluation", create_app, personnel, catalog)


def evaluation_peers(app: Flask, personnel, catalog) -> None:
    from evaluation_service.clients._peer import peer

    mount(peer("catalog"), catalog)
    mount(peer("personnel"), personnel)


def test_evaluation_catalog_client(evaluation, personnel, catalog):
    from evaluation_service.clients import catalog as client

    with evaluation.app_context():
        evaluation_peers(evaluation, personnel, catalog)
        access = client.learning_access(LEARNER, POST_TEST)
        assert access["allowed"] is True and catalog.course["id"] in access["course_ids"]
        assert client.learning_access(TRAINER, POST_TEST)["allowed"] is False


def test_evaluation_personnel_reads(evaluation, personnel, catalog):
    from evaluation_service.clients import personnel as client

    with evaluation.app_context():
        evaluation_peers(evaluation, personnel, catalog)
        assert client.person(LEARNER)["name"] == "Nyimas Ayu Lestari"
        assert client.person(str(uuid.uuid4())) is None
        assert [p["id"] for p in client.supervisors(LEARNER)] == [SUPERVISOR, HEAD]
        assert client.supervisors(str(uuid.uuid4())) == []


def test_evaluation_sends_the_apresiasi_personnel_accepts(
    evaluation, personnel, catalog, monkeypatch
):
    """The body the impact evaluation really builds, sent with the supervisor's own token."""
    from evaluation_service.clients import personnel as client
    from evaluation_service.domain.impact import _forward_appreciation

    def checked_client(*args: Any) -> ServiceClient:
        return mount(ServiceClient(*args), personnel)

    monkeypatch.setattr(client, "ServiceClient", checked_client)
    supervisor = as_role("asn", "supervisor", sub=SUPERVISOR)["Authorization"].split()[1]
    evaluated = SimpleNamespace(learner_id=LEARNER, course_title="Komunikasi Efektif")
    form = {"title": "Layanan lebih cepat", "description": "Antrian turun separuh"}
    with evaluation.app_context(), evaluation.test_request_context():
        evaluation_peers(evaluation, personnel, catalog)
        given = _forward_appreciation(evaluated, form, supervisor)
        assert given["to_name"] == "Nyimas Ayu Lestari"
        assert "Layanan lebih cepat" in given["reason"]
        status, answer = client.appreciation(LEARNER, {"reason": "Rajin"}, supervisor)
        assert status == 201 and answer["reason"] == "Rajin"


# --- planning -> catalog, personnel ------------------------------------------------------


@pytest.fixture(scope="module")
def planning(personnel, catalog) -> Flask:
    from planning_service import create_app
    from planning_service.clients._peer import peer

    app = caller_app("planning", create_app, personnel, catalog)
    with app.app_context():
        mount(peer("catalog"), catalog)
        mount(peer("personnel"), personnel)
    return app


def test_planning_catalog_client(planning, catalog):
    from planning_service.clients import catalog as client

    with planning.app_context():
        [offer] = client.classes_of_year(int(catalog.klass["starts_on"][:4]))
        assert (offer.id, offer.course_code, offer.cost) == (
            catalog.klass["id"],
            "KOM-201",
            500_000,
        )
        assert offer.levels == {"M-KOM": 2}
        assert client.classes_of_year(2001) == []
        items = [{"class_id": catalog.klass["id"], "learner_id": HEAD, "learner_name": "Kepala",
                  "unit_code": UNIT, "supervisor_id": None}]  # fmt: skip
        [result] = client.request_planned(f"plan:{uuid.uuid4()}", items)
        assert result["created"] is True and result["enrolment_id"]


def test_planning_personnel_client(planning):
    from planning_service.clients import personnel as client

    with planning.app_context():
        assert client.unit_exists(UNIT) is True
        assert client.unit_exists("NO-SUCH-UNIT") is False
        needs = {p.id: p for p in client.development_needs(UNIT, TODAY.year)}
        assert set(needs) == {HEAD, SUPERVISOR, LEARNER}
        assert needs[LEARNER].supervisor_id == SUPERVISOR and needs[LEARNER].jp_target > 0
        everyone = client.development_needs(None, TODAY.year)
        assert {p.id for p in everyone} == {HEAD, SUPERVISOR, LEARNER}


# --- notification -> personnel -------------------------------------------------------------


def test_notification_personnel_client(personnel):
    from notification_service import create_app
    from notification_service.clients import personnel as client

    app = caller_app("notification", create_app, personnel)
    with app.app_context():
        mount(client._client(), personnel)
        found = client.person(LEARNER)
        assert found["name"] == "Nyimas Ayu Lestari" and found["unit_code"] == SUB_UNIT
        assert found["email"] == f"{LEARNER_NIP}@kota.go.id" and found["status"] == "active"
        assert client.person(str(uuid.uuid4())) is None
        mail = client.account_mail_code(personnel.mail_id)
        assert mail["username"] == LEARNER_NIP and mail["code"]
        with pytest.raises(client.MailGone):
            client.account_mail_code(str(uuid.uuid4()))
        assert client.supervisor_ids(LEARNER) == [SUPERVISOR, HEAD]
        assert client.supervisor_ids(str(uuid.uuid4())) is None
        jp = client.jp_summary(LEARNER)
        assert jp is not None and jp["year"] == TODAY.year and jp["target"] > 0
        assert client.jp_summary(str(uuid.uuid4())) is None
        assert client.unit_exists(UNIT) is True and client.unit_exists("NO-SUCH-UNIT") is False
        page = client.people_in(UNIT, 1)
        assert {p["id"] for p in page["items"]} == {HEAD, SUPERVISOR, LEARNER}
        assert {p["id"] for p in client.people_in(None, 1)["items"]} >= {LEARNER}


# --- catalog -> personnel ----------------------------------------------------------------


def test_catalog_personnel_client(personnel):
    from catalog_service import create_app
    from catalog_service.clients import personnel as client

    app = caller_app("catalog", create_app, personnel)
    with app.app_context():
        mount(client.client(), personnel)
        gaps = client.competency_gaps(LEARNER)
        assert gaps and all(g["gap"] == g["required"] - g["current"] for g in gaps)
        assert client.competency_gaps(str(uuid.uuid4())) is None
        assert client.supervisor_ids(LEARNER) == [SUPERVISOR, HEAD]
        assert client.supervisor_ids(str(uuid.uuid4())) == []

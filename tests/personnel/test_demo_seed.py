"""The demo data set: the contract's accounts, derived ids, heads with logins, a JP spread."""

from __future__ import annotations

from cakap_shared.testing import bearer
from personnel_service.demo import DEMO_PASSWORD, demo_person_id, seed_demo
from personnel_service.demo_people import DEMO_ASN_NIP, DEMO_SUPERVISOR_NIP, demo_people
from personnel_service.extensions import db


def sign_in(client, username):
    response = client.post(
        "/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200, username
    return bearer(response.get_json()["access_token"])


def test_demo_seeds_once_with_the_contract_people(app, client):
    with app.app_context():
        assert seed_demo() is True
        assert seed_demo() is False
    atasan = client.get("/api/v1/me", headers=sign_in(client, "atasan")).get_json()
    assert atasan["id"] == demo_person_id(DEMO_SUPERVISOR_NIP)
    assert atasan["roles"] == ["asn", "supervisor"] and atasan["unit_code"] == "DISKOMINFO-APTIKA"
    pegawai = client.get("/api/v1/me", headers=sign_in(client, "pegawai")).get_json()
    assert pegawai["supervisor_id"] == atasan["id"] and pegawai["roles"] == ["asn"]
    assert client.get("/api/v1/me", headers=sign_in(client, "admin")).get_json()["id"] == (
        demo_person_id("admin")
    )
    sign_in(client, "trainer")
    # Every head with staff signs in with their NIP.
    heads = {p.supervisor_nip for p in demo_people() if p.supervisor_nip} - {DEMO_SUPERVISOR_NIP}
    sign_in(client, sorted(heads)[0])


def test_demo_reports_show_a_spread(app, client):
    with app.app_context():
        seed_demo()
    admin = sign_in(client, "admin")
    report = client.get("/api/v1/units/DISKOMINFO/compliance", headers=admin).get_json()
    assert 0 < report["below_target"] < report["people"]
    jp = client.get(f"/api/v1/people/{demo_person_id(DEMO_ASN_NIP)}/jp", headers=admin).get_json()
    assert jp["earned"] == 8 and jp["target"] == 20
    gaps = client.get(
        f"/api/v1/people/{demo_person_id(DEMO_ASN_NIP)}/competency-gaps", headers=admin
    ).get_json()
    assert len(gaps["items"]) == 9
    with app.app_context():
        db.session.remove()


def test_openapi_document_builds(client):
    spec = client.get("/api/openapi.json").get_json()
    assert "/api/v1/people/{person_id}/jp" in spec["paths"]
    assert "/api/v1/people/import" in spec["paths"]

"""People API: create with field checks, read, change with history, cycles, person.updated."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from cakap_shared.testing import backend
from personnel_service.extensions import db

NEW = "199203042016022005"


def body(**over):
    data = {"nip": NEW, "name": "Dewi Lestari, S.Kom.", "unit_code": "OPD-A-SUB",
            "position": "Pranata Komputer Ahli Pertama", "grade": "III/a"}  # fmt: skip
    data.update(over)
    return data


def test_admin_creates_a_person_with_derived_birth_date_and_sex(org, outbox):
    response = org.post("/api/v1/people", json=body(supervisor_nip=org.nips["kabid"]))
    assert response.status_code == 201, response.get_json()
    person = response.get_json()
    assert person["nip"] == NEW
    assert person["birth_date"] == "1992-03-04" and person["sex"] == "F"
    assert person["grade"] == "III/a" and person["pangkat"] == "Penata Muda"
    assert person["employment_type"] == "PNS"
    assert person["supervisor_id"] == org.ids["kabid"]
    assert person["unit_history"][0]["unit_code"] == "OPD-A-SUB"
    assert outbox()[-1] == {
        "type": "person.updated",
        "data": {"person_id": person["id"], "name": "Dewi Lestari, S.Kom.",
                 "unit_code": "OPD-A-SUB", "supervisor_id": org.ids["kabid"],
                 "position": "Pranata Komputer Ahli Pertama", "grade": "III/a",
                 "status": "active", "email": None},
    }  # fmt: skip


@pytest.mark.parametrize(
    "nip",
    [
        "19920304201602200",  # 17 digits
        "1992030420160220051",  # 19 digits
        "19920230201602100 5",  # a space
        "199202302016022005",  # 30 February
        "199213042016022005",  # month 13
        "199203042009022005",  # appointed at 16
        "199203042016023005",  # sex digit 3
        "199203042016020005",  # sex digit 0
        "199203042099012005",  # appointment in the future
        "199203042016132005",  # appointment month 13
        "abcdefghijklmnopqr",
        "",
    ],
)
def test_invalid_nip_is_422_naming_nip(org, nip):
    response = org.post("/api/v1/people", json=body(nip=nip))
    assert response.status_code == 422
    problem = response.get_json()
    assert "nip" in problem["errors"], problem
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"grade": "V/a"}, "grade"),
        ({"grade": "IX"}, "grade"),  # a PPPK grade for a PNS
        ({"grade": "III/a", "employment_type": "PPPK"}, "grade"),
        ({"unit_code": "NOWHERE"}, "unit_code"),
        ({"supervisor_nip": "198001012005011099"}, "supervisor_nip"),  # valid, unknown
        ({"supervisor_nip": "12345"}, "supervisor_nip"),
        ({"supervisor_nip": NEW}, "supervisor_nip"),  # themself
        ({"status": "fired"}, "status"),
        ({"position_type": "boss"}, "position_type"),
        ({"roles": ["emperor"]}, "roles.0"),
    ],
)
def test_invalid_fields_are_422_naming_the_field(org, over, field):
    response = org.post("/api/v1/people", json=body(**over))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_pppk_grade_is_accepted_for_pppk(org):
    response = org.post("/api/v1/people", json=body(grade="9", employment_type="pppk"))
    assert response.status_code == 201
    assert response.get_json()["grade"] == "IX"


def test_duplicate_nip_is_409_and_nothing_changes(org, outbox):
    before = len(outbox())
    response = org.post("/api/v1/people", json=body(nip=org.nips["staff"]))
    assert response.status_code == 409
    assert len(outbox()) == before


def test_created_account_signs_in_with_nip(org):
    created = org.post("/api/v1/people", json=body(password="rahasia-123", roles=["asn"]))
    assert created.status_code == 201
    token = org.client.post("/api/v1/auth/token", json={"username": NEW, "password": "rahasia-123"})
    assert token.status_code == 200


def test_non_asn_trainer_without_nip_needs_username(org):
    response = org.post(
        "/api/v1/people",
        json={"name": "Budi Widyaiswara", "roles": ["trainer"], "password": "x" * 10},
    )
    assert response.status_code == 422 and "username" in response.get_json()["errors"]
    response = org.post(
        "/api/v1/people",
        json={"name": "Budi Widyaiswara", "roles": ["trainer"], "password": "x" * 10,
              "username": "budi"},
    )  # fmt: skip
    assert response.status_code == 201
    assert response.get_json()["nip"] is None


def test_move_unit_keeps_history_and_publishes(org, outbox):
    staff = org.ids["staff"]
    response = org.patch(
        f"/api/v1/people/{staff}", json={"unit_code": "OPD-B", "moved_on": "2024-07-01"}
    )
    assert response.status_code == 200, response.get_json()
    history = response.get_json()["unit_history"]
    assert history == [
        {"unit_code": "OPD-A-SUB", "from_date": "2020-01-01", "to_date": "2024-07-01"},
        {"unit_code": "OPD-B", "from_date": "2024-07-01", "to_date": None},
    ]
    event = outbox()[-1]
    assert event["data"]["person_id"] == staff and event["data"]["unit_code"] == "OPD-B"


def test_patch_without_published_change_publishes_nothing(org, outbox):
    before = len(outbox())
    response = org.patch(f"/api/v1/people/{org.ids['staff']}", json={"position_type": "fungsional"})
    assert response.status_code == 200, response.get_json()
    assert len(outbox()) == before


def test_an_email_change_is_published_for_notifications(org, outbox):
    before = len(outbox())
    response = org.patch(f"/api/v1/people/{org.ids['staff']}", json={"email": "s@kota.go.id"})
    assert response.status_code == 200
    [event] = outbox()[before:]
    assert event["data"]["email"] == "s@kota.go.id"


def test_supervisor_cycle_is_422_and_nothing_is_written(org, outbox):
    before = len(outbox())
    # kadis > kabid > staff: making staff the supervisor of kadis closes a loop.
    response = org.patch(
        f"/api/v1/people/{org.ids['kadis']}",
        json={"supervisor_nip": org.nips["staff"], "name": "Renamed"},
    )
    assert response.status_code == 422
    assert "supervisor_nip" in response.get_json()["errors"]
    assert len(outbox()) == before
    assert org.get(f"/api/v1/people/{org.ids['kadis']}").get_json()["name"] == "Kadis"


@pytest.mark.skipif(backend() != "postgres", reason="row and advisory locks are PostgreSQL's")
def test_two_supervisor_changes_at_once_cannot_close_a_loop(app, org):
    """peer under other, checked while other under peer is being written: one is refused."""
    from personnel_service.domain.people import SUPERVISOR_LINE_LOCK
    from sqlalchemy import text

    with app.app_context():
        other = db.engine.connect()
    try:
        # Another admin's change in flight: other goes under peer (checked, not committed).
        in_flight = other.begin()
        other.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SUPERVISOR_LINE_LOCK})
        other.execute(
            text("UPDATE people SET supervisor_id = :boss WHERE id = :id"),
            {"boss": org.ids["peer"], "id": org.ids["other"]},
        )
        answers: dict[str, Any] = {}

        def change() -> None:
            answers["response"] = org.patch(
                f"/api/v1/people/{org.ids['peer']}", json={"supervisor_id": org.ids["other"]}
            )

        admin = threading.Thread(target=change)
        admin.start()
        admin.join(timeout=1.0)
        assert admin.is_alive(), "the second change did not wait for the first"
        in_flight.commit()
        admin.join(timeout=10)
    finally:
        other.close()
    refused = answers["response"]
    assert refused.status_code == 422 and "supervisor_id" in refused.get_json()["errors"]


def test_own_supervisor_is_422(org):
    response = org.patch(
        f"/api/v1/people/{org.ids['kabid']}", json={"supervisor_id": org.ids["kabid"]}
    )
    assert response.status_code == 422 and "supervisor_id" in response.get_json()["errors"]


def test_change_supervisor_and_status(org, outbox):
    response = org.patch(
        f"/api/v1/people/{org.ids['staff']}",
        json={"supervisor_nip": org.nips["peer"], "status": "cuti"},
    )
    assert response.status_code == 200
    person = response.get_json()
    assert person["supervisor_id"] == org.ids["peer"] and person["status"] == "on_leave"
    data = outbox()[-1]["data"]
    assert data["supervisor_id"] == org.ids["peer"] and data["status"] == "on_leave"


def test_person_updated_is_in_the_same_transaction(app, org, monkeypatch):
    """If the commit fails, neither the change nor its event is kept."""
    from personnel_service.extensions import db
    from personnel_service.models import OutboxEvent, Person

    def boom():
        raise RuntimeError("disk full")

    with app.app_context():
        before = db.session.query(OutboxEvent).count()
    monkeypatch.setattr(db.session, "commit", boom, raising=False)
    response = org.patch(f"/api/v1/people/{org.ids['staff']}", json={"name": "Changed"})
    monkeypatch.undo()
    assert response.status_code == 500
    with app.app_context():
        db.session.remove()
        assert db.session.query(OutboxEvent).count() == before
        assert db.session.get(Person, org.ids["staff"]).name == "Staff"


def test_list_is_paginated_and_searchable(org):
    everyone = org.get("/api/v1/people?per_page=2").get_json()
    assert everyone["total"] == 7 and len(everyone["items"]) == 2 and everyone["per_page"] == 2
    found = org.get("/api/v1/people?q=kab").get_json()
    assert [p["name"] for p in found["items"]] == ["Kabid"]
    assert org.get("/api/v1/people?per_page=500").get_json()["per_page"] == 100


def test_supervisor_lists_direct_and_indirect_subordinates_without_nip(org):
    page = org.get("/api/v1/people", who="kadis").get_json()
    names = sorted(p["name"] for p in page["items"])
    assert names == ["Kabid", "Kadis", "Peer", "Staff"]
    staff = next(p for p in page["items"] if p["name"] == "Staff")
    assert "nip" not in staff and "birth_date" not in staff
    mine = next(p for p in page["items"] if p["name"] == "Kadis")
    assert mine["nip"] == org.nips["kadis"]


def test_asn_lists_only_themself(org):
    page = org.get("/api/v1/people", who="staff").get_json()
    assert [p["id"] for p in page["items"]] == [org.ids["staff"]]


def test_supervisor_chain_direct_first(org):
    chain = org.get(f"/api/v1/people/{org.ids['staff']}/supervisors", who="service").get_json()
    assert [p["id"] for p in chain["items"]] == [org.ids["kabid"], org.ids["kadis"]]


def test_units_tree_and_duplicates(org):
    tree = org.get("/api/v1/units", who="staff").get_json()
    top = {u["code"]: u for u in tree["items"]}
    assert [c["code"] for c in top["OPD-A"]["children"]] == ["OPD-A-SUB"]
    assert org.post("/api/v1/units", json={"code": "OPD-A", "name": "x"}).status_code == 409
    bad = org.post("/api/v1/units", json={"code": "X", "name": "x", "parent_code": "NOPE"})
    assert bad.status_code == 422 and "parent_code" in bad.get_json()["errors"]
    ok = org.post("/api/v1/units", json={"code": "OPD-A-SUB-2", "name": "Sub 2",
                                         "parent_code": "OPD-A"})  # fmt: skip
    assert ok.status_code == 201
    assert (
        org.post("/api/v1/units", who="kadis", json={"code": "Z", "name": "z"}).status_code == 403
    )


def test_appreciation_from_supervisor_shows_on_record(org):
    staff = org.ids["staff"]
    given = org.post(
        f"/api/v1/people/{staff}/appreciations", who="kadis", json={"reason": "SPBE award"}
    )
    assert given.status_code == 201
    assert given.get_json()["from_name"] == "Kadis"
    record = org.get(f"/api/v1/people/{staff}", who="staff").get_json()
    assert record["appreciations"][0]["reason"] == "SPBE award"
    assert (
        org.post(f"/api/v1/people/{staff}/appreciations", who="staff", json={"reason": "me!"})
    ).status_code == 403
    assert (
        org.post(f"/api/v1/people/{staff}/appreciations", who="other", json={"reason": "well done"})
    ).status_code == 404


def test_export_has_the_import_shape(org):
    response = org.get("/api/v1/people/export?format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = response.get_data().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("nip,name,unit_code,position,grade,supervisor_nip")
    staff_line = next(line for line in lines if line.startswith(org.nips["staff"]))
    assert org.nips["kabid"] in staff_line
    xlsx = org.get("/api/v1/people/export?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.get_data()[:2] == b"PK"
    assert org.get("/api/v1/people/export", who="kadis").status_code == 403

"""The OPD admin role: activation and account states for their own unit subtree, nothing else.

The test organisation: OPD-A (kadis, peer) with OPD-A-SUB (kabid, staff) below it; OPD-B
(other). kabid is made OPD admin of OPD-A-SUB, kadis of the whole OPD-A.
"""

from __future__ import annotations

import pytest

OPD_ADMIN = ["asn", "supervisor", "opd_admin"]


def as_opd_admin(org, who: str) -> dict[str, str]:
    return org.headers(who, OPD_ADMIN)


def test_opd_admin_issues_activation_for_their_own_subtree(org):
    response = org.client.post(
        f"/api/v1/people/{org.ids['staff']}/activation", headers=as_opd_admin(org, "kabid")
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["username"] == org.nips["staff"]

    sheet = org.client.post(
        "/api/v1/units/OPD-A-SUB/activations", headers=as_opd_admin(org, "kabid")
    )
    assert sheet.status_code == 201
    assert {row["nip"] for row in sheet.get_json()["items"]} == {
        org.nips["kabid"],
        org.nips["staff"],
    }
    account = org.client.get(
        f"/api/v1/people/{org.ids['staff']}/account", headers=as_opd_admin(org, "kabid")
    )
    assert account.status_code == 200 and account.get_json()["state"] == "pending"


def test_the_opd_admin_of_an_opd_reaches_its_sub_units(org):
    sheet = org.client.post("/api/v1/units/OPD-A/activations", headers=as_opd_admin(org, "kadis"))
    assert sheet.status_code == 201
    assert {row["nip"] for row in sheet.get_json()["items"]} == {
        org.nips[key] for key in ("kadis", "kabid", "staff", "peer")
    }


@pytest.mark.security
@pytest.mark.parametrize("target", ["peer", "other"])  # above their unit; another OPD
def test_opd_admin_cannot_act_on_people_outside_their_unit(org, target):
    headers = as_opd_admin(org, "kabid")
    person = org.ids[target]
    issued = org.client.post(f"/api/v1/people/{person}/activation", headers=headers)
    seen = org.client.get(f"/api/v1/people/{person}/account", headers=headers)
    assert issued.status_code == seen.status_code == 404
    # Nothing was written for them: no account, no code.
    assert org.get(f"/api/v1/people/{person}/account").get_json()["state"] == "none"


@pytest.mark.security
@pytest.mark.parametrize("unit", ["OPD-A", "OPD-B", "NO-SUCH-UNIT"])
def test_opd_admin_cannot_take_another_units_sheet_or_list(org, unit):
    headers = as_opd_admin(org, "kabid")
    sheet = org.client.post(f"/api/v1/units/{unit}/activations", headers=headers)
    listed = org.client.get(f"/api/v1/units/{unit}/accounts", headers=headers)
    assert sheet.status_code == listed.status_code == 403
    assert sheet.mimetype == "application/problem+json"
    assert sheet.get_json()["code"] == "unit-outside"
    assert org.get(f"/api/v1/people/{org.ids['other']}/account").get_json()["state"] == "none"


@pytest.mark.security
def test_opd_admin_cannot_lock_reset_or_take_an_imports_sheet(org):
    headers = as_opd_admin(org, "kabid")
    staff = org.ids["staff"]
    assert org.client.post(f"/api/v1/people/{staff}/deactivate", headers=headers).status_code == 403
    reset = org.client.post(f"/api/v1/people/{staff}/password-reset", headers=headers)
    assert reset.status_code == 403
    job = "00000000-0000-4000-8000-000000000000"
    imported = org.client.post(f"/api/v1/people/import-jobs/{job}/activations", headers=headers)
    assert imported.status_code == 403


@pytest.mark.security
def test_scope_follows_the_data_not_the_token(org):
    """An OPD admin moved to another OPD loses the old unit with the token they hold."""
    headers = as_opd_admin(org, "kabid")
    moved = org.patch(f"/api/v1/people/{org.ids['kabid']}", json={"unit_code": "OPD-B"})
    assert moved.status_code == 200, moved.get_json()
    issued = org.client.post(f"/api/v1/people/{org.ids['staff']}/activation", headers=headers)
    assert issued.status_code == 404
    other = org.client.post(f"/api/v1/people/{org.ids['other']}/activation", headers=headers)
    assert other.status_code == 201


@pytest.mark.security
def test_without_the_role_nobody_issues(org):
    for who in ("kabid", "staff", "trainer"):
        response = org.post(f"/api/v1/people/{org.ids['staff']}/activation", who=who)
        assert response.status_code in (403, 404), who
        sheet = org.post("/api/v1/units/OPD-A-SUB/activations", who=who)
        assert sheet.status_code == 403, who


def test_unit_accounts_lists_states_a_page_at_a_time(org):
    org.post(f"/api/v1/people/{org.ids['staff']}/activation")
    listed = org.client.get(
        "/api/v1/units/OPD-A-SUB/accounts?per_page=1", headers=as_opd_admin(org, "kabid")
    )
    assert listed.status_code == 200
    body = listed.get_json()
    assert body["total"] == 2 and len(body["items"]) == 1
    second = org.client.get(
        "/api/v1/units/OPD-A-SUB/accounts?per_page=1&page=2", headers=as_opd_admin(org, "kabid")
    ).get_json()
    states = {row["nip"]: row["state"] for row in body["items"] + second["items"]}
    assert states == {org.nips["kabid"]: "none", org.nips["staff"]: "pending"}
    assert org.get("/api/v1/units/NO-SUCH-UNIT/accounts").status_code == 404


def test_a_granted_role_signs_in_and_acts_within_its_unit(org):
    granted = org.patch(f"/api/v1/people/{org.ids['kabid']}", json={"roles": ["asn", "opd_admin"]})
    assert granted.status_code == 200, granted.get_json()
    code = org.post(f"/api/v1/people/{org.ids['kabid']}/activation").get_json()["code"]
    password = "kopi tubruk di tepi musi"
    activated = org.client.post(
        "/api/v1/auth/activate",
        json={"username": org.nips["kabid"], "code": code, "password": password},
    )
    assert activated.status_code == 200
    signed = org.client.post(
        "/api/v1/auth/token", json={"username": org.nips["kabid"], "password": password}
    ).get_json()
    headers = {"Authorization": f"Bearer {signed['access_token']}"}
    mine = org.client.post(f"/api/v1/people/{org.ids['staff']}/activation", headers=headers)
    theirs = org.client.post(f"/api/v1/people/{org.ids['other']}/activation", headers=headers)
    assert (mine.status_code, theirs.status_code) == (201, 404)

"""Accounts: activation, passwords, refresh-token rotation and reuse, logout, deactivation."""

from __future__ import annotations

import csv
import io
import logging
from datetime import timedelta

import jwt
import pytest
from cakap_shared.db import utcnow
from cakap_shared.testing import bearer, mint_token
from personnel_service.domain.password_policy import common_passwords, password_problems
from personnel_service.extensions import db

A = "198506152010011001"
B = "199002202014022002"
GOOD = "kopi tubruk di tepi musi"


def import_people(org, rows: str):
    data = ("nip,name,unit_code,position,grade,supervisor_nip\n" + rows).encode()
    response = org.post(
        "/api/v1/people/import",
        data={"file": (io.BytesIO(data), "people.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["errors"] == []


def sign_in(client, username, password, addr="10.0.0.1"):
    return client.post(
        "/api/v1/auth/token",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": addr},
    )


def activate(client, username, code, password=GOOD, addr="10.0.0.2"):
    return client.post(
        "/api/v1/auth/activate",
        json={"username": username, "code": code, "password": password},
        environ_base={"REMOTE_ADDR": addr},
    )


def issue(org, person_key: str):
    response = org.post(f"/api/v1/people/{org.ids[person_key]}/activation")
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def active_person(org, key: str = "staff", password: str = GOOD) -> str:
    """Activate an org person's account; their NIP (the login)."""
    code = issue(org, key)["code"]
    assert activate(org.client, org.nips[key], code, password).status_code == 200
    return org.nips[key]


# ---- accounts for everyone, activation ----


def test_imported_people_wait_for_activation_then_sign_in_by_nip(org):
    import_people(org, f"{A},Ahmad Fauzi,OPD-A,Kepala Bidang,IV/a,\n{B},Bayu,OPD-B,Staf,III/a,\n")
    assert sign_in(org.client, A, "anything-at-all").status_code == 401
    listed = org.get("/api/v1/people?q=ahmad").get_json()["items"][0]
    account = org.get(f"/api/v1/people/{listed['id']}/account").get_json()
    assert account["state"] == "pending" and account["username"] == A

    sheet = org.post("/api/v1/units/OPD-A/activations")
    assert sheet.status_code == 201
    items = {row["nip"]: row for row in sheet.get_json()["items"]}
    # OPD-A and its sub-unit: the imported A and the org's people below, not B of OPD-B.
    assert A in items and B not in items
    assert set(org.nips[k] for k in ("kadis", "kabid", "staff", "peer")) <= set(items)

    assert activate(org.client, A, items[A]["code"].lower().replace("-", " ")).status_code == 200
    signed = sign_in(org.client, A, GOOD)
    assert signed.status_code == 200, signed.get_json()
    body = signed.get_json()
    assert body["refresh_token"].startswith("rt_") and body["password_change_required"] is False
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["roles"] == ["asn"] and claims["username"] == A
    again = org.get(f"/api/v1/people/{listed['id']}/account").get_json()
    assert again["state"] == "active" and again["activated_at"]
    # Active people are not on the next sheet.
    nips = [r["nip"] for r in org.post("/api/v1/units/OPD-A/activations").get_json()["items"]]
    assert A not in nips


def test_unit_sheet_as_csv_file(org):
    response = org.client.post(
        "/api/v1/units/OPD-A-SUB/activations",
        headers={**org.headers("admin"), "Accept": "text/csv"},
    )
    assert response.status_code == 201
    assert response.mimetype == "text/csv"
    assert "aktivasi-OPD-A-SUB.csv" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert {r["nip"] for r in rows} == {org.nips["kabid"], org.nips["staff"]}
    assert all(len(r["code"]) == 14 for r in rows)
    # The codes in the file are the live ones.
    staff = next(r for r in rows if r["nip"] == org.nips["staff"])
    assert activate(org.client, staff["username"], staff["code"]).status_code == 200


def test_a_new_code_replaces_the_old_one(org):
    first = issue(org, "staff")["code"]
    second = issue(org, "staff")["code"]
    assert activate(org.client, org.nips["staff"], first).get_json()["code"] == "code-wrong"
    assert activate(org.client, org.nips["staff"], second).status_code == 200


def test_code_is_single_use(org):
    code = issue(org, "staff")["code"]
    assert activate(org.client, org.nips["staff"], code).status_code == 200
    again = activate(org.client, org.nips["staff"], code, "another good passphrase")
    assert again.status_code == 400
    assert again.mimetype == "application/problem+json"
    # The account is active now, so the code is no longer an activation for it.
    assert sign_in(org.client, org.nips["staff"], GOOD).status_code == 200


def test_expired_code_is_refused_with_reason(app, org):
    from personnel_service.models import AccountCode

    code = issue(org, "staff")["code"]
    with app.app_context():
        row = db.session.scalars(db.select(AccountCode)).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = activate(org.client, org.nips["staff"], code)
    assert response.status_code == 400
    assert response.get_json()["code"] == "code-expired"
    assert sign_in(org.client, org.nips["staff"], GOOD).status_code == 401


@pytest.mark.security
def test_wrong_code_and_unknown_user_answer_alike(org):
    issue(org, "staff")
    wrong = activate(org.client, org.nips["staff"], "AAAA-BBBB-CCCC")
    nobody = activate(org.client, "197001012000019999", "AAAA-BBBB-CCCC")
    assert wrong.status_code == nobody.status_code == 400
    assert wrong.get_json()["detail"] == nobody.get_json()["detail"]
    assert wrong.get_json()["code"] == nobody.get_json()["code"] == "code-wrong"


@pytest.mark.security
def test_code_guessing_is_throttled(org):
    issue(org, "staff")
    statuses = [
        activate(org.client, org.nips["staff"], f"AAAA-BBBB-CCC{i}", addr=f"10.9.0.{i}").status_code
        for i in range(7)
    ]
    assert statuses[:5] == [400] * 5 and statuses[-1] == 429


@pytest.mark.parametrize(
    "password, why",
    [
        ("short", "at least 8"),
        ("palembang123", "too common"),
        ("bismillah", "too common"),
        ("Password1", "too common"),
        ("199507212019022002", "NIP"),
        ("Staff Staff", None),  # not the name: fine
    ],
)
@pytest.mark.security
def test_password_policy_on_activation(org, password, why):
    code = issue(org, "staff")["code"]
    response = activate(org.client, org.nips["staff"], code, password)
    if why is None:
        assert response.status_code == 200
        return
    assert response.status_code == 422, response.get_json()
    assert why in response.get_json()["errors"]["password"][0]
    assert response.get_json()["code"].startswith("password-")
    # Nothing was written: the same code still activates with a good password.
    assert activate(org.client, org.nips["staff"], code).status_code == 200


@pytest.mark.security
def test_policy_refuses_the_name_and_allows_long_phrases():
    assert password_problems("Nyimas Ayu", personal=(None, "x", "Nyimas Ayu"))
    assert password_problems("nyimasayu", personal=(None, "x", "Nyimas Ayu"))
    wide = "palembang123".translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    assert not password_problems(wide + "x")
    assert password_problems(wide)  # the full-width form of a listed one
    assert not password_problems("s" * 64 + " ümlaut ✓")
    assert 5000 < len(common_passwords()) < 20000


def test_people_created_with_a_password_are_active_without_are_pending(org):
    base = {"name": "Dewi", "unit_code": "OPD-A", "position": "Analis", "grade": "III/a"}
    with_pw = org.post("/api/v1/people", json={**base, "nip": A, "password": GOOD})
    without = org.post("/api/v1/people", json={**base, "nip": B})
    assert with_pw.status_code == without.status_code == 201
    assert sign_in(org.client, A, GOOD).status_code == 200
    state = org.get(f"/api/v1/people/{without.get_json()['id']}/account").get_json()["state"]
    assert state == "pending"


def test_only_admin_issues_and_already_active_is_409(org):
    staff = org.ids["staff"]
    assert org.post(f"/api/v1/people/{staff}/activation", who="kabid").status_code == 403
    assert org.post("/api/v1/units/OPD-A/activations", who="kadis").status_code == 403
    assert org.post("/api/v1/units/NOPE/activations").status_code == 404
    assert org.post("/api/v1/people/no-such-id/activation").status_code == 404
    active_person(org)
    assert org.post(f"/api/v1/people/{staff}/activation").status_code == 409
    assert org.get(f"/api/v1/people/{staff}/account", who="kabid").status_code == 403
    assert org.get(f"/api/v1/people/{staff}/account", who="staff").status_code == 200


# ---- refresh tokens ----


def refresh(client, token):
    return client.post("/api/v1/auth/refresh", json={"refresh_token": token})


@pytest.mark.security
def test_refresh_rotates_and_reuse_revokes_the_family(org):
    nip = active_person(org)
    first = sign_in(org.client, nip, GOOD).get_json()["refresh_token"]
    second_pair = refresh(org.client, first)
    assert second_pair.status_code == 200
    second = second_pair.get_json()["refresh_token"]
    assert second != first and second_pair.get_json()["access_token"]
    third = refresh(org.client, second).get_json()["refresh_token"]

    # A thief replays an old token: refused, and the whole family dies with it.
    reused = refresh(org.client, first)
    assert reused.status_code == 401 and reused.mimetype == "application/problem+json"
    assert refresh(org.client, third).status_code == 401
    # Another sign-in is another family, untouched.
    other = sign_in(org.client, nip, GOOD).get_json()["refresh_token"]
    assert refresh(org.client, other).status_code == 200


def test_refresh_family_ends_at_its_absolute_limit(app, org):
    from personnel_service.models import RefreshToken

    nip = active_person(org)
    token = sign_in(org.client, nip, GOOD).get_json()["refresh_token"]
    token = refresh(org.client, token).get_json()["refresh_token"]
    with app.app_context():
        for row in db.session.scalars(db.select(RefreshToken)):
            row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert refresh(org.client, token).status_code == 401


def test_garbage_refresh_token_is_401_and_missing_is_422(org):
    assert refresh(org.client, "rt_not-a-token").status_code == 401
    assert org.client.post("/api/v1/auth/refresh", json={}).status_code == 422


def test_logout_kills_the_family(org):
    nip = active_person(org)
    pair = sign_in(org.client, nip, GOOD).get_json()
    token = refresh(org.client, pair["refresh_token"]).get_json()["refresh_token"]
    out = org.client.post("/api/v1/auth/logout", json={"refresh_token": token})
    assert out.status_code == 204
    assert refresh(org.client, token).status_code == 401
    again = org.client.post("/api/v1/auth/logout", json={"refresh_token": token})
    assert again.status_code == 204


@pytest.mark.security
def test_deactivate_kills_refresh_and_sign_in_until_reactivated(org):
    nip = active_person(org)
    token = sign_in(org.client, nip, GOOD).get_json()["refresh_token"]
    staff = org.ids["staff"]
    assert org.post(f"/api/v1/people/{staff}/deactivate", who="kabid").status_code == 403
    response = org.post(f"/api/v1/people/{staff}/deactivate")
    assert response.status_code == 200 and response.get_json()["state"] == "deactivated"
    assert refresh(org.client, token).status_code == 401
    refused = sign_in(org.client, nip, GOOD)
    assert refused.status_code == 403 and refused.get_json()["code"] == "account-deactivated"
    assert sign_in(org.client, nip, "wrong password!").status_code == 401
    # Not on the unit's sheet; reopening is a decision about this one person.
    nips = [r["nip"] for r in org.post("/api/v1/units/OPD-A/activations").get_json()["items"]]
    assert nip not in nips
    code = issue(org, "staff")["code"]
    assert activate(org.client, nip, code, "a brand new passphrase").status_code == 200
    assert sign_in(org.client, nip, "a brand new passphrase").status_code == 200


def test_admin_cannot_deactivate_themself(org):
    admin = org.ids["admin"]
    assert org.post(f"/api/v1/people/{admin}/deactivate").status_code == 409


# ---- passwords ----


def bearer_of(response) -> dict[str, str]:
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def test_change_password(org):
    nip = active_person(org)
    signed = sign_in(org.client, nip, GOOD)
    old_refresh = signed.get_json()["refresh_token"]
    headers = bearer_of(signed)
    change = org.client.post

    wrong = change(
        "/api/v1/auth/password",
        json={"old_password": "not it at all", "new_password": "another long one"},
        headers=headers,
    )
    assert wrong.status_code == 400 and "old_password" in wrong.get_json()["errors"]
    weak = change(
        "/api/v1/auth/password",
        json={"old_password": GOOD, "new_password": "sayang123"},
        headers=headers,
    )
    assert weak.status_code == 422 and "new_password" in weak.get_json()["errors"]
    ok = change(
        "/api/v1/auth/password",
        json={"old_password": GOOD, "new_password": "another long one"},
        headers=headers,
    )
    assert ok.status_code == 204
    assert sign_in(org.client, nip, GOOD).status_code == 401
    assert sign_in(org.client, nip, "another long one").status_code == 200
    assert refresh(org.client, old_refresh).status_code == 401  # other sessions end
    unsigned = change("/api/v1/auth/password", json={"old_password": "a", "new_password": "b"})
    assert unsigned.status_code == 401


@pytest.mark.security
def test_admin_reset_forces_a_change_at_next_sign_in(org):
    nip = active_person(org)
    before = sign_in(org.client, nip, GOOD).get_json()["refresh_token"]
    staff = org.ids["staff"]
    assert org.post(f"/api/v1/people/{staff}/password-reset", who="kabid").status_code == 403
    reset = org.post(f"/api/v1/people/{staff}/password-reset")
    assert reset.status_code == 201
    temporary = reset.get_json()["temporary_password"]
    assert refresh(org.client, before).status_code == 401
    assert sign_in(org.client, nip, GOOD).status_code == 401

    signed = sign_in(org.client, nip, temporary)
    assert signed.status_code == 200 and signed.get_json()["password_change_required"] is True
    claims = jwt.decode(signed.get_json()["access_token"], options={"verify_signature": False})
    assert claims["roles"] == [] and claims["pwd_change"] is True
    # The restricted token reaches nothing a role grants.
    assert org.client.get("/api/v1/people", headers=bearer_of(signed)).status_code == 200
    assert (
        org.client.post(
            "/api/v1/units", json={"code": "X", "name": "X"}, headers=bearer_of(signed)
        ).status_code
        == 403
    )
    changed = org.client.post(
        "/api/v1/auth/password",
        json={"old_password": temporary, "new_password": "my own passphrase"},
        headers=bearer_of(signed),
    )
    assert changed.status_code == 204
    after = sign_in(org.client, nip, "my own passphrase").get_json()
    assert after["password_change_required"] is False


def reset_mails(outbox) -> list[dict]:
    """The reset mails personnel asked notification to send (account.mail_requested)."""
    return [
        e["data"]
        for e in outbox()
        if e["type"] == "account.mail_requested" and e["data"]["purpose"] == "reset"
    ]


def collect(org, mail_id: str, service: str = "notification"):
    token = mint_token(f"service:{service}", ["service"], audience="personnel")
    return org.client.post(f"/api/v1/account-mails/{mail_id}/code", headers=bearer(token))


@pytest.mark.security
def test_self_service_reset_by_mailed_code_without_enumeration(app, org, outbox):
    nip = active_person(org)
    org.patch(f"/api/v1/people/{org.ids['staff']}", json={"email": "staff@example.go.id"})
    known = org.client.post("/api/v1/auth/password-reset", json={"username": nip})
    unknown = org.client.post(
        "/api/v1/auth/password-reset", json={"username": "197001012000019999"}
    )
    assert known.status_code == unknown.status_code == 202
    assert known.get_json() == unknown.get_json()
    mails = reset_mails(outbox)
    assert len(mails) == 1 and mails[0]["email"] == "staff@example.go.id"
    assert "code" not in mails[0]  # the event names the mail; the code is made when it is sent
    assert collect(org, mails[0]["mail_id"], service="catalog").status_code == 403
    collected = collect(org, mails[0]["mail_id"])
    assert collected.status_code == 201
    code, link = collected.get_json()["code"], collected.get_json()["link"]
    assert link.endswith(f"/lupa-sandi/atur?u={nip}")
    confirm = org.client.post
    weak = confirm(
        "/api/v1/auth/password-reset/confirm",
        json={"username": nip, "code": code, "new_password": "password123"},
    )
    assert weak.status_code == 422
    done = confirm(
        "/api/v1/auth/password-reset/confirm",
        json={"username": nip, "code": code, "new_password": "reset and remembered"},
    )
    assert done.status_code == 204
    assert sign_in(org.client, nip, "reset and remembered").status_code == 200
    used = confirm(
        "/api/v1/auth/password-reset/confirm",
        json={"username": nip, "code": code, "new_password": "yet another phrase"},
    )
    assert used.status_code == 400 and used.get_json()["code"] == "code-used"


@pytest.mark.security
def test_reset_requests_are_rate_limited(app, org, outbox):
    statuses = [
        org.client.post(
            "/api/v1/auth/password-reset",
            json={"username": f"19700101200001{i:04d}"},
            environ_base={"REMOTE_ADDR": "10.7.7.7"},
        ).status_code
        for i in range(11)
    ]
    assert statuses[:10] == [202] * 10 and statuses[10] == 429
    # Per user name: past the limit nothing more is sent, and the answer stays the same.
    nip = active_person(org)
    org.patch(f"/api/v1/people/{org.ids['staff']}", json={"email": "staff@example.go.id"})
    answers = {
        org.client.post(
            "/api/v1/auth/password-reset",
            json={"username": nip},
            environ_base={"REMOTE_ADDR": f"10.8.0.{i}"},
        ).status_code
        for i in range(5)
    }
    assert answers == {202}
    assert len(reset_mails(outbox)) == 3


@pytest.mark.security
def test_password_events_are_audited_without_the_password(org, caplog):
    caplog.set_level(logging.INFO, logger="cakap.audit")
    nip = active_person(org, password=GOOD)
    signed = sign_in(org.client, nip, GOOD)
    org.client.post(
        "/api/v1/auth/password",
        json={"old_password": GOOD, "new_password": "second passphrase"},
        headers=bearer_of(signed),
    )
    temporary = org.post(f"/api/v1/people/{org.ids['staff']}/password-reset").get_json()
    events = [r.fields.get("event") for r in caplog.records if hasattr(r, "fields")]
    for event in ("auth.activated", "auth.password_changed", "auth.password_reset_by_admin"):
        assert event in events
    text = "\n".join(f"{r.getMessage()} {getattr(r, 'fields', '')}" for r in caplog.records)
    for secret in (GOOD, "second passphrase", temporary["temporary_password"]):
        assert secret not in text


def test_unit_sheet_as_xlsx_file(org):
    import openpyxl

    response = org.client.post(
        "/api/v1/units/OPD-A-SUB/activations",
        headers={
            **org.headers("admin"),
            "Accept": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        },
    )
    assert response.status_code == 201
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("nip", "name", "unit_code", "username", "code")
    assert {r[0] for r in rows[1:]} == {org.nips["kabid"], org.nips["staff"]}


@pytest.mark.security
def test_a_code_redeemed_twice_at_once_sets_one_password(app, org, outbox, monkeypatch):
    """Two redemptions of one reset code both read it unused; only the first sets a password."""
    from personnel_service.domain import accounts
    from sqlalchemy import text

    nip = active_person(org)
    org.patch(f"/api/v1/people/{org.ids['staff']}", json={"email": "staff@example.go.id"})
    assert org.client.post("/api/v1/auth/password-reset", json={"username": nip}).status_code == 202
    code = collect(org, reset_mails(outbox)[-1]["mail_id"]).get_json()["code"]
    check = accounts.check_password

    def the_other_tab_finishes_first(account, password, field):
        # While this request hashes, the other one claims the code and commits.
        check(account, password, field)
        with db.engine.begin() as other:
            other.execute(
                text("UPDATE account_codes SET used_at = :now WHERE used_at IS NULL"),
                {"now": utcnow()},
            )

    monkeypatch.setattr(accounts, "check_password", the_other_tab_finishes_first)
    late = org.client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"username": nip, "code": code, "new_password": "the late tab's phrase"},
    )
    assert late.status_code == 400 and late.get_json()["code"] == "code-used"
    assert sign_in(org.client, nip, "the late tab's phrase").status_code == 401

"""Sign-in, throttling, /me, JWKS and service tokens."""

from __future__ import annotations

import jwt
import pytest
from cakap_shared.testing import bearer
from personnel_service.demo import DEMO_PASSWORD, demo_person_id, seed_demo
from personnel_service.extensions import db


@pytest.fixture
def demo(app, client):
    with app.app_context():
        seed_demo()
    return client


def sign_in(client, username, password=DEMO_PASSWORD, addr="10.0.0.1"):
    return client.post(
        "/api/v1/auth/token",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": addr},
    )


def test_sign_in_with_login_name_returns_bearer_token(demo):
    response = sign_in(demo, "pegawai")
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    header = jwt.get_unverified_header(body["access_token"])
    assert header["alg"] == "RS256" and header["kid"]


def test_sign_in_with_nip_works_too(demo):
    assert sign_in(demo, "199507212019022002").status_code == 200


def test_wrong_password_is_401_problem(demo):
    response = sign_in(demo, "pegawai", "wrong")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["title"] == "Unauthorized"


def test_unknown_user_is_401(demo):
    assert sign_in(demo, "nobody").status_code == 401


@pytest.mark.security
def test_failures_per_user_are_throttled_with_retry_after(demo):
    for i in range(5):
        assert sign_in(demo, "pegawai", "wrong", addr=f"10.1.0.{i}").status_code == 401
    response = sign_in(demo, "pegawai", addr="10.1.0.99")  # even the right password waits
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert sign_in(demo, "atasan", addr="10.1.0.99").status_code == 200


@pytest.mark.security
def test_login_name_and_nip_of_one_account_share_one_budget(demo):
    """Typing the NIP instead of the login name must not buy a second set of guesses."""
    for i in range(3):
        assert sign_in(demo, "pegawai", "wrong", addr=f"10.4.0.{i}").status_code == 401
    for i in range(2):
        assert sign_in(demo, "199507212019022002", "wrong", addr=f"10.4.1.{i}").status_code == 401
    for name in ("pegawai", "199507212019022002"):
        response = sign_in(demo, name, addr="10.4.2.1")  # even the right password waits
        assert response.status_code == 429, name
        assert int(response.headers["Retry-After"]) > 0
    assert sign_in(demo, "198203142008031001", addr="10.4.2.1").status_code == 200


def test_a_parallel_burst_gets_no_more_guesses_than_the_budget(demo, monkeypatch):
    """Guesses in flight together: each is counted before its password is checked."""
    from personnel_service.domain import accounts as auth_resources

    real_verify = auth_resources.verify_password
    checked: list[str] = []
    answers: list[int] = []
    burst = iter(range(12))

    def verify_while_the_next_guess_arrives(stored, password):
        # The next guess reaches the server while this one is still being checked, so all of
        # them are in flight at once (deterministically, without threads or sleeps).
        i = next(burst, None)
        if i is not None:
            answers.append(sign_in(demo, "pegawai", f"guess-{i}", addr=f"10.5.0.{i}").status_code)
        checked.append(password)
        return real_verify(stored, password)

    monkeypatch.setattr(auth_resources, "verify_password", verify_while_the_next_guess_arrives)
    answers.append(sign_in(demo, "pegawai", "guess-first", addr="10.5.1.1").status_code)
    assert len(checked) == 5  # LOGIN_MAX_FAILURES_PER_USER, not 13
    assert sorted(answers) == [401] * 5 + [429]
    monkeypatch.setattr(auth_resources, "verify_password", real_verify)
    assert sign_in(demo, "pegawai", addr="10.5.2.1").status_code == 429


@pytest.mark.security
def test_failures_per_address_are_throttled(demo):
    for i in range(30):
        sign_in(demo, f"ghost{i}", "wrong", addr="10.2.0.1")
    assert sign_in(demo, "atasan", addr="10.2.0.1").status_code == 429
    assert sign_in(demo, "atasan", addr="10.2.0.2").status_code == 200


def test_successful_sign_ins_from_one_address_are_not_throttled(demo):
    for _ in range(40):
        assert sign_in(demo, "pegawai", addr="10.3.0.1").status_code == 200


@pytest.mark.security
def test_password_is_never_logged(demo, caplog):
    sign_in(demo, "pegawai", "Sup3r-secret-pw")
    assert "Sup3r-secret-pw" not in caplog.text


def test_me_for_asn_has_nip_unit_and_supervisor(demo):
    token = sign_in(demo, "pegawai").get_json()["access_token"]
    me = demo.get("/api/v1/me", headers=bearer(token)).get_json()
    assert me["id"] == demo_person_id("199507212019022002")
    assert me["username"] == "pegawai"
    assert me["roles"] == ["asn"]
    assert me["nip"] == "199507212019022002"
    assert me["unit_code"] == "DISKOMINFO-APTIKA"
    assert me["supervisor_id"] == demo_person_id("198203142008031001")


def test_me_for_admin_has_no_nip(demo):
    token = sign_in(demo, "admin").get_json()["access_token"]
    me = demo.get("/api/v1/me", headers=bearer(token)).get_json()
    assert me["roles"] == ["admin"] and "nip" not in me


def test_me_without_token_is_401(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_issued_token_verifies_against_published_jwks(demo):
    token = sign_in(demo, "pegawai").get_json()["access_token"]
    jwks = demo.get("/.well-known/jwks.json").get_json()
    key = jwt.PyJWK(jwks["keys"][0])
    claims = jwt.decode(token, key.key, algorithms=["RS256"], audience="cakap")
    assert claims["iss"] == "cakap-personnel"
    assert claims["roles"] == ["asn"]


def test_service_token_needs_the_shared_secret(client):
    ok = client.post(
        "/api/v1/auth/service-token",
        json={"client_id": "catalog", "client_secret": "s3cret", "audience": "personnel"},
    )
    assert ok.status_code == 200
    claims = jwt.decode(ok.get_json()["access_token"], options={"verify_signature": False})
    assert claims["roles"] == ["service"] and claims["aud"] == "personnel"
    bad = client.post(
        "/api/v1/auth/service-token",
        json={"client_id": "catalog", "client_secret": "nope", "audience": "personnel"},
    )
    assert bad.status_code == 401


def test_password_hash_is_argon2id(app, demo):
    from personnel_service.models import Account

    with app.app_context():
        account = db.session.scalars(db.select(Account)).first()
        assert account.password_hash.startswith("$argon2id$")


def _audit_fields(caplog, event):
    return [r.fields for r in caplog.records if getattr(r, "fields", {}).get("event") == event]


@pytest.mark.security
def test_a_password_typed_as_the_name_is_never_logged_or_stored(app, demo, caplog):
    """Issue 10, item 11c: the account id when the name matched, a keyed hash otherwise."""
    from personnel_service.models import Account, LoginFailure

    caplog.set_level("INFO", logger="cakap.audit")
    typed = "Rahasia-Saya-2025!"
    for _ in range(2):
        assert sign_in(demo, typed, "whatever").status_code == 401
    assert sign_in(demo, "pegawai", "wrong").status_code == 401
    assert sign_in(demo, "pegawai").status_code == 200

    failed = _audit_fields(caplog, "auth.failed")
    assert len(failed) == 3
    unknown, again, known = failed
    assert "username" not in unknown and "account_id" not in unknown
    assert unknown["login_tag"] == again["login_tag"]  # the same text lines up
    assert len(unknown["login_tag"]) == 16 and typed.lower() not in unknown["login_tag"]
    with app.app_context():
        account = db.session.scalar(db.select(Account).where(Account.username == "pegawai"))
        scopes = db.session.scalars(db.select(LoginFailure.scope)).all()
    assert known == {"event": "auth.failed", "account_id": account.id, "address": "10.0.0.1"}
    [signed_in] = _audit_fields(caplog, "auth.signed_in")
    assert signed_in["account_id"] == account.id
    every_line = " ".join(str(r.__dict__) for r in caplog.records)
    assert typed not in every_line and typed.lower() not in every_line
    assert not any(typed.lower() in scope for scope in scopes)  # nor in the throttle table


@pytest.mark.security
def test_throttling_still_counts_one_typed_name_across_addresses(demo):
    for i in range(5):
        assert sign_in(demo, "Nobody-Here", "x", addr=f"10.9.0.{i}").status_code == 401
    assert sign_in(demo, " nobody-here ", "x", addr="10.9.1.1").status_code == 429


def test_a_hash_with_older_parameters_is_replaced_at_sign_in(app, demo):
    """Raising or lowering the argon2id cost (docs/decisions/0010) reaches every account."""
    from argon2 import PasswordHasher
    from personnel_service.domain.passwords import needs_rehash
    from personnel_service.models import Account
    from sqlalchemy import select

    old = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).hash(DEMO_PASSWORD)
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.username == "pegawai"))
        account.password_hash = old
        db.session.commit()
    assert sign_in(demo, "pegawai").status_code == 200
    with app.app_context():
        stored = db.session.scalar(
            select(Account.password_hash).where(Account.username == "pegawai")
        )
    with app.app_context():
        assert needs_rehash(old) and not needs_rehash(stored)
    assert stored.startswith("$argon2id$") and stored != old
    assert sign_in(demo, "pegawai").status_code == 200


def test_processes_starting_at_once_all_sign_with_the_first_dev_key(tmp_path):
    """Gunicorn workers and the outbox loop start together: none may swap the key later."""
    import multiprocessing

    from personnel_service.domain.tokens import ensure_dev_key

    path = tmp_path / "keys" / "jwt-private.pem"
    with multiprocessing.get_context("fork").Pool(4) as pool:
        keys = pool.map(ensure_dev_key, [path] * 8)
    assert len(set(keys)) == 1 and path.read_text() == keys[0]
    assert [p.name for p in path.parent.iterdir()] == ["jwt-private.pem"]  # no temporary left

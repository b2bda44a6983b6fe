"""Session lifetime on a controlled clock: transparent refresh, idle and absolute limits,
a form kept across a new sign-in, logout that ends copied cookies, forced password change."""

from __future__ import annotations

import json
import re

import pytest
import responses

ENROLMENT = "5b1e7c36-2f0c-4d2a-9a55-0f8f9a3b2c11"
REJECT = f"/persetujuan/{ENROLMENT}/tolak"
HOUR = 3600


def approvals_answer(gw, api):
    gw.upsert(
        responses.GET,
        api("/api/v1/enrolments"),
        json={"items": [], "total": 0, "page": 1, "per_page": 100},
    )


class Refresher:
    """personnel's refresh endpoint: hands out numbered pairs, remembers what it was shown."""

    def __init__(self) -> None:
        self.presented: list[str] = []

    def __call__(self, request):
        presented = json.loads(request.body)["refresh_token"]
        self.presented.append(presented)
        n = len(self.presented)
        body = {
            "access_token": f"access-{n}",
            "token_type": "Bearer",
            "expires_in": 900,
            "refresh_token": f"rt-{n}",
            "refresh_expires_in": 36000,
            "password_change_required": False,
        }
        return 200, {"Content-Type": "application/json"}, json.dumps(body)


def csrf_in(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_a_form_open_all_day_outlives_many_access_tokens(client, sign_in, gw, api, clock):
    """Signed in at 07:30, never idle for an hour, the form sent at 15:00 reaches the API."""
    refresher = Refresher()
    gw.add_callback(responses.POST, api("/api/v1/auth/refresh"), callback=refresher)
    approvals_answer(gw, api)
    sign_in(["asn", "supervisor"], expires_in=900)
    page = client.get("/persetujuan").get_data(as_text=True)
    token = csrf_in(page)
    # Seven and a half hours of work, a page every 50 minutes (each access token lives 15).
    for _ in range(9):
        clock.now += 50 * 60
        assert client.get("/persetujuan").status_code == 200
    reject = gw.add(responses.POST, api(f"/api/v1/enrolments/{ENROLMENT}/reject"), json={})
    clock.now += 30 * 60
    response = client.post(REJECT, data={"csrf_token": token, "reason": "Jadwal bentrok"})
    assert response.status_code == 303 and response.headers["Location"] == "/persetujuan"
    assert len(refresher.presented) == 10  # one refresh per expired token, no more
    # Each refresh presented the token the previous one handed out (rotation).
    assert refresher.presented == ["rt_refresh-token-of-the-test-user"] + [
        f"rt-{n}" for n in range(1, 10)
    ]
    sent = reject.calls[0].request
    assert sent.headers["Authorization"] == "Bearer access-10"
    assert json.loads(sent.body) == {"reason": "Jadwal bentrok"}


def test_idle_limit_keeps_the_typed_form_and_sends_it_after_sign_in(
    client, sign_in, gw, api, clock
):
    approvals_answer(gw, api)
    sign_in(["asn", "supervisor"])
    token = csrf_in(client.get("/persetujuan").get_data(as_text=True))
    clock.now += HOUR + 1  # the person went to a long meeting
    reject = gw.add(responses.POST, api(f"/api/v1/enrolments/{ENROLMENT}/reject"), json={})
    response = client.post(REJECT, data={"csrf_token": token, "reason": "Kuota OPD habis"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/masuk?next={REJECT}"
    assert not reject.calls

    # Signing in again shows the kept form, with a fresh CSRF token, sent by script.
    login_page = client.get(response.headers["Location"]).get_data(as_text=True)
    gw.upsert(
        responses.POST,
        api("/api/v1/auth/token"),
        json={"access_token": "fresh", "expires_in": 900, "refresh_token": "rt-fresh"},
    )
    resumed = client.post(
        "/masuk",
        data={
            "username": "pegawai",
            "password": "cakap-demo",
            "next": REJECT,
            "csrf_token": csrf_in(login_page),
        },
    )
    page = resumed.get_data(as_text=True)
    assert resumed.status_code == 200
    assert f'action="{REJECT}"' in page and 'value="Kuota OPD habis"' in page
    assert "resume.js" in page
    sent = client.post(REJECT, data={"csrf_token": csrf_in(page), "reason": "Kuota OPD habis"})
    assert sent.status_code == 303, sent.get_data(as_text=True)
    assert json.loads(reject.calls[0].request.body) == {"reason": "Kuota OPD habis"}
    assert reject.calls[0].request.headers["Authorization"] == "Bearer fresh"


@pytest.mark.security
def test_a_kept_form_is_not_sent_for_someone_else(client, sign_in, gw, api, clock, me):
    approvals_answer(gw, api)
    sign_in(["asn", "supervisor"])
    token = csrf_in(client.get("/persetujuan").get_data(as_text=True))
    clock.now += HOUR + 1
    client.post(REJECT, data={"csrf_token": token, "reason": "milik orang lain"})
    login_page = client.get(f"/masuk?next={REJECT}").get_data(as_text=True)
    gw.upsert(responses.POST, api("/api/v1/auth/token"), json={"access_token": "other"})
    gw.upsert(responses.GET, api("/api/v1/me"), json={**me(["asn"]), "id": "someone-else"})
    response = client.post(
        "/masuk",
        data={
            "username": "lain",
            "password": "x",
            "next": REJECT,
            "csrf_token": csrf_in(login_page),
        },
    )
    assert response.status_code == 303  # an ordinary redirect, nothing resent


def test_absolute_limit_ends_even_a_busy_session(client, sign_in, gw, api, clock):
    gw.add_callback(responses.POST, api("/api/v1/auth/refresh"), callback=Refresher())
    approvals_answer(gw, api)
    sign_in(["asn", "supervisor"])
    for _ in range(19):
        clock.now += 30 * 60
        assert client.get("/persetujuan").status_code == 200
    clock.now += 30 * 60 + 1  # 10 h and a second after sign-in
    response = client.get("/persetujuan")
    assert response.status_code == 302 and response.headers["Location"].startswith("/masuk")


def test_limits_are_configurable(app, client, sign_in, gw, api, clock):
    app.config["PORTAL_SESSION_IDLE_SECONDS"] = 600
    approvals_answer(gw, api)
    sign_in(["asn", "supervisor"], expires_in=3600)
    clock.now += 601
    assert client.get("/persetujuan").status_code == 302


def test_a_refused_refresh_ends_the_session(client, sign_in, gw, api, clock):
    gw.add(
        responses.POST,
        api("/api/v1/auth/refresh"),
        status=401,
        json={"status": 401, "title": "Unauthorized", "detail": "refresh token reused"},
    )
    approvals_answer(gw, api)
    sign_in(["asn", "supervisor"], expires_in=900)
    clock.now += 900
    response = client.get("/persetujuan")
    assert response.status_code == 302 and response.headers["Location"].startswith("/masuk")
    with client.session_transaction() as session:
        assert "sid" not in session


@pytest.mark.security
def test_logout_ends_a_copied_cookie_and_the_refresh_family(app, client, sign_in, gw, api, csrf_of):
    approvals_answer(gw, api)
    logout = gw.add(responses.POST, api("/api/v1/auth/logout"), status=204)
    sign_in(["asn", "supervisor"])
    name = app.config["SESSION_COOKIE_NAME"]
    copied = client.get_cookie(name).value
    thief = app.test_client()
    thief.set_cookie(name, copied)
    assert thief.get("/persetujuan").status_code == 200

    assert (
        client.post("/keluar", data={"csrf_token": csrf_of(client, "/persetujuan")}).status_code
        == 303
    )
    assert json.loads(logout.calls[0].request.body) == {
        "refresh_token": "rt_refresh-token-of-the-test-user"
    }
    response = thief.get("/persetujuan")
    assert response.status_code == 302 and response.headers["Location"].startswith("/masuk")


@pytest.mark.security
def test_sign_in_rotates_the_cookie_and_ends_the_old_session(app, client, sign_in, csrf_of):
    sign_in()
    name = app.config["SESSION_COOKIE_NAME"]
    with client.session_transaction() as session:
        first = session["sid"]
    old_cookie = client.get_cookie(name).value
    token = csrf_of(client, "/akun/kata-sandi")
    again = client.post(
        "/masuk", data={"username": "pegawai", "password": "cakap-demo", "csrf_token": token}
    )
    assert again.status_code == 303
    with client.session_transaction() as session:
        assert session["sid"] != first
    assert client.get_cookie(name).value != old_cookie
    assert app.extensions["portal_sessions"].load(first) is None


def test_admin_reset_forces_the_change_page_first(client, gw, api, csrf_of, me):
    gw.add(
        responses.POST,
        api("/api/v1/auth/token"),
        json={
            "access_token": "restricted",
            "expires_in": 900,
            "refresh_token": "rt-1",
            "password_change_required": True,
        },
    )
    gw.add(responses.GET, api("/api/v1/me"), json=me([]))
    response = client.post(
        "/masuk",
        data={"username": "pegawai", "password": "temp-temp-temp", "csrf_token": csrf_of(client)},
    )
    assert response.headers["Location"] == "/akun/kata-sandi"
    assert client.get("/sertifikat").headers["Location"] == "/akun/kata-sandi"

    change = gw.add(responses.POST, api("/api/v1/auth/password"), status=204)
    gw.upsert(
        responses.POST,
        api("/api/v1/auth/token"),
        json={"access_token": "full", "expires_in": 900, "refresh_token": "rt-2"},
    )
    gw.upsert(responses.GET, api("/api/v1/me"), json=me(["asn"]))
    done = client.post(
        "/akun/kata-sandi",
        data={
            "old_password": "temp-temp-temp",
            "new_password": "secangkir kopi pagi",
            "confirm": "secangkir kopi pagi",
            "csrf_token": csrf_of(client, "/akun/kata-sandi"),
        },
    )
    assert done.status_code == 303 and done.headers["Location"] == "/"
    assert change.calls[0].request.headers["Authorization"] == "Bearer restricted"
    gw.add(responses.GET, api("/api/v1/certificates"), json={"items": [], "total": 0})
    assert client.get("/sertifikat").status_code == 200


def test_an_unreachable_session_store_is_503_not_a_crash(gw):
    from portal_service import create_app

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "k",
            "GATEWAY_URL": "http://gateway.test",
            "REDIS_URL": "redis://127.0.0.1:1/0",
        }
    )
    client = app.test_client()
    with client.session_transaction() as session:
        session["sid"] = "some-session"
    response = client.get("/sertifikat")
    assert response.status_code == 503
    assert "Layanan sedang tidak dapat dihubungi" in response.get_data(as_text=True)
    assert client.get("/health/ready").status_code == 503

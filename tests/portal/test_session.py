"""Sign-in, sign-out, the session cookie, CSRF and expiry."""

from __future__ import annotations

import json

import pytest
import responses

SIGNED_IN_PAGE = "/halaman-yang-tidak-ada"  # any page rendering the layout (with the logout form)


def _cookie_header(response, name: str = "cakap_portal") -> str:
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    assert headers, response.headers
    return headers[-1]


def test_login_success_sets_session_and_redirects(
    client, gw, csrf_of, api, access_token, me, user_id
):
    gw.add(
        responses.POST,
        api("/api/v1/auth/token"),
        json={"access_token": access_token, "token_type": "Bearer", "expires_in": 900},
    )
    me_call = gw.add(responses.GET, api("/api/v1/me"), json=me(["asn"]))
    token = csrf_of(client, "/masuk?next=/katalog")
    response = client.post(
        "/masuk",
        data={
            "username": " pegawai ",
            "password": "cakap-demo",
            "csrf_token": token,
            "next": "/katalog",
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/katalog"
    sent = json.loads(gw.calls[0].request.body)
    assert sent == {"username": "pegawai", "password": "cakap-demo"}
    assert me_call.calls[0].request.headers["Authorization"] == f"Bearer {access_token}"
    with client.session_transaction() as session:
        assert session["uid"] == user_id
        record = client.application.extensions["portal_sessions"].load(session["sid"])
        # The cookie names the session; its record holds the token, encrypted.
        assert "tok" not in session and record["roles"] == ["asn"]
        assert access_token not in json.dumps(record)
    assert access_token not in _cookie_header(response)


@pytest.mark.security
def test_session_cookie_is_httponly_and_samesite_lax(client, gw, csrf_of, api, access_token, me):
    gw.add(responses.POST, api("/api/v1/auth/token"), json={"access_token": access_token})
    gw.add(responses.GET, api("/api/v1/me"), json=me(["asn"]))
    response = client.post(
        "/masuk",
        data={"username": "pegawai", "password": "cakap-demo", "csrf_token": csrf_of(client)},
    )
    header = _cookie_header(response)
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    assert "Secure" not in header  # not behind TLS in this configuration


def test_session_cookie_secure_when_configured(gw, api):
    from portal_service import create_app

    app = create_app(
        {"TESTING": True, "SECRET_KEY": "k", "GATEWAY_URL": api(""), "SESSION_COOKIE_SECURE": True}
    )
    response = app.test_client().get("/masuk", base_url="https://portal.test")
    header = _cookie_header(response, "__Host-cakap_portal")
    assert "Secure" in header and "Path=/" in header and "Domain" not in header


@pytest.mark.security
def test_login_renews_the_session(client, sign_in):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker before login"
    sign_in()
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["sid"]


def test_login_failure_shows_message_and_keeps_no_session(client, gw, csrf_of, api):
    gw.add(
        responses.POST,
        api("/api/v1/auth/token"),
        status=401,
        json={"type": "about:blank", "title": "Unauthorized", "status": 401, "detail": "bad"},
        content_type="application/problem+json",
    )
    response = client.post(
        "/masuk",
        data={"username": "pegawai", "password": "salah", "csrf_token": csrf_of(client)},
    )
    assert response.status_code == 401
    assert "kata sandi salah" in response.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "tok" not in session
    assert client.get("/").status_code == 302


def test_login_throttled_shows_429_message(client, gw, csrf_of, api):
    gw.add(
        responses.POST,
        api("/api/v1/auth/token"),
        status=429,
        headers={"Retry-After": "60"},
        json={"status": 429, "title": "Too Many Requests", "detail": "Too many failed sign-ins"},
    )
    response = client.post(
        "/masuk",
        data={"username": "pegawai", "password": "x", "csrf_token": csrf_of(client)},
    )
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "60"
    assert "Terlalu banyak percobaan masuk" in response.get_data(as_text=True)


@pytest.mark.security
def test_login_ignores_an_offsite_next(client, gw, csrf_of, api, access_token, me):
    gw.add(responses.POST, api("/api/v1/auth/token"), json={"access_token": access_token})
    gw.add(responses.GET, api("/api/v1/me"), json=me(["asn"]))
    response = client.post(
        "/masuk",
        data={
            "username": "pegawai",
            "password": "cakap-demo",
            "next": "//evil.example/x",
            "csrf_token": csrf_of(client),
        },
    )
    assert response.headers["Location"] == "/"


@pytest.mark.security
def test_login_form_without_csrf_is_refused(client, gw):
    response = client.post("/masuk", data={"username": "pegawai", "password": "cakap-demo"})
    assert response.status_code == 400
    assert len(gw.calls) == 0


@pytest.mark.security
def test_logout_requires_post(client, sign_in):
    sign_in()
    assert client.get("/keluar").status_code == 405
    with client.session_transaction() as session:
        assert "sid" in session


@pytest.mark.security
def test_logout_without_csrf_is_refused(client, sign_in):
    sign_in()
    response = client.post("/keluar")
    assert response.status_code == 400
    with client.session_transaction() as session:
        assert "sid" in session


def test_logout_with_csrf_clears_the_session(client, sign_in, csrf_of):
    sign_in()
    token = csrf_of(client, SIGNED_IN_PAGE)
    response = client.post("/keluar", data={"csrf_token": token})
    assert response.status_code == 303
    with client.session_transaction() as session:
        assert "sid" not in session and "uid" not in session
    assert client.get("/").status_code == 302


def test_idle_session_sends_to_login(client, sign_in, clock):
    sign_in(expires_in=600)
    clock.now += 3601  # past the idle limit (60 min)
    response = client.get("/sertifikat")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/masuk?next=/sertifikat")


def test_api_401_ends_the_session(client, sign_in, gw, api):
    sign_in()
    gw.add(
        responses.GET,
        api("/api/v1/certificates"),
        status=401,
        json={"status": 401, "title": "Unauthorized", "detail": "token expired"},
    )
    response = client.get("/sertifikat")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/masuk")
    with client.session_transaction() as session:
        assert "sid" not in session


@pytest.mark.security
def test_role_pages_refuse_other_roles(client, sign_in):
    sign_in(["asn"])
    assert client.get("/persetujuan").status_code == 403
    assert client.get("/modul/unggah").status_code == 403
    assert client.get("/admin").status_code == 403


def test_sign_in_again_after_expiry(client, sign_in, clock):
    sign_in(expires_in=60)
    clock.now += 3601
    assert client.get("/").status_code == 302
    sign_in()  # the login form shown after expiry still carries a valid CSRF token
    with client.session_transaction() as session:
        record = client.application.extensions["portal_sessions"].load(session["sid"])
        assert record["exp"] > clock.now


def test_a_refused_token_on_a_form_ends_the_session_instead_of_a_flash(
    client, sign_in, gw, api, csrf_of
):
    """Views that flash an API refusal never catch a refused token (SessionEnded)."""
    sign_in(["asn", "supervisor"])
    member = "4dcce2c2-5a5b-5966-acbf-34ee813fa15e"
    token = csrf_of(client, "/halaman-yang-tidak-ada")
    gw.add(
        responses.POST,
        api("/api/v1/nudges"),
        status=401,
        json={"status": 401, "title": "Unauthorized", "detail": "token expired"},
    )
    answer = client.post(f"/tim/{member}/ingatkan", data={"csrf_token": token})
    assert answer.headers["Location"].startswith("/masuk")
    with client.session_transaction() as session:
        assert "sid" not in session

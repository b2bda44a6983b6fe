"""Logout is real: a copy of the portal cookie taken before logout is worthless right after,
on every portal worker, through the gateway (real processes, sessions in Redis)."""

from __future__ import annotations

import re
import time

import pytest
import requests

PROBE = "/akun/kata-sandi"  # signed-in only, calls no API: answers from the session alone


def csrf(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=10).text
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


@pytest.mark.security
@pytest.mark.once
def test_logout_kills_a_copied_cookie_on_every_worker(tmp_path):
    from support.suite import Stack

    # Access tokens of 30 s are within the portal's refresh margin at once: every page
    # refreshes through the gateway, so the portal's refresh calls meet personnel's real API.
    stack = Stack(tmp_path, {"WEB_CONCURRENCY": "2", "ACCESS_TOKEN_TTL": "30"})
    # Only what sign-in and logout need: the gateway routes to these two.
    stack.base_env["SERVICE_URLS"] = ",".join(
        f"{name}={stack.urls[name]}" for name in ("personnel", "portal")
    )
    try:
        stack.start("personnel", "portal", "gateway")
        stack.wait_ready("gateway", timeout=120)
        stack.wait_ready("portal", timeout=60)
        base = stack.urls["gateway"]
        browser = requests.Session()
        signed = browser.post(
            f"{base}/masuk",
            data={
                "username": "pegawai",
                "password": "cakap-demo",
                "csrf_token": csrf(browser, f"{base}/masuk"),
            },
            allow_redirects=False,
            timeout=30,
        )
        assert signed.status_code == 303, signed.text
        cookie = next(c for c in browser.cookies if c.name == "cakap_portal")
        thief = requests.Session()
        thief.cookies.set(cookie.name, cookie.value, domain=cookie.domain, path=cookie.path)
        # Many requests: both portal workers answer some of them.
        for _ in range(8):
            assert thief.get(f"{base}{PROBE}", allow_redirects=False, timeout=10).status_code == 200

        out = browser.post(
            f"{base}/keluar",
            data={"csrf_token": csrf(browser, f"{base}{PROBE}")},
            allow_redirects=False,
            timeout=10,
        )
        assert out.status_code == 303
        ended = time.monotonic()
        answers = [thief.get(f"{base}{PROBE}", allow_redirects=False, timeout=10) for _ in range(8)]
        assert time.monotonic() - ended < 8  # each answer well within a second
        for answer in answers:
            assert answer.status_code == 302
            assert answer.headers["Location"].startswith("/masuk")
        log = stack.log("personnel")
        assert log.count('"message": "POST /api/v1/auth/refresh 200"') >= 8
        assert "POST /api/v1/auth/refresh 401" not in log  # never a reused token
        # The refresh family is dead in personnel as well.
        assert '"event": "auth.logout"' in log
    finally:
        stack.close()

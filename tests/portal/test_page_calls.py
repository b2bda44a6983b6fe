"""A page's API calls go out at once (portal_service/fanout.py): each still carries the
user's token, the request id and no cookie, a token about to expire is refreshed once for
all of them, and a refused token ends the session wherever it surfaces."""

from __future__ import annotations

import json
import re

import responses


def answer_every_get(gw, api) -> None:
    """Whatever the page asks for and was not registered before: an empty list."""
    jp = re.compile(re.escape(api("/api/v1/people/")) + "[^/]+/jp")
    gw.add(responses.GET, jp, json={"year": 2027, "target": 20, "earned": 0, "entries": []})
    every = re.compile(re.escape(api("/api/v1/")) + ".*")
    gw.add(responses.GET, every, json={"items": [], "total": 0, "unread": 0})


def gets(gw, since: int = 0) -> list:
    """The GET requests the fake gateway saw, from its `since`th call on."""
    return [c.request for c in list(gw.calls)[since:] if c.request.method == "GET"]


def test_every_call_of_the_beranda_carries_the_token_and_the_request_id(client, sign_in, gw, api):
    sign_in(["asn", "supervisor"])
    answer_every_get(gw, api)
    signed_in = len(gw.calls)
    response = client.get("/", headers={"X-Request-ID": "req-beranda-7"})
    assert response.status_code == 200
    sent = gets(gw, signed_in)
    # JP, enrolments, certificates, surveys, apresiasi, approvals, two impact counts, the
    # announcement banner and the bell.
    assert len(sent) == 10
    assert {r.headers["Authorization"] for r in sent} == {"Bearer asn-access-token-abc"}
    assert {r.headers["X-Request-ID"] for r in sent} == {"req-beranda-7"}


def test_a_token_about_to_expire_is_refreshed_once_before_the_calls_go_out(
    client, sign_in, gw, api, clock
):
    presented = []

    def refresh(request):
        presented.append(json.loads(request.body)["refresh_token"])
        body = {"access_token": "access-fresh", "expires_in": 900, "refresh_token": "rt-next"}
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    gw.add_callback(responses.POST, api("/api/v1/auth/refresh"), callback=refresh)
    sign_in(["asn"], expires_in=900)
    answer_every_get(gw, api)
    clock.now += 890  # within the refresh margin
    signed_in = len(gw.calls)
    assert client.get("/pengembangan").status_code == 200
    assert presented == ["rt_refresh-token-of-the-test-user"]
    sent = gets(gw, signed_in)
    assert len(sent) == 11
    assert {r.headers["Authorization"] for r in sent} == {"Bearer access-fresh"}


def test_a_token_refused_in_one_part_ends_the_session(client, sign_in, gw, api, user_id):
    sign_in(["asn"])
    gw.add(responses.GET, api(f"/api/v1/people/{user_id}/jp"), status=401, json={})
    answer_every_get(gw, api)
    response = client.get("/")
    assert response.status_code in (302, 303)
    assert response.headers["Location"].startswith("/masuk")
    assert client.get("/sertifikat").headers["Location"].startswith("/masuk")


def test_a_cookie_an_answer_sets_never_rides_on_a_later_call(client, sign_in, gw, api):
    sign_in(["asn"])
    gw.add(
        responses.GET,
        api("/api/v1/certificates"),
        json={"items": [], "total": 0},
        headers={"Set-Cookie": "upstream=someone-elses; Path=/"},
    )
    answer_every_get(gw, api)
    for _ in range(3):
        assert client.get("/sertifikat").status_code == 200
    assert all("Cookie" not in r.headers for r in gets(gw))


def test_a_failing_service_empties_its_cards_and_the_others_show(client, sign_in, gw, api):
    sign_in(["asn"])
    gw.add(responses.GET, api("/api/v1/certificates"), status=503, json={"status": 503})
    gw.add(
        responses.GET,
        api("/api/v1/enrolments"),
        json={"items": [{"course_title": "Literasi Data", "status": "enrolled"}], "total": 1},
    )
    answer_every_get(gw, api)
    page = client.get("/").get_data(as_text=True)
    assert "Literasi Data" in page
    assert "Data ini sedang tidak dapat dimuat" in page

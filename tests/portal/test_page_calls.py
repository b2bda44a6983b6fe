"""The portal's calls to the gateway carry the user's token and never a cookie."""

from __future__ import annotations

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

"""The development plan's portal pages against a fake gateway: what they ask the API, and
that a refusal is said in the portal's words, never the API's detail."""

from __future__ import annotations

import json

import responses

PLAN = "33333333-3333-4333-8333-333333333333"
COURSE = "44444444-4444-4444-8444-444444444444"
PLANS = "/api/v1/development-plans"


def test_the_first_course_starts_the_plan_for_this_year(client, sign_in, gw, api, csrf_of):
    sign_in(["asn"])
    listed = gw.add(responses.GET, api(PLANS), json={"items": []})
    created = gw.add(responses.POST, api(PLANS), status=201, json={"id": PLAN, "items": []})
    added = gw.add(responses.POST, api(f"{PLANS}/{PLAN}/items"), status=201, json={"id": PLAN})
    answer = client.post(
        "/pengembangan/rencana",
        data={
            "csrf_token": csrf_of(client, "/pengembangan"),
            "course_id": COURSE,
            "note": "  untuk tugas  ",
        },
    )
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/pengembangan")
    year = json.loads(created.calls[0].request.body)["year"]
    assert f"year={year}" in listed.calls[-1].request.url
    assert json.loads(added.calls[0].request.body) == {"course_id": COURSE, "note": "untuk tugas"}


def test_a_refused_course_is_said_in_indonesian(client, sign_in, gw, api, csrf_of):
    sign_in(["asn"])
    gw.add(
        responses.GET, api(PLANS), json={"items": [{"id": PLAN, "status": "draft", "items": []}]}
    )
    gw.add(
        responses.POST,
        api(f"{PLANS}/{PLAN}/items"),
        status=422,
        json={
            "status": 422,
            "title": "Unprocessable Entity",
            "detail": "course_id: the course is already in the plan",
            "code": "plan-duplicate-course",
            "errors": {"course_id": ["the course is already in the plan"]},
        },
    )
    page = client.post(
        "/pengembangan/rencana",
        data={"csrf_token": csrf_of(client, "/pengembangan"), "course_id": COURSE},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Pelatihan ini sudah ada di rencana Anda." in page
    assert "already in the plan" not in page


def test_returning_a_plan_needs_a_comment(client, sign_in, gw, api, csrf_of):
    sign_in(["asn", "supervisor"])
    gw.add(responses.GET, api(PLANS), json={"items": []})
    sent = gw.add(responses.POST, api(f"{PLANS}/{PLAN}/return"), json={"id": PLAN})
    token = csrf_of(client, "/tim/rencana")
    empty = client.post(
        f"/tim/rencana/{PLAN}/kembalikan", data={"csrf_token": token, "comment": " "}
    )
    assert empty.status_code == 303 and not sent.calls
    client.post(f"/tim/rencana/{PLAN}/kembalikan", data={"csrf_token": token, "comment": "Ubah"})
    assert json.loads(sent.calls[0].request.body) == {"comment": "Ubah"}


def test_removing_a_course_asks_catalog_to_take_it_out(client, sign_in, gw, api, csrf_of):
    sign_in(["asn"])
    gw.add(responses.GET, api(PLANS), json={"items": []})
    removed = gw.add(responses.DELETE, api(f"{PLANS}/{PLAN}/items/{COURSE}"), json={"id": PLAN})
    token = csrf_of(client, "/pengembangan")
    answer = client.post(f"/pengembangan/rencana/{PLAN}/hapus/{COURSE}", data={"csrf_token": token})
    assert answer.status_code == 303 and len(removed.calls) == 1

"""Nudges from /tim and the admin's announcement form: refusals in the portal's own
Indonesian words (never the API's detail), nothing sent without a CSRF token."""

from __future__ import annotations

import json

import pytest
import responses

LAYOUT_PAGE = "/halaman-yang-tidak-ada"  # a 404 page still carries the layout's CSRF token
MEMBER = "4dcce2c2-5a5b-5966-acbf-34ee813fa15e"
DETAIL = "This person was already reminded this week."


def team_page(gw, api, member_jp: dict) -> None:
    gw.upsert(
        responses.GET,
        api("/api/v1/people"),
        json={"items": [{"id": MEMBER, "name": "Aisyah Rahma", "supervisor_id": "x"}]},
    )
    gw.upsert(responses.GET, api(f"/api/v1/people/{MEMBER}/jp"), json=member_jp)


@pytest.mark.parametrize(
    ("status", "code", "shown"),
    [
        (429, "nudge-too-soon", "sudah diingatkan minggu ini"),
        (404, "not-in-team", "bukan anggota tim Anda"),
        (409, "target-met", "sudah mencapai target JP"),
    ],
)
def test_nudge_refusals_are_said_in_indonesian(
    client, sign_in, gw, api, csrf_of, status, code, shown
):
    sign_in(["asn", "supervisor"])
    sent = gw.add(
        responses.POST,
        api("/api/v1/nudges"),
        status=status,
        json={"status": status, "detail": DETAIL, "code": code},
        content_type="application/problem+json",
    )
    answer = client.post(
        f"/tim/{MEMBER}/ingatkan", data={"csrf_token": csrf_of(client, LAYOUT_PAGE)}
    )
    assert answer.status_code == 303 and answer.headers["Location"] == "/tim"
    assert json.loads(sent.calls[0].request.body) == {"person_id": MEMBER}
    team_page(gw, api, {"earned": 4, "target": 20, "shortfall": 16})
    gw.upsert(responses.GET, api("/api/v1/nudges"), json={"items": []})
    page = client.get("/tim").get_data(as_text=True)
    assert shown in page and DETAIL not in page


def test_team_page_offers_the_button_only_below_target_and_once(client, sign_in, gw, api):
    sign_in(["asn", "supervisor"])
    team_page(gw, api, {"earned": 4, "target": 20, "shortfall": 16})
    gw.upsert(responses.GET, api("/api/v1/nudges"), json={"items": []})
    assert f"/tim/{MEMBER}/ingatkan" in client.get("/tim").get_data(as_text=True)
    gw.upsert(responses.GET, api("/api/v1/nudges"), json={"items": [{"person_id": MEMBER}]})
    page = client.get("/tim").get_data(as_text=True)
    assert f"/tim/{MEMBER}/ingatkan" not in page and "Sudah diingatkan minggu ini" in page
    team_page(gw, api, {"earned": 24, "target": 20, "shortfall": 0})
    gw.upsert(responses.GET, api("/api/v1/nudges"), json={"items": []})
    assert "/ingatkan" not in client.get("/tim").get_data(as_text=True)


@pytest.mark.security
def test_nudge_without_csrf_sends_nothing(client, sign_in, gw, api):
    sign_in(["asn", "supervisor"])
    sent = gw.add(responses.POST, api("/api/v1/nudges"), status=201, json={})
    client.post(f"/tim/{MEMBER}/ingatkan", data={})
    assert sent.call_count == 0


def test_announcement_to_an_empty_unit_names_the_field(client, sign_in, gw, api, csrf_of):
    sign_in(["admin"])
    gw.upsert(
        responses.GET, api("/api/v1/units"), json={"items": [{"code": "KOSONG", "name": "Kosong"}]}
    )
    gw.upsert(responses.GET, api("/api/v1/announcements"), json={"items": [], "total": 0})
    english = "unit_code: nobody active in this unit or below it"
    gw.add(
        responses.POST,
        api("/api/v1/announcements"),
        status=422,
        json={
            "status": 422,
            "detail": english,
            "code": "no-recipients",
            "errors": {"unit_code": ["nobody active in this unit or below it"]},
        },
        content_type="application/problem+json",
    )
    answer = client.post(
        "/admin/pengumuman",
        data={
            "csrf_token": csrf_of(client, LAYOUT_PAGE),
            "title": "Rapat",
            "body": "Isi",
            "unit_code": "KOSONG",
        },
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "Tidak ada pegawai aktif di unit ini atau sub-unitnya." in page
    assert 'id="e-unit_code"' in page and english not in page
    assert 'value="Rapat"' in page  # the form comes back as written

"""Pengembangan saya and the apresiasi form against a fake gateway: what each page asks
the API, what it shows, and that bad input never reaches the API."""

from __future__ import annotations

import json
import re

import responses

STAFF = "22222222-2222-4222-8222-222222222222"


def _development_api(gw, api, user_id, target_status=200):
    gw.add(
        responses.GET,
        api(f"/api/v1/people/{user_id}"),
        json={"id": user_id, "position": "Pranata Komputer", "unit_name": "Diskominfo"},
    )
    gw.add(
        responses.GET,
        api(f"/api/v1/people/{user_id}/competencies"),
        json={
            "items": [
                {
                    "code": "M-KOM",
                    "level": 2,
                    "source": "supervisor",
                    "assessed_on": "2026-09-01",
                    "evidence": "Komunikasi Efektif",
                }
            ],
            "self_assessments": [
                {"code": "M-KOM", "level": 5, "source": "self", "assessed_on": "2026-10-01"}
            ],
            "history": [],
        },
    )
    gaps = {
        "position": "Pranata Komputer",
        "items": [{"code": "M-KOM", "required": 3, "current": 2, "gap": 1}],
        "target": None,
    }
    gw.add(
        responses.GET,
        re.compile(
            re.escape(api(f"/api/v1/people/{user_id}/competency-gaps")) + r"\?target_position=.*"
        ),
        status=target_status,
        json={
            "status": 422,
            "title": "Invalid",
            "detail": "no competency standard for X",
            "errors": {"target_position": ["no competency standard for X"]},
        },
    )
    gw.add(responses.GET, api(f"/api/v1/people/{user_id}/competency-gaps"), json=gaps)
    gw.add(
        responses.GET,
        api("/api/v1/recommendations"),
        json={
            "items": [
                {
                    "course": {"id": "c1", "title": "Tanpa Kelas", "jp": 8},
                    "has_open_class": False,
                    "gaps": [{"code": "M-KOM", "current": 2, "required": 3, "level": 3}],
                },
                {
                    "course": {"id": "c2", "title": "Kelas Terbuka", "jp": 6},
                    "has_open_class": True,
                    "gaps": [{"code": "M-KOM", "current": 2, "required": 3, "level": 3}],
                },
            ],
            "total": 2,
        },
    )
    gw.add(responses.GET, api("/api/v1/position-standards"), json={"items": []})
    gw.add(
        responses.GET,
        api(f"/api/v1/people/{user_id}/jp"),
        json={
            "year": 2027,
            "target": 20,
            "earned": 6,
            "shortfall": 14,
            "entries": [{"title": "Komunikasi Efektif", "jp": 6, "completed_on": "2027-03-04"}],
        },
    )
    gw.add(responses.GET, api("/api/v1/certificates"), json={"items": []})
    gw.add(
        responses.GET,
        api(f"/api/v1/people/{user_id}/appreciations"),
        json=[
            {
                "reason": "Presentasi rapi",
                "from_name": "Rizal",
                "basis": "improvement",
                "created_at": "2026-10-02T03:00:00+00:00",
            }
        ],
    )
    gw.add(
        responses.GET,
        api("/api/v1/competencies"),
        json={"items": [{"code": "M-KOM", "name": "Komunikasi"}]},
    )


def test_development_page_shows_level_source_own_view_and_open_classes_first(
    client, sign_in, gw, api, user_id
):
    sign_in(["asn"])
    _development_api(gw, api, user_id)
    page = client.get("/pengembangan?tahun=2027").get_data(as_text=True)
    assert "penilaian atasan" in page and "Komunikasi Efektif" in page
    assert "level 5" in page  # the self-assessment, beside the supervisor's level 2
    assert page.index("Kelas Terbuka") < page.index("Tanpa Kelas")
    assert "Presentasi rapi" in page and "6 / 20 JP" in page
    chart = json.loads(re.search(r"data-chart='([^']+)'", page).group(1).replace("&#34;", '"'))
    assert chart["data"]["datasets"][0]["data"][2] == 6  # March
    assert chart["data"]["datasets"][2]["data"] == [20] * 12


def test_an_unknown_target_position_is_named_in_indonesian(client, sign_in, gw, api, user_id):
    sign_in(["asn"])
    _development_api(gw, api, user_id, target_status=422)
    page = client.get("/pengembangan?target=Tidak+Ada").get_data(as_text=True)
    assert 'id="target-error"' in page and "Isian ini tidak valid." in page
    assert "no competency standard" not in page
    assert "Terhadap jabatan saya" in page  # my own gaps still shown


def _apresiasi_api(gw, api):
    gw.add(responses.GET, api(f"/api/v1/people/{STAFF}"), json={"id": STAFF, "name": "Sari"})
    gw.add(
        responses.GET,
        api(f"/api/v1/people/{STAFF}/jp"),
        json={"entries": [{"course_code": "TIK-101", "title": "Keamanan Informasi", "jp": 6}]},
    )


def test_apresiasi_form_refuses_bad_input_without_calling_the_api(
    client, sign_in, gw, api, csrf_of
):
    sign_in(["asn", "supervisor"])
    _apresiasi_api(gw, api)
    sent = gw.add(responses.POST, api(f"/api/v1/people/{STAFF}/appreciations"), status=201, json={})
    url = f"/tim/{STAFF}/apresiasi"
    token = csrf_of(client, url)
    bad = client.post(
        url,
        data={"csrf_token": token, "basis": "training", "course_code": "NOT-MINE", "reason": "x"},
    )
    assert bad.status_code == 400 and not sent.calls
    text = bad.get_data(as_text=True)
    assert 'id="course_code-error"' in text and 'id="reason-error"' in text
    good = client.post(
        url,
        data={
            "csrf_token": token,
            "basis": "training",
            "course_code": "TIK-101",
            "reason": "Menerapkan ilmu",
        },
    )
    assert good.status_code == 303 and good.headers["Location"] == "/tim"
    assert json.loads(sent.calls[0].request.body) == {
        "reason": "Menerapkan ilmu",
        "basis": "training",
        "course_code": "TIK-101",
    }


def test_apresiasi_refused_by_the_api_shows_the_field_in_indonesian(
    client, sign_in, gw, api, csrf_of
):
    sign_in(["asn", "supervisor"])
    _apresiasi_api(gw, api)
    gw.add(
        responses.POST,
        api(f"/api/v1/people/{STAFF}/appreciations"),
        status=422,
        json={
            "status": 422,
            "title": "Invalid",
            "detail": "Sari has not completed TIK-101",
            "errors": {"course_code": ["Sari has not completed TIK-101"]},
        },
    )
    url = f"/tim/{STAFF}/apresiasi"
    answer = client.post(
        url,
        data={
            "csrf_token": csrf_of(client, url),
            "basis": "training",
            "course_code": "TIK-101",
            "reason": "Menerapkan ilmu",
        },
    )
    text = answer.get_data(as_text=True)
    assert answer.status_code == 400 and 'id="course_code-error"' in text
    assert "has not completed" not in text


def test_unit_page_compares_units_and_hides_small_ones(client, sign_in, gw, api):
    sign_in(["asn", "supervisor"])
    gw.add(
        responses.GET,
        api("/api/v1/unit-development"),
        json={
            "year": 2027,
            "min_people": 5,
            "items": [
                {"unit_code": "A", "name": "Dinas A", "people": 10, "enough_people": True,
                 "at_target_share": 0.6, "trainings_completed": 7, "has_children": True,
                 "mine": True, "unit_codes": ["A", "A1"]},
                {"unit_code": "B", "name": "Dinas B", "people": 2, "enough_people": False,
                 "at_target_share": None, "trainings_completed": None, "has_children": False,
                 "mine": False, "unit_codes": ["B"]},
            ],
        },
    )  # fmt: skip
    gw.add(
        responses.GET,
        api("/api/v1/reports/impact-by-unit"),
        json={"year": 2027, "items": [
            {"unit_code": "A", "evaluations": 1, "impact_rating_avg": 5.0},
            {"unit_code": "A1", "evaluations": 3, "impact_rating_avg": 3.0},
            {"unit_code": "B", "evaluations": 1, "impact_rating_avg": 1.0},
        ]},
    )  # fmt: skip
    page = client.get("/unit?tahun=2027").get_data(as_text=True)
    row_a = page[page.index('data-unit="A"') : page.index('data-unit="B"')]
    assert "60%" in row_a and ">7<" in row_a
    assert "3.5" in row_a  # (5 * 1 + 3 * 3) / 4, over the unit and its sub-unit
    row_b = page[page.index('data-unit="B"') :]
    assert "1.0" not in row_b.split("</tr>")[0]  # too small: its one rating names someone
    assert 'href="/unit?induk=A&amp;tahun=2027"' in page


def test_unit_page_is_for_leaders(client, sign_in):
    sign_in(["asn"])
    assert client.get("/unit").status_code == 403

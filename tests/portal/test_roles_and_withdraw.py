"""Beranda by role, withdrawing an enrolment, and the test page's heading."""

from __future__ import annotations

import json

import responses
from responses import matchers

COURSE_ID = "22222222-2222-4222-8222-222222222222"
ENROLMENT_ID = "77777777-7777-4777-8777-777777777777"
TEST_ID = "55555555-5555-4555-8555-555555555555"
ATTEMPT_ID = "66666666-6666-4666-8666-666666666666"
OTHER_ID = "88888888-8888-4888-8888-888888888888"
LAYOUT_PAGE = "/halaman-yang-tidak-ada"


def _no_learner_calls(gw, api):
    """The learner's cards must not be asked for: any call to these fails the test."""
    for url in ("/api/v1/enrolments", "/api/v1/certificates", "/api/v1/surveys"):
        gw.add(responses.GET, api(url), status=500, json={"status": 500})


def _learner_answers(gw, api, user_id):
    gw.add(
        responses.GET,
        api(f"/api/v1/people/{user_id}/jp"),
        json={"year": 2027, "target": 20, "earned": 4, "entries": []},
    )
    gw.add(responses.GET, api("/api/v1/certificates"), json={"items": [], "total": 0})
    gw.add(responses.GET, api("/api/v1/surveys"), json={"items": [], "total": 0})


def test_trainer_home_shows_modules_tests_and_classes_not_learner_cards(
    client, sign_in, gw, api, user_id
):
    sign_in(["trainer"])
    _no_learner_calls(gw, api)
    gw.add(
        responses.GET,
        api("/api/v1/modules"),
        json={"items": [{"id": "m1", "title": "Modul Sandi", "kind": "scorm12"}], "total": 3},
    )
    gw.add(
        responses.GET,
        api("/api/v1/assessments"),
        json={"items": [{"id": "a1", "title": "Post-test Sandi", "kind": "post_test"}], "total": 1},
    )
    classes = gw.add(
        responses.GET,
        api("/api/v1/classes"),
        json={
            "items": [
                {
                    "id": "k1",
                    "name": "Angkatan 1",
                    "course_title": "Keamanan Informasi bagi ASN",
                    "starts_on": "2027-02-01",
                    "ends_on": "2027-02-05",
                }
            ],
            "total": 1,
        },
    )
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Modul saya (3)" in page and "Modul Sandi" in page
    assert "Tes saya (1)" in page and "Post-test Sandi" in page and "Tes akhir" in page
    assert "Kelas yang saya ajar (1)" in page and "Angkatan 1" in page
    assert f"trainer_id={user_id}" in classes.calls[0].request.url
    assert "Pendaftaran saya</h2>" not in page and "JP saya" not in page
    assert not [c for c in gw.calls if "/enrolments" in c.request.url]


def test_trainer_home_survives_a_failing_card(client, sign_in, gw, api):
    sign_in(["trainer"])
    gw.add(responses.GET, api("/api/v1/modules"), status=503, json={"status": 503})
    gw.add(responses.GET, api("/api/v1/assessments"), json={"items": [], "total": 0})
    gw.add(responses.GET, api("/api/v1/classes"), json={"items": [], "total": 0})
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "sedang tidak dapat dimuat" in page
    assert "Belum ada tes." in page and "Belum ada kelas yang Anda ajar." in page


def test_admin_home_shows_compliance_and_the_course_report(client, sign_in, gw, api):
    sign_in(["admin"])
    _no_learner_calls(gw, api)
    report = gw.add(
        responses.GET,
        api("/api/v1/jp-compliance"),
        json={
            "year": 2026,
            "items": [  # largest shortfall first, sub-units beside their parents
                {"unit_code": "DISKOMINFO", "name": "Dinas Kominfo", "parent_code": None,
                 "people": 12, "below_target": 5},
                {"unit_code": "DISKOMINFO-APTIKA", "name": "Bidang Aptika",
                 "parent_code": "DISKOMINFO", "people": 4, "below_target": 3},
                {"unit_code": "BKPSDM", "name": "BKPSDM", "parent_code": None,
                 "people": 3, "below_target": 0},
            ],
        },
    )  # fmt: skip
    summary = gw.add(
        responses.GET,
        api("/api/v1/reports/summary"),
        json={
            "group_by": "course",
            "items": [
                {
                    "key": "TIK-101",
                    "label": "Keamanan Informasi",
                    "completions": 7,
                    "l2_pass_rate": 0.86,
                }
            ],
        },
    )
    page = client.get("/").get_data(as_text=True)
    assert "Dinas Kominfo:" in page and "5 dari 12 pegawai di bawah target" in page
    assert "BKPSDM:" in page and "0 dari 3 pegawai di bawah target" in page
    assert page.index("Dinas Kominfo:") < page.index("BKPSDM:")
    assert "Bidang Aptika" not in page  # counted in its parent
    assert len(report.calls) == 1  # one report, not a call per unit
    assert "Keamanan Informasi: 7 selesai · lulus 86%" in page
    assert "group_by=course" in summary.calls[0].request.url
    assert 'href="/admin"' in page and 'href="/katalog"' in page
    assert "JP saya" not in page


def test_supervisor_home_counts_requests_and_due_impact_evaluations(
    client, sign_in, gw, api, user_id
):
    sign_in(["asn", "supervisor"])
    _learner_answers(gw, api, user_id)
    gw.add(
        responses.GET,
        api("/api/v1/enrolments"),
        match=[matchers.query_param_matcher({"scope": "mine"})],
        json={"items": [], "total": 0},
    )
    gw.add(
        responses.GET,
        api("/api/v1/enrolments"),
        match=[
            matchers.query_param_matcher(
                {"scope": "team", "status": "requested"}, strict_match=False
            )
        ],
        json={
            "items": [
                {"id": "e1", "learner_id": OTHER_ID, "status": "requested"},
                {"id": "e2", "learner_id": OTHER_ID, "status": "requested"},
                # Their own request is for their supervisor: not counted.
                {"id": "e3", "learner_id": user_id, "status": "requested"},
            ],
            "total": 3,
        },
    )
    due = gw.add(
        responses.GET,
        api("/api/v1/impact-evaluations"),
        match=[responses.matchers.query_param_matcher({"status": "due", "per_page": "1"})],
        json={"items": [{"id": "i1"}], "total": 1},
    )
    overdue = gw.add(
        responses.GET,
        api("/api/v1/impact-evaluations"),
        match=[responses.matchers.query_param_matcher({"status": "overdue", "per_page": "1"})],
        json={"items": [{"id": "i2"}], "total": 2},
    )
    page = client.get("/").get_data(as_text=True)
    assert "Permintaan menunggu persetujuan: <strong>2</strong>" in page
    # Overdue evaluations are still due: counted, and said.
    assert "Evaluasi dampak yang jatuh tempo: <strong>3</strong> (2 terlambat)" in page
    assert len(due.calls) == len(overdue.calls) == 1
    # A supervisor is an ASN too: the learner's cards stay.
    assert "4 / 20 JP" in page


def _enrolments(gw, api, status="requested"):
    gw.add(
        responses.GET,
        api("/api/v1/enrolments"),
        json={
            "items": [
                {"id": ENROLMENT_ID, "status": status, "course_title": "Etika Pelayanan"},
                {"id": OTHER_ID, "status": "rejected", "course_title": "Pedoman SPBE"},
            ],
            "total": 2,
        },
    )


def test_active_enrolments_offer_batalkan_and_closed_ones_do_not(client, sign_in, gw, api):
    sign_in()
    _enrolments(gw, api)
    page = client.get("/pendaftaran").get_data(as_text=True)
    assert f'href="/pendaftaran/{ENROLMENT_ID}/batalkan"' in page
    assert f"/pendaftaran/{OTHER_ID}/batalkan" not in page


def test_withdraw_asks_first_then_posts_with_the_reason(client, sign_in, gw, api, csrf_of):
    sign_in()
    gw.add(
        responses.GET,
        api(f"/api/v1/enrolments/{ENROLMENT_ID}"),
        json={"id": ENROLMENT_ID, "status": "enrolled", "course_title": "Etika Pelayanan"},
    )
    confirm = client.get(f"/pendaftaran/{ENROLMENT_ID}/batalkan")
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200
    assert "Batalkan pendaftaran?" in page and "Etika Pelayanan" in page
    assert "daftar tunggu" in page
    # Seeing the question changes nothing.
    assert not [c for c in gw.calls if c.request.method == "POST" and "withdraw" in c.request.url]
    withdraw = gw.add(
        responses.POST,
        api(f"/api/v1/enrolments/{ENROLMENT_ID}/withdraw"),
        json={"id": ENROLMENT_ID, "status": "withdrawn"},
    )
    done = client.post(
        f"/pendaftaran/{ENROLMENT_ID}/batalkan",
        data={"csrf_token": csrf_of(client, LAYOUT_PAGE), "reason": "Bentrok dengan dinas luar"},
    )
    assert done.status_code == 303 and done.headers["Location"] == "/pendaftaran"
    assert json.loads(withdraw.calls[0].request.body) == {"reason": "Bentrok dengan dinas luar"}
    _enrolments(gw, api, status="withdrawn")
    assert "Pendaftaran dibatalkan." in client.get("/pendaftaran").get_data(as_text=True)


def test_withdraw_without_csrf_sends_nothing(client, sign_in, gw, api):
    sign_in()
    withdraw = gw.add(responses.POST, api(f"/api/v1/enrolments/{ENROLMENT_ID}/withdraw"), json={})
    response = client.post(f"/pendaftaran/{ENROLMENT_ID}/batalkan", data={})
    assert response.status_code == 400
    assert not withdraw.calls


def test_withdraw_conflict_is_explained_in_indonesian(client, sign_in, gw, api, csrf_of):
    sign_in()
    gw.add(
        responses.POST,
        api(f"/api/v1/enrolments/{ENROLMENT_ID}/withdraw"),
        status=409,
        json={
            "status": 409,
            "code": "enrolment-state",
            "detail": "An enrolment that is completed cannot be withdrawn.",
        },
    )
    done = client.post(
        f"/pendaftaran/{ENROLMENT_ID}/batalkan", data={"csrf_token": csrf_of(client, LAYOUT_PAGE)}
    )
    assert done.status_code == 303
    _enrolments(gw, api, status="completed")
    page = client.get("/pendaftaran").get_data(as_text=True)
    assert "Pendaftaran dalam keadaan ini tidak dapat diubah begitu." in page
    assert "cannot be withdrawn" not in page


def test_confirm_page_of_a_closed_enrolment_goes_back(client, sign_in, gw, api):
    sign_in()
    gw.add(
        responses.GET,
        api(f"/api/v1/enrolments/{ENROLMENT_ID}"),
        json={"id": ENROLMENT_ID, "status": "completed"},
    )
    response = client.get(f"/pendaftaran/{ENROLMENT_ID}/batalkan")
    assert response.status_code == 303


def _open_attempt(gw, api, **extra):
    gw.add(
        responses.GET,
        api(f"/api/v1/assessment-attempts/{ATTEMPT_ID}"),
        json={"id": ATTEMPT_ID, "status": "open", "questions": [], **extra},
    )


def _start(client, gw, api, csrf_of, **form):
    gw.add(
        responses.POST,
        api(f"/api/v1/assessments/{TEST_ID}/attempts"),
        status=201,
        json={"id": ATTEMPT_ID, "status": "open", "questions": []},
    )
    started = client.post(
        f"/asesmen/{TEST_ID}/mulai", data={"csrf_token": csrf_of(client, LAYOUT_PAGE), **form}
    )
    assert started.status_code == 303


def test_test_heading_uses_the_api_title(client, sign_in, gw, api):
    sign_in()
    _open_attempt(gw, api, title="Post-test Keamanan Informasi")
    page = client.get(f"/asesmen/percobaan/{ATTEMPT_ID}").get_data(as_text=True)
    assert "<h1>Post-test Keamanan Informasi</h1>" in page


def test_test_heading_falls_back_to_kind_and_course_from_the_enrolments_page(
    client, sign_in, gw, api, csrf_of
):
    sign_in()
    _start(client, gw, api, csrf_of, kind="post_test", course_title="Keamanan Informasi bagi ASN")
    _open_attempt(gw, api)
    page = client.get(f"/asesmen/percobaan/{ATTEMPT_ID}").get_data(as_text=True)
    assert "<h1>Tes akhir</h1>" in page
    assert "Keamanan Informasi bagi ASN" in page
    english = client.get(f"/asesmen/percobaan/{ATTEMPT_ID}?lang=en").get_data(as_text=True)
    assert "<h1>Post-test</h1>" in english


def test_test_heading_ignores_a_made_up_kind(client, sign_in, gw, api, csrf_of):
    sign_in()
    _start(client, gw, api, csrf_of, kind="<script>", course_title="x" * 1000)
    _open_attempt(gw, api)
    page = client.get(f"/asesmen/percobaan/{ATTEMPT_ID}").get_data(as_text=True)
    assert "<h1>Tes</h1>" in page
    assert "<script>" not in page and "x" * 201 not in page

"""Pages against a fake gateway: what they ask the API, what they show, what they never show."""

from __future__ import annotations

import json
import uuid

import pytest
import responses

COURSE_ID = "22222222-2222-4222-8222-222222222222"
CLASS_ID = "33333333-3333-4333-8333-333333333333"
MODULE_ID = "44444444-4444-4444-8444-444444444444"
TEST_ID = "55555555-5555-4555-8555-555555555555"
ATTEMPT_ID = "66666666-6666-4666-8666-666666666666"
LAYOUT_PAGE = "/halaman-yang-tidak-ada"
# Questions as evaluation serves them (ServedQuestionSchema): no answers, ever.
SERVED_QUESTIONS = [
    {"id": "s", "type": "single", "text": "Sandi terkuat?", "choices": ["a", "b", "c"]},
    {"id": "m", "type": "multiple", "text": "Laptop hilang?", "choices": ["lapor", "ganti"]},
    {"id": "tf", "type": "true_false", "text": "Phishing?", "choices": []},
    {"id": "sa", "type": "short_answer", "text": "Singkatan?", "choices": []},
    {"id": "n", "type": "numeric", "text": "Berapa?", "choices": []},
]


def test_pages_speak_indonesian_by_default(client):
    page = client.get("/masuk").get_data(as_text=True)
    assert '<html lang="id">' in page
    assert "Masuk ke Cakap" in page
    assert "Kata sandi" in page


def test_pages_speak_english_with_lang_en_and_remember_it(client):
    response = client.get("/masuk?lang=en")
    page = response.get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Sign in to Cakap" in page
    assert "Password" in page
    assert any(h.startswith("lang=en") for h in response.headers.getlist("Set-Cookie"))
    # The choice sticks without the query argument.
    assert "Sign in to Cakap" in client.get("/masuk").get_data(as_text=True)
    assert "Masuk ke Cakap" in client.get("/masuk?lang=id").get_data(as_text=True)


def test_unknown_language_falls_back_to_indonesian(client):
    assert '<html lang="id">' in client.get("/masuk?lang=xx").get_data(as_text=True)


def test_catalog_renders_course_titles_from_the_api(client, sign_in, gw, api, access_token):
    sign_in()
    listing = gw.add(
        responses.GET,
        api("/api/v1/courses"),
        json={
            "items": [
                {
                    "id": COURSE_ID,
                    "code": "TIK-101",
                    "title": "Keamanan Informasi bagi ASN",
                    "jp": 12,
                },
                {"id": str(uuid.uuid4()), "code": "PM-201", "title": "Manajemen Proyek <Dasar>"},
            ],
            "total": 45,
            "page": 2,
            "per_page": 20,
        },
    )
    response = client.get("/katalog?q=keamanan&competency=TIK&page=2")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Keamanan Informasi bagi ASN" in page
    assert "Manajemen Proyek &lt;Dasar&gt;" in page  # escaped, never raw HTML
    assert f"/katalog/{COURSE_ID}" in page
    assert "Halaman 2 dari 3" in page
    request = listing.calls[0].request
    assert request.headers["Authorization"] == f"Bearer {access_token}"
    assert (
        "q=keamanan" in request.url and "competency=TIK" in request.url and "page=2" in request.url
    )


def test_course_page_shows_classes_and_the_request_button(client, sign_in, gw, api):
    sign_in(["asn"])
    gw.add(
        responses.GET,
        api(f"/api/v1/courses/{COURSE_ID}"),
        json={"id": COURSE_ID, "code": "TIK-101", "title": "Keamanan Informasi bagi ASN"},
    )
    gw.add(
        responses.GET,
        api(f"/api/v1/courses/{COURSE_ID}/classes"),
        json={"items": [{"id": CLASS_ID, "name": "Angkatan 1", "capacity": 30}]},
    )
    page = client.get(f"/katalog/{COURSE_ID}").get_data(as_text=True)
    assert "Angkatan 1" in page
    assert f'action="/katalog/kelas/{CLASS_ID}/daftar"' in page


def test_course_page_survives_a_missing_classes_endpoint(client, sign_in, gw, api):
    sign_in()
    gw.add(responses.GET, api(f"/api/v1/courses/{COURSE_ID}"), json={"id": COURSE_ID, "title": "X"})
    gw.add(responses.GET, api(f"/api/v1/courses/{COURSE_ID}/classes"), status=404, json={})
    response = client.get(f"/katalog/{COURSE_ID}")
    assert response.status_code == 200
    assert "Data tidak ditemukan." in response.get_data(as_text=True)


def test_a_missing_course_is_the_pages_404_whatever_its_parts_say(client, sign_in, gw, api):
    sign_in()
    gw.add(responses.GET, api(f"/api/v1/courses/{COURSE_ID}"), status=404, json={"status": 404})
    gw.add(responses.GET, api(f"/api/v1/courses/{COURSE_ID}/classes"), json={"items": []})
    gw.add(responses.GET, api("/api/v1/enrolments"), json={"items": []})
    gw.add(responses.GET, api("/api/v1/competencies"), json={"items": []})
    assert client.get(f"/katalog/{COURSE_ID}").status_code == 404


def test_course_page_names_its_competencies_and_knows_my_enrolment(client, sign_in, gw, api):
    sign_in()
    gw.add(
        responses.GET,
        api(f"/api/v1/courses/{COURSE_ID}"),
        json={"id": COURSE_ID, "title": "X", "competencies": [{"code": "TIK-K1"}]},
    )
    gw.add(responses.GET, api(f"/api/v1/courses/{COURSE_ID}/classes"), json={"items": []})
    mine = gw.add(
        responses.GET, api("/api/v1/enrolments"), json={"items": [{"status": "completed"}]}
    )
    gw.add(
        responses.GET,
        api("/api/v1/competencies"),
        json={"items": [{"code": "TIK-K1", "name": "Keamanan Informasi"}]},
    )
    page = client.get(f"/katalog/{COURSE_ID}").get_data(as_text=True)
    assert "Keamanan Informasi" in page
    assert "Anda sudah menyelesaikan pelatihan ini." in page
    assert f"course_id={COURSE_ID}" in mine.calls[0].request.url


def test_a_failing_enrolment_part_leaves_the_course_page(client, sign_in, gw, api):
    sign_in()
    gw.add(responses.GET, api(f"/api/v1/courses/{COURSE_ID}"), json={"id": COURSE_ID, "title": "X"})
    gw.add(
        responses.GET,
        api(f"/api/v1/courses/{COURSE_ID}/classes"),
        json={"items": [{"id": CLASS_ID, "name": "Angkatan 1", "capacity": 30}]},
    )
    gw.add(responses.GET, api("/api/v1/enrolments"), status=503, json={"status": 503})
    gw.add(responses.GET, api("/api/v1/competencies"), status=500, json={"status": 500})
    response = client.get(f"/katalog/{COURSE_ID}")
    assert response.status_code == 200
    assert "Angkatan 1" in response.get_data(as_text=True)


def test_a_token_refused_in_a_part_of_the_course_page_ends_the_session(client, sign_in, gw, api):
    sign_in()
    gw.add(responses.GET, api(f"/api/v1/courses/{COURSE_ID}"), json={"id": COURSE_ID, "title": "X"})
    gw.add(responses.GET, api(f"/api/v1/courses/{COURSE_ID}/classes"), json={"items": []})
    gw.add(responses.GET, api("/api/v1/enrolments"), status=401, json={})
    gw.add(responses.GET, api("/api/v1/competencies"), json={"items": []})
    response = client.get(f"/katalog/{COURSE_ID}")
    assert response.status_code in (302, 303)
    assert response.headers["Location"].startswith("/masuk")


def test_request_place_posts_to_the_api_with_the_bearer_token(
    client, sign_in, gw, api, access_token, csrf_of
):
    sign_in()
    created = gw.add(
        responses.POST,
        api("/api/v1/enrolments"),
        status=201,
        json={"id": str(uuid.uuid4()), "status": "requested"},
    )
    response = client.post(
        f"/katalog/kelas/{CLASS_ID}/daftar",
        data={"csrf_token": csrf_of(client, LAYOUT_PAGE), "course_id": COURSE_ID},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/pendaftaran"
    request = created.calls[0].request
    assert request.headers["Authorization"] == f"Bearer {access_token}"
    assert json.loads(request.body) == {"class_id": CLASS_ID}


@pytest.mark.security
def test_request_place_without_csrf_is_refused_and_nothing_is_sent(client, sign_in, gw, api):
    sign_in()
    created = gw.add(responses.POST, api("/api/v1/enrolments"), status=201, json={})
    response = client.post(f"/katalog/kelas/{CLASS_ID}/daftar", data={"course_id": COURSE_ID})
    assert response.status_code == 400
    assert created.call_count == 0


ENGLISH_DETAIL = "You already have an active enrolment (requested, waitlisted or enrolled)."


@pytest.mark.parametrize(
    ("code", "shown"),
    [
        ("enrolment-exists", "Anda sudah terdaftar (diajukan, daftar tunggu, atau terdaftar)"),
        ("a-code-the-portal-does-not-know", "Permintaan bertentangan dengan keadaan data"),
        (None, "Permintaan bertentangan dengan keadaan data"),
    ],
)
def test_request_place_conflict_is_said_in_indonesian_never_the_api_detail(
    client, sign_in, gw, api, csrf_of, code, shown
):
    sign_in()
    problem = {"status": 409, "title": "Conflict", "detail": ENGLISH_DETAIL}
    if code:
        problem["code"] = code
    gw.add(
        responses.POST,
        api("/api/v1/enrolments"),
        status=409,
        json=problem,
        content_type="application/problem+json",
    )
    response = client.post(
        f"/katalog/kelas/{CLASS_ID}/daftar",
        data={"csrf_token": csrf_of(client, LAYOUT_PAGE), "course_id": COURSE_ID},
        follow_redirects=False,
    )
    assert response.headers["Location"] == f"/katalog/{COURSE_ID}"
    gw.add(responses.GET, api(f"/api/v1/courses/{COURSE_ID}"), json={"id": COURSE_ID, "title": "X"})
    gw.add(responses.GET, api(f"/api/v1/courses/{COURSE_ID}/classes"), json={"items": []})
    page = client.get(f"/katalog/{COURSE_ID}").get_data(as_text=True)
    assert shown in page
    assert ENGLISH_DETAIL not in page


@pytest.mark.security
def test_assessment_page_never_shows_answer_data(client, sign_in, gw, api, csrf_of):
    sign_in()
    gw.add(
        responses.POST,
        api(f"/api/v1/assessments/{TEST_ID}/attempts"),
        status=201,
        json={"id": ATTEMPT_ID, "status": "open", "questions": []},
    )
    started = client.post(
        f"/asesmen/{TEST_ID}/mulai", data={"csrf_token": csrf_of(client, LAYOUT_PAGE)}
    )
    # Post/redirect/get: a reload of the test page never starts another attempt.
    assert started.status_code == 303
    assert started.headers["Location"] == f"/asesmen/percobaan/{ATTEMPT_ID}"
    gw.add(
        responses.GET,
        api(f"/api/v1/assessment-attempts/{ATTEMPT_ID}"),
        json={
            "id": ATTEMPT_ID,
            "status": "open",
            "answer_key": {"q1": 2},
            "questions": [
                {
                    "id": "q1",
                    "text": "Apa kepanjangan SPBE?",
                    "choices": ["Sistem A", "Sistem B", {"text": "Sistem C", "correct": True}],
                    "answer": 2,
                    "correct_answer": "RAHASIA-JAWABAN",
                    "feedback": "RAHASIA-UMPAN-BALIK",
                    "explanation": "RAHASIA-PENJELASAN",
                },
            ],
        },
    )
    response = client.get(f"/asesmen/percobaan/{ATTEMPT_ID}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Apa kepanjangan SPBE?" in page
    assert "Sistem A" in page and "Sistem C" in page
    for secret in ("RAHASIA", "answer", "correct", "feedback", "explanation", "True"):
        assert secret not in page
    assert f'action="/asesmen/percobaan/{ATTEMPT_ID}/kirim"' in page


def test_assessment_page_renders_every_question_type(client, sign_in, gw, api):
    sign_in()
    gw.add(
        responses.GET,
        api(f"/api/v1/assessment-attempts/{ATTEMPT_ID}"),
        json={"id": ATTEMPT_ID, "status": "open", "questions": SERVED_QUESTIONS},
    )
    page = client.get(f"/asesmen/percobaan/{ATTEMPT_ID}").get_data(as_text=True)
    assert 'type="checkbox" id="q2c0" name="q-m"' in page
    assert 'name="q-tf" value="true"' in page and "Benar" in page and "Salah" in page
    assert '<input id="q4a" name="q-sa"' in page


def test_assessment_submit_sends_answers_by_type_and_shows_the_score(
    client, sign_in, gw, api, csrf_of
):
    sign_in()
    gw.add(
        responses.GET,
        api(f"/api/v1/assessment-attempts/{ATTEMPT_ID}"),
        json={"id": ATTEMPT_ID, "status": "open", "questions": SERVED_QUESTIONS},
    )
    submitted = gw.add(
        responses.POST,
        api(f"/api/v1/assessment-attempts/{ATTEMPT_ID}/submit"),
        json={"id": ATTEMPT_ID, "status": "submitted", "score": 80.0, "passed": True},
    )
    response = client.post(
        f"/asesmen/percobaan/{ATTEMPT_ID}/kirim",
        data={
            "csrf_token": csrf_of(client, LAYOUT_PAGE),
            "q-s": "2",
            "q-m": ["1", "0"],
            "q-tf": "false",
            "q-sa": "  2FA ",
            "q-n": "3,5",
            "q-unknown": "1",
        },
    )
    page = response.get_data(as_text=True)
    assert json.loads(submitted.calls[0].request.body) == {
        "answers": {"s": 2, "m": [0, 1], "tf": False, "sa": "2FA", "n": 3.5}
    }
    assert "80" in page and "Selamat, Anda lulus." in page


def test_module_launch_redirects_to_the_launch_url(client, sign_in, gw, api, csrf_of):
    sign_in()
    gw.add(
        responses.POST,
        api(f"/api/v1/modules/{MODULE_ID}/attempts"),
        status=201,
        json={"id": ATTEMPT_ID, "launch_url": f"/play/{ATTEMPT_ID}?launch=abc"},
    )
    response = client.post(
        f"/modul/{MODULE_ID}/mulai", data={"csrf_token": csrf_of(client, LAYOUT_PAGE)}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/play/{ATTEMPT_ID}?launch=abc"


def test_review_asks_for_a_launch_that_does_not_count_and_a_refusal_is_indonesian(
    client, sign_in, gw, api, csrf_of
):
    sign_in()
    launch = gw.add(
        responses.POST,
        api(f"/api/v1/modules/{MODULE_ID}/attempts"),
        status=201,
        json={"id": ATTEMPT_ID, "launch_url": f"/play/{ATTEMPT_ID}?launch=abc"},
    )
    response = client.post(
        f"/modul/{MODULE_ID}/tinjau", data={"csrf_token": csrf_of(client, LAYOUT_PAGE)}
    )
    assert response.headers["Location"] == f"/play/{ATTEMPT_ID}?launch=abc"
    assert json.loads(launch.calls[0].request.body) == {"mode": "review"}
    gw.replace(
        responses.POST,
        api(f"/api/v1/modules/{MODULE_ID}/attempts"),
        status=403,
        content_type="application/problem+json",
        json={"status": 403, "code": "not-completed", "detail": "You have not completed it."},
    )
    refused = client.post(
        f"/modul/{MODULE_ID}/tinjau",
        data={"csrf_token": csrf_of(client, LAYOUT_PAGE)},
        follow_redirects=False,
    )
    assert refused.headers["Location"].endswith("/pendaftaran")
    gw.add(responses.GET, api("/api/v1/enrolments"), json={"items": [], "total": 0})
    page = client.get("/pendaftaran").get_data(as_text=True)
    assert "ditinjau ulang setelah pelatihannya Anda selesaikan" in page
    assert "You have not completed" not in page


@pytest.mark.security
def test_module_launch_refuses_a_script_url(client, sign_in, gw, api, csrf_of):
    sign_in()
    gw.add(
        responses.POST,
        api(f"/api/v1/modules/{MODULE_ID}/attempts"),
        status=201,
        json={"id": ATTEMPT_ID, "launch_url": "javascript:alert(1)"},
    )
    response = client.post(
        f"/modul/{MODULE_ID}/mulai", data={"csrf_token": csrf_of(client, LAYOUT_PAGE)}
    )
    assert response.status_code == 502


def test_enrolments_page_offers_modules_and_post_test_for_enrolled_courses(
    client, sign_in, gw, api, user_id
):
    sign_in()
    listing = gw.add(
        responses.GET,
        api("/api/v1/enrolments"),
        json={
            "items": [
                {
                    "id": str(uuid.uuid4()),
                    "status": "enrolled",
                    "course_id": COURSE_ID,
                    "course_title": "Keamanan Informasi bagi ASN",
                },
                {"id": str(uuid.uuid4()), "status": "requested", "course_title": "Etika"},
            ],
            "total": 2,
        },
    )
    gw.add(
        responses.GET,
        api(f"/api/v1/courses/{COURSE_ID}"),
        json={"id": COURSE_ID, "module_ids": [MODULE_ID], "post_test_id": TEST_ID},
    )
    gw.add(
        responses.GET,
        api(f"/api/v1/modules/{MODULE_ID}"),
        json={"id": MODULE_ID, "title": "Keamanan Informasi"},
    )
    page = client.get("/pendaftaran").get_data(as_text=True)
    assert "scope=mine" in listing.calls[0].request.url
    assert "Terdaftar" in page and "Menunggu persetujuan" in page
    assert f'action="/modul/{MODULE_ID}/mulai"' in page
    assert "Buka modul: Keamanan Informasi" in page
    assert f'action="/asesmen/{TEST_ID}/mulai"' in page


def test_home_shows_jp_and_survives_a_failing_part(client, sign_in, gw, api, user_id):
    sign_in()
    gw.add(
        responses.GET,
        api(f"/api/v1/people/{user_id}/jp"),
        json={"year": 2027, "target": 20, "earned": 12, "entries": []},
    )
    gw.add(responses.GET, api("/api/v1/enrolments"), json={"items": [], "total": 0})
    gw.add(responses.GET, api("/api/v1/certificates"), json={"items": [], "total": 0})
    gw.add(responses.GET, api("/api/v1/surveys"), status=404, json={"status": 404})
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "12 / 20 JP" in page
    assert "Kurang 8 JP" in page


def test_gateway_5xx_gives_a_friendly_page_with_the_request_id(client, sign_in, gw, api):
    sign_in()
    gw.add(
        responses.GET,
        api("/api/v1/certificates"),
        status=500,
        json={"status": 500, "detail": "Traceback: KeyError in evaluation_service"},
    )
    response = client.get("/sertifikat", headers={"X-Request-ID": "req-portal-42"})
    page = response.get_data(as_text=True)
    assert response.status_code == 502
    assert "req-portal-42" in page
    assert "tidak dapat dihubungi" in page
    assert "Traceback" not in page and "KeyError" not in page
    # The same id went to the gateway, so the logs of every hop line up.
    assert gw.calls[-1].request.headers["X-Request-ID"] == "req-portal-42"


def test_gateway_down_gives_a_friendly_page(client, sign_in, gw, api):
    import requests

    sign_in()
    gw.add(responses.GET, api("/api/v1/certificates"), body=requests.ConnectionError("refused"))
    response = client.get("/sertifikat")
    assert response.status_code == 503
    assert response.headers["X-Request-ID"] in response.get_data(as_text=True)


def test_unexpected_exception_gives_a_page_with_the_request_id(app, client):
    @app.get("/_boom")
    def boom():
        raise RuntimeError("secret internals")

    response = client.get("/_boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "secret internals" not in page
    assert response.headers["X-Request-ID"] in page


def test_json_clients_get_problem_json(client):
    response = client.get("/nope", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 404


def test_verification_page_is_public(client, gw, api):
    call = gw.add(
        responses.GET,
        api("/api/v1/certificates/ABCD-1234/verification"),
        json={
            "valid": True,
            "name": "Nyimas Ayu Lestari",
            "course_title": "Keamanan Informasi bagi ASN",
            "jp": 12,
            "issued_on": "2027-01-15",
        },
    )
    response = client.get("/verifikasi/ABCD-1234")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Sertifikat ini sah." in page and "Nyimas Ayu Lestari" in page
    assert "Authorization" not in call.calls[0].request.headers


def test_verification_of_an_unknown_code(client, gw, api):
    gw.add(responses.GET, api("/api/v1/certificates/ZZZZ-0000/verification"), status=404, json={})
    response = client.get("/verifikasi/ZZZZ-0000")
    assert response.status_code == 404
    assert "tidak ditemukan" in response.get_data(as_text=True)


def test_verification_refuses_odd_codes_without_calling_the_api(client, gw):
    assert client.get("/verifikasi/..%2F..%2Fpeople").status_code == 404
    assert len(gw.calls) == 0


def test_certificate_pdf_is_streamed_with_the_token(client, sign_in, gw, api, access_token):
    sign_in()
    pdf = gw.add(
        responses.GET,
        api("/api/v1/certificates/ABCD-1234/pdf"),
        body=b"%PDF-1.7 test",
        content_type="application/pdf",
    )
    response = client.get("/sertifikat/ABCD-1234/pdf")
    assert response.status_code == 200
    assert response.data == b"%PDF-1.7 test"
    assert "attachment" in response.headers["Content-Disposition"]
    assert pdf.calls[0].request.headers["Authorization"] == f"Bearer {access_token}"


def test_supervisor_approves_with_the_token(client, sign_in, gw, api, access_token, csrf_of):
    sign_in(["asn", "supervisor"])
    enrolment_id = str(uuid.uuid4())
    approve = gw.add(
        responses.POST,
        api(f"/api/v1/enrolments/{enrolment_id}/approve"),
        json={"id": enrolment_id, "status": "waitlisted"},
    )
    response = client.post(
        f"/persetujuan/{enrolment_id}/setujui", data={"csrf_token": csrf_of(client, LAYOUT_PAGE)}
    )
    assert response.status_code == 303
    assert approve.calls[0].request.headers["Authorization"] == f"Bearer {access_token}"


def test_approvals_list_hides_the_supervisors_own_requests(client, sign_in, gw, api, user_id):
    sign_in(["asn", "supervisor"])
    listing = gw.add(
        responses.GET,
        api("/api/v1/enrolments"),
        json={
            "items": [
                {"id": str(uuid.uuid4()), "learner_id": user_id, "learner_name": "Saya Sendiri"},
                {"id": str(uuid.uuid4()), "learner_id": "x", "learner_name": "Nyimas Ayu"},
            ]
        },
    )
    page = client.get("/persetujuan").get_data(as_text=True)
    assert "status=requested" in listing.calls[0].request.url
    assert "scope=team" in listing.calls[0].request.url
    assert "Nyimas Ayu" in page and "Saya Sendiri" not in page


def test_trainer_uploads_a_module_as_multipart(client, sign_in, gw, api, csrf_of):
    import io

    sign_in(["trainer"])
    upload = gw.add(
        responses.POST,
        api("/api/v1/modules"),
        status=201,
        json={"id": MODULE_ID, "title": "Modul Uji", "kind": "pdf", "launch_url": "/x"},
    )
    response = client.post(
        "/modul/unggah",
        data={
            "csrf_token": csrf_of(client, "/modul/unggah"),
            "title": "Modul Uji",
            "file": (io.BytesIO(b"%PDF-1.4 tiny"), "uji.pdf", "application/pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    request = upload.calls[0].request
    assert request.headers["Content-Type"].startswith("multipart/form-data")
    body = request.body if isinstance(request.body, bytes) else request.body.read()
    assert b"%PDF-1.4 tiny" in body and b"Modul Uji" in body
    assert "Modul berhasil diunggah." in response.get_data(as_text=True)


def test_security_headers_on_pages(client):
    response = client.get("/masuk")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


SURVEY_ID = "77777777-7777-4777-8777-777777777777"
EVALUATION_ID = "88888888-8888-4888-8888-888888888888"


def test_reject_without_a_reason_sends_nothing(client, sign_in, gw, api, csrf_of):
    sign_in(["asn", "supervisor"])
    enrolment_id = str(uuid.uuid4())
    reject = gw.add(responses.POST, api(f"/api/v1/enrolments/{enrolment_id}/reject"), json={})
    response = client.post(
        f"/persetujuan/{enrolment_id}/tolak",
        data={"csrf_token": csrf_of(client, LAYOUT_PAGE), "reason": "  "},
    )
    assert response.status_code == 303
    assert reject.call_count == 0
    client.post(
        f"/persetujuan/{enrolment_id}/tolak",
        data={"csrf_token": csrf_of(client, LAYOUT_PAGE), "reason": "Anggaran habis"},
    )
    assert json.loads(reject.calls[0].request.body) == {"reason": "Anggaran habis"}


def test_survey_form_sends_every_rating(client, sign_in, gw, api, csrf_of):
    sign_in()
    items = [
        {"key": "material_1", "dimension": "material", "text": "Materi tersusun sistematis."},
        {"key": "trainer_1", "dimension": "trainer", "text": "Pengajar menguasai materi."},
    ]
    gw.add(
        responses.GET,
        api(f"/api/v1/surveys/{SURVEY_ID}"),
        json={"id": SURVEY_ID, "status": "pending", "course_title": "TIK", "items": items},
    )
    answered = gw.add(
        responses.POST, api(f"/api/v1/surveys/{SURVEY_ID}/responses"), status=201, json={}
    )
    page = client.get(f"/survei/{SURVEY_ID}").get_data(as_text=True)
    assert "Materi tersusun sistematis." in page and 'name="r-trainer_1" value="5"' in page
    token = csrf_of(client, f"/survei/{SURVEY_ID}")
    incomplete = client.post(
        f"/survei/{SURVEY_ID}", data={"csrf_token": token, "r-material_1": "4"}
    )
    assert incomplete.status_code == 400 and answered.call_count == 0
    done = client.post(
        f"/survei/{SURVEY_ID}",
        data={"csrf_token": token, "r-material_1": "4", "r-trainer_1": "5", "comment": " ok "},
    )
    assert done.status_code == 303
    assert json.loads(answered.calls[0].request.body) == {
        "ratings": {"material_1": 4, "trainer_1": 5},
        "comment": "ok",
    }


def test_impact_form_posts_per_competency_ratings(client, sign_in, gw, api, csrf_of, user_id):
    sign_in(["asn", "supervisor"])
    gw.add(
        responses.GET,
        api(f"/api/v1/impact-evaluations/{EVALUATION_ID}"),
        json={
            "id": EVALUATION_ID,
            "evaluator_id": user_id,
            "evaluator_role": "supervisor",
            "learner_name": "Dedi Kurniawan",
            "course_title": "Keamanan Informasi bagi ASN",
            "competencies": [{"code": "TIK-KI", "level": 2}],
            "status": "due",
            "due_on": "2027-05-01",
        },
    )
    gw.add(
        responses.GET,
        api("/api/v1/competencies"),
        json={"items": [{"code": "TIK-KI", "name": "Keamanan Informasi"}]},
    )
    submitted = gw.add(
        responses.POST,
        api(f"/api/v1/impact-evaluations/{EVALUATION_ID}/submission"),
        status=201,
        json={"id": EVALUATION_ID, "status": "done"},
    )
    page = client.get(f"/evaluasi-dampak/{EVALUATION_ID}").get_data(as_text=True)
    assert "Keamanan Informasi" in page and 'name="rating-TIK-KI"' in page
    response = client.post(
        f"/evaluasi-dampak/{EVALUATION_ID}",
        data={
            "csrf_token": csrf_of(client, LAYOUT_PAGE),
            "rating-TIK-KI": "4",
            "impact_rating": "3",
            "evidence_text": "Mengunci layar setiap meninggalkan meja.",
            "appreciation_title": "Teladan keamanan informasi",
        },
    )
    assert response.status_code == 303
    assert json.loads(submitted.calls[0].request.body) == {
        "behaviour_ratings": [{"competency_code": "TIK-KI", "rating": 4}],
        "evidence_text": "Mengunci layar setiap meninggalkan meja.",
        "impact_rating": 3,
        "appreciation": {"title": "Teladan keamanan informasi", "description": None},
    }


def test_team_lists_people_below_me_without_myself(client, sign_in, gw, api, user_id):
    sign_in(["asn", "supervisor"])
    other = str(uuid.uuid4())
    gw.add(
        responses.GET,
        api("/api/v1/people"),
        json={
            "items": [
                {"id": user_id, "name": "Saya Sendiri"},
                {"id": other, "name": "Aisyah Rahma", "supervisor_id": user_id},
            ],
            "total": 2,
        },
    )
    gw.add(
        responses.GET,
        api(f"/api/v1/people/{other}/jp"),
        json={"year": 2027, "target": 20, "earned": 8, "shortfall": 12, "entries": []},
    )
    page = client.get("/tim").get_data(as_text=True)
    assert "Aisyah Rahma" in page and "Saya Sendiri" not in page
    assert "8 / 20" in page

"""Account pages against the fake gateway: what is sent, and Indonesian words for every refusal."""

from __future__ import annotations

import json

import pytest
import responses

PERSON = "22222222-2222-4222-8222-222222222222"


def problem(status: int, **extra):
    return {"type": "about:blank", "title": "x", "status": status, "detail": "English", **extra}


def activation_form(csrf: str, **overrides):
    data = {
        "username": "199507212019022002",
        "code": "ABCD-EFGH-JKMN",
        "password": "kopi tubruk di tepi musi",
        "confirm": "kopi tubruk di tepi musi",
        "csrf_token": csrf,
    }
    return {**data, **overrides}


def test_activation_prefills_from_the_link_and_sends_the_fields(client, gw, api, csrf_of):
    page = client.get("/aktivasi?u=199507212019022002&kode=ABCD-EFGH-JKMN").get_data(as_text=True)
    assert 'value="199507212019022002"' in page and 'value="ABCD-EFGH-JKMN"' in page
    sent = gw.add(responses.POST, api("/api/v1/auth/activate"), json={"username": "x"})
    response = client.post("/aktivasi", data=activation_form(csrf_of(client, "/aktivasi")))
    assert response.status_code == 303 and response.headers["Location"] == "/masuk"
    assert json.loads(sent.calls[0].request.body) == {
        "username": "199507212019022002",
        "code": "ABCD-EFGH-JKMN",
        "password": "kopi tubruk di tepi musi",
    }


@pytest.mark.parametrize(
    "status, body, words",
    [
        (400, problem(400, code="code-used"), "sudah dipakai"),
        (400, problem(400, code="code-expired"), "kedaluwarsa"),
        (400, problem(400, code="code-wrong"), "Kode salah"),
        (422, problem(422, code="password-common"), "terlalu umum"),
        (422, problem(422, code="password-personal"), "Jangan memakai NIP"),
        (429, problem(429), "Terlalu banyak percobaan"),
        (503, problem(503), "tidak dapat dihubungi"),
    ],
)
def test_activation_refusals_in_indonesian(client, gw, api, csrf_of, status, body, words):
    gw.add(responses.POST, api("/api/v1/auth/activate"), status=status, json=body)
    response = client.post("/aktivasi", data=activation_form(csrf_of(client, "/aktivasi")))
    page = response.get_data(as_text=True)
    assert response.status_code in (status, 502)
    assert words in page and "English" not in page
    assert "kopi tubruk" not in page  # a typed password is never echoed back


def test_activation_confirmation_must_match(client, gw, csrf_of):
    form = activation_form(csrf_of(client, "/aktivasi"), confirm="something else entirely")
    response = client.post("/aktivasi", data=form)
    assert response.status_code == 400
    assert "Kedua kata sandi berbeda" in response.get_data(as_text=True)
    assert not gw.calls or all("/activate" not in c.request.url for c in gw.calls)


def test_forgot_answers_the_same_and_goes_to_the_code_page(client, gw, api, csrf_of):
    sent = gw.add(responses.POST, api("/api/v1/auth/password-reset"), status=202, json={})
    response = client.post(
        "/lupa-sandi",
        data={"username": "199507212019022002", "csrf_token": csrf_of(client, "/lupa-sandi")},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/lupa-sandi/atur?u=199507212019022002"
    assert json.loads(sent.calls[0].request.body) == {"username": "199507212019022002"}


def test_reset_with_code(client, gw, api, csrf_of):
    sent = gw.add(responses.POST, api("/api/v1/auth/password-reset/confirm"), status=204)
    response = client.post(
        "/lupa-sandi/atur",
        data={
            "username": "199507212019022002",
            "code": "ABCD-EFGH-JKMN",
            "new_password": "teh manis hangat sekali",
            "confirm": "teh manis hangat sekali",
            "csrf_token": csrf_of(client, "/lupa-sandi/atur"),
        },
    )
    assert response.status_code == 303 and response.headers["Location"] == "/masuk"
    assert json.loads(sent.calls[0].request.body)["new_password"] == "teh manis hangat sekali"


def test_change_password_wrong_old_one(client, sign_in, gw, api, csrf_of):
    sign_in()
    gw.add(
        responses.POST,
        api("/api/v1/auth/password"),
        status=400,
        json=problem(400, code="password-wrong", errors={"old_password": ["wrong password"]}),
    )
    response = client.post(
        "/akun/kata-sandi",
        data={
            "old_password": "salah",
            "new_password": "teh manis hangat sekali",
            "confirm": "teh manis hangat sekali",
            "csrf_token": csrf_of(client, "/akun/kata-sandi"),
        },
    )
    assert response.status_code == 400
    assert "Kata sandi sekarang salah" in response.get_data(as_text=True)


def account(state: str) -> dict:
    return {
        "person_id": PERSON,
        "username": "199507212019022002",
        "roles": ["asn"],
        "state": state,
        "must_change_password": False,
        "activated_at": None,
        "deactivated_at": None,
        "password_changed_at": None,
        "activation_expires_at": None,
    }


def person_answers(gw, api, state: str) -> None:
    gw.upsert(
        responses.GET,
        api(f"/api/v1/people/{PERSON}"),
        json={"id": PERSON, "name": "Nyimas Ayu", "nip": "199507212019022002", "unit_code": "DKI"},
    )
    gw.upsert(responses.GET, api(f"/api/v1/people/{PERSON}/account"), json=account(state))


def test_admin_issues_an_activation_code_shown_once(client, sign_in, gw, api, csrf_of):
    sign_in(["admin"])
    person_answers(gw, api, "pending")
    page = client.get(f"/admin/pegawai/{PERSON}/akun").get_data(as_text=True)
    assert "Menunggu aktivasi" in page and "Terbitkan kode aktivasi" in page
    gw.add(
        responses.POST,
        api(f"/api/v1/people/{PERSON}/activation"),
        status=201,
        json={"code": "WXYZ-2345-ABCD", "expires_at": "2026-12-13T00:00:00Z", "username": "x"},
    )
    token = csrf_of(client, f"/admin/pegawai/{PERSON}/akun")
    response = client.post(f"/admin/pegawai/{PERSON}/akun/aktivasi", data={"csrf_token": token})
    assert response.status_code == 200
    assert "WXYZ-2345-ABCD" in response.get_data(as_text=True)
    assert "WXYZ-2345-ABCD" not in client.get(f"/admin/pegawai/{PERSON}/akun").get_data(
        as_text=True
    )


def test_admin_deactivate_and_a_refused_action(client, sign_in, gw, api, csrf_of):
    sign_in(["admin"])
    person_answers(gw, api, "active")
    token = csrf_of(client, f"/admin/pegawai/{PERSON}/akun")
    gw.add(responses.POST, api(f"/api/v1/people/{PERSON}/deactivate"), json=account("deactivated"))
    person_answers(gw, api, "deactivated")
    done = client.post(f"/admin/pegawai/{PERSON}/akun/nonaktifkan", data={"csrf_token": token})
    assert "Dinonaktifkan" in done.get_data(as_text=True)
    gw.add(
        responses.POST,
        api(f"/api/v1/people/{PERSON}/password-reset"),
        status=409,
        json=problem(409),
    )
    refused = client.post(f"/admin/pegawai/{PERSON}/akun/atur-ulang", data={"csrf_token": token})
    assert refused.status_code == 409
    assert "tidak dapat dilakukan" in refused.get_data(as_text=True)


def test_account_pages_are_admin_only(client, sign_in):
    sign_in(["asn", "supervisor"])
    assert client.get(f"/admin/pegawai/{PERSON}/akun").status_code == 403
    assert client.get("/admin/aktivasi-unit").status_code == 403


def test_unit_sheet_on_screen_and_as_csv(client, sign_in, gw, api, csrf_of):
    sign_in(["admin"])
    row = {
        "person_id": PERSON,
        "nip": "199507212019022002",
        "name": "Nyimas Ayu",
        "unit_code": "DKI",
        "username": "199507212019022002",
        "code": "WXYZ-2345-ABCD",
        "expires_at": "2026-12-13T00:00:00Z",
    }
    gw.add(
        responses.POST,
        api("/api/v1/units/DKI/activations"),
        status=201,
        json={"items": [row], "total": 1},
        match=[responses.matchers.header_matcher({"Accept": "application/json"})],
    )
    token = csrf_of(client, "/admin/aktivasi-unit")
    shown = client.post("/admin/aktivasi-unit", data={"unit_code": "DKI", "csrf_token": token})
    assert "WXYZ-2345-ABCD" in shown.get_data(as_text=True)
    gw.add(
        responses.POST,
        api("/api/v1/units/DKI/activations"),
        status=201,
        body="nip,name\r\n199507212019022002,Nyimas Ayu\r\n",
        headers={"Content-Disposition": 'attachment; filename="aktivasi-DKI.csv"'},
        content_type="text/csv",
        match=[responses.matchers.header_matcher({"Accept": "text/csv"})],
    )
    csv = client.post(
        "/admin/aktivasi-unit", data={"unit_code": "DKI", "format": "csv", "csrf_token": token}
    )
    assert csv.mimetype == "text/csv" and "Nyimas Ayu" in csv.get_data(as_text=True)
    assert "aktivasi-DKI.csv" in csv.headers["Content-Disposition"]


def test_unit_sheet_as_pdf_and_by_mail_for_an_opd_admin(client, sign_in, gw, api, csrf_of):
    sign_in(["asn", "opd_admin"])
    home = client.get("/").get_data(as_text=True)
    assert "/admin/aktivasi-unit" in home  # the OPD admin's own way in
    gw.add(
        responses.POST,
        api("/api/v1/units/DKI/activations"),
        status=201,
        body=b"%PDF-1.4 slips",
        headers={"Content-Disposition": 'attachment; filename="aktivasi-DKI.pdf"'},
        content_type="application/pdf",
        match=[responses.matchers.header_matcher({"Accept": "application/pdf"})],
    )
    token = csrf_of(client, "/admin/aktivasi-unit")
    pdf = client.post(
        "/admin/aktivasi-unit", data={"unit_code": "DKI", "format": "pdf", "csrf_token": token}
    )
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert "aktivasi-DKI.pdf" in pdf.headers["Content-Disposition"]
    gw.add(
        responses.POST,
        api("/api/v1/units/DKI/activation-mails"),
        status=202,
        json={"queued": ["a", "b"], "without_email": ["c"], "not_pending": []},
    )
    mailed = client.post(
        "/admin/aktivasi-unit", data={"unit_code": "DKI", "format": "email", "csrf_token": token}
    ).get_data(as_text=True)
    assert "2 surel aktivasi dikirim" in mailed and "1 pegawai belum punya alamat surel" in mailed


def test_unit_outside_an_opd_admins_units_is_said_in_indonesian(client, sign_in, gw, api, csrf_of):
    sign_in(["asn", "opd_admin"])
    gw.add(
        responses.POST,
        api("/api/v1/units/OTHER/activations"),
        status=403,
        json=problem(403, code="unit-outside"),
    )
    token = csrf_of(client, "/admin/aktivasi-unit")
    refused = client.post("/admin/aktivasi-unit", data={"unit_code": "OTHER", "csrf_token": token})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 403
    assert "di luar unit yang Anda kelola" in page and "English" not in page


JOB = "33333333-3333-4333-8333-333333333333"


def test_import_result_issues_activation_for_its_people(client, sign_in, gw, api, csrf_of):
    sign_in(["admin"])
    job = {"id": JOB, "status": "done", "stage": "done", "created": 2, "updated": 0,
           "unchanged": 0, "error_count": 0, "errors": [], "filename": "pegawai.csv"}  # fmt: skip
    gw.add(responses.GET, api(f"/api/v1/people/import-jobs/{JOB}"), json=job)
    page = client.get(f"/admin/pegawai/impor/{JOB}").get_data(as_text=True)
    assert f"/admin/pegawai/impor/{JOB}/aktivasi" in page
    row = {"person_id": PERSON, "nip": "199507212019022002", "name": "Nyimas Ayu",
           "unit_code": "DKI", "username": "199507212019022002", "code": "WXYZ-2345-ABCD",
           "expires_at": "2026-12-13T00:00:00Z"}  # fmt: skip
    gw.add(
        responses.POST,
        api(f"/api/v1/people/import-jobs/{JOB}/activations"),
        status=201,
        json={"items": [row], "total": 1},
    )
    token = csrf_of(client, f"/admin/pegawai/impor/{JOB}")
    shown = client.post(f"/admin/pegawai/impor/{JOB}/aktivasi", data={"csrf_token": token})
    assert shown.status_code == 200 and "WXYZ-2345-ABCD" in shown.get_data(as_text=True)
    gw.add(
        responses.POST,
        api(f"/api/v1/people/import-jobs/{JOB}/activations"),
        status=409,
        json=problem(409, code="import-not-done"),
    )
    refused = client.post(f"/admin/pegawai/impor/{JOB}/aktivasi", data={"csrf_token": token})
    assert refused.status_code == 303
    after = client.get(f"/admin/pegawai/impor/{JOB}").get_data(as_text=True)
    assert "Impor belum selesai" in after


def test_unit_account_states_for_an_opd_admin(client, sign_in, gw, api, csrf_of):
    sign_in(["asn", "opd_admin"])
    rows = [
        {"person_id": PERSON, "nip": "199507212019022002", "name": "Nyimas Ayu",
         "unit_code": "DKI", "username": "199507212019022002", "state": "pending"},
        {"person_id": "p2", "nip": "198203142008031001", "name": "Rizal Effendi",
         "unit_code": "DKI", "username": "198203142008031001", "state": "active"},
    ]  # fmt: skip
    gw.add(
        responses.GET,
        api("/api/v1/units/DKI/accounts"),
        json={"items": rows, "total": 250, "page": 1, "per_page": 100},
        match=[responses.matchers.query_param_matcher({"per_page": "100"})],
    )
    token = csrf_of(client, "/admin/aktivasi-unit")
    page = client.post(
        "/admin/aktivasi-unit", data={"unit_code": "DKI", "format": "states", "csrf_token": token}
    ).get_data(as_text=True)
    assert "Status akun (250)" in page and "Menampilkan 2 pertama" in page
    assert "Menunggu aktivasi" in page and "Aktif" in page and "Rizal Effendi" in page

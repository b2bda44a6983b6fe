"""Activation for the rows of an import, and the printable PDF sheet (one slip per person)."""

from __future__ import annotations

import io
import time

import pytest
from pypdf import PdfReader

HEADER = "nip,name,unit_code,position,grade,supervisor_nip"
A = "198506152010011001"
B = "199002202014022002"
C = "199103032015031003"
PDF = {"Accept": "application/pdf"}


def run_import(org, text: str) -> dict:
    started = org.post(
        "/api/v1/people/import-jobs",
        data={"file": (io.BytesIO(text.encode()), "pegawai.csv")},
        content_type="multipart/form-data",
    )
    assert started.status_code == 202, started.get_json()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        job = org.get(f"/api/v1/people/import-jobs/{started.get_json()['id']}").get_json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError("the import did not finish")


def import_sheet(org, job_id: str, headers: dict[str, str] | None = None):
    return org.client.post(
        f"/api/v1/people/import-jobs/{job_id}/activations",
        headers={**org.headers("admin"), **(headers or {})},
    )


def test_import_sheet_holds_exactly_the_people_that_import_created(org):
    first = run_import(org, f"{HEADER}\n{A},Ahmad Fauzi,OPD-A,Kepala Bidang,IV/a,\n")
    # The second file creates B and C and only updates A (and the org's staff): not theirs.
    second = run_import(
        org,
        f"{HEADER}\n"
        f"{A},Ahmad Fauzi,OPD-A,Kepala Bidang Baru,IV/a,\n"
        f"{B},Bayu Saputra,OPD-A-SUB,Kepala Seksi,III/d,{A}\n"
        f"{C},Citra Lestari,OPD-B,Analis,III/a,\n"
        f"{org.nips['staff']},Staff,OPD-A-SUB,Pranata Komputer Ahli Muda,III/b,\n",
    )
    assert (second["created"], second["updated"]) == (2, 2)
    sheet = import_sheet(org, second["id"])
    assert sheet.status_code == 201, sheet.get_json()
    assert sorted(row["nip"] for row in sheet.get_json()["items"]) == sorted([B, C])
    assert {row["nip"] for row in import_sheet(org, first["id"]).get_json()["items"]} == {A}


def test_import_sheet_leaves_out_who_activated_since(org):
    job = run_import(
        org, f"{HEADER}\n{A},Ahmad Fauzi,OPD-A,Kepala Bidang,IV/a,\n{B},Bayu,OPD-A,Staf,III/a,\n"
    )
    code = next(
        r["code"] for r in import_sheet(org, job["id"]).get_json()["items"] if r["nip"] == A
    )
    activated = org.client.post(
        "/api/v1/auth/activate",
        json={"username": A, "code": code, "password": "kopi tubruk di tepi musi"},
    )
    assert activated.status_code == 200
    again = import_sheet(org, job["id"]).get_json()
    assert [row["nip"] for row in again["items"]] == [B]


def test_import_sheet_of_a_missing_job_and_rights(org):
    missing = import_sheet(org, "00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    job = run_import(org, f"{HEADER}\n{A},Ahmad Fauzi,OPD-A,Kepala Bidang,IV/a,\n")
    for who in ("kabid", "staff", "trainer"):
        refused = org.post(f"/api/v1/people/import-jobs/{job['id']}/activations", who=who)
        assert refused.status_code == 403, who
    # Nobody's code was issued by the refused calls: the account still has no pending code.
    person = org.get(f"/api/v1/people?q={A}").get_json()["items"][0]
    account = org.get(f"/api/v1/people/{person['id']}/account").get_json()
    assert account["state"] == "pending" and account["activation_expires_at"] is None


def test_a_running_import_has_no_sheet_yet(app, org):
    from personnel_service.extensions import db
    from personnel_service.models import ImportJob

    with app.app_context():
        job = ImportJob(status="running", filename="x.csv")
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    refused = import_sheet(org, job_id)
    assert refused.status_code == 409 and refused.get_json()["code"] == "import-not-done"


def pdf_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_unit_sheet_as_pdf_one_slip_per_person(org):
    response = org.client.post(
        "/api/v1/units/OPD-A/activations", headers={**org.headers("admin"), **PDF}
    )
    assert response.status_code == 201 and response.mimetype == "application/pdf"
    assert 'filename="aktivasi-OPD-A.pdf"' in response.headers["Content-Disposition"]
    pages = pdf_text(response.get_data())
    text = "\n".join(pages)
    assert len(pages) == 1  # four people, four slips a page
    assert text.count("AKTIVASI AKUN CAKAP") == 4
    for key in ("kadis", "kabid", "staff", "peer"):
        assert f"NIP: {org.nips[key]}" in text
    assert "Dinas A (OPD-A)" in text and "Berlaku sampai" in text
    # The codes printed are the ones that work: the first slip's code activates its person.
    assert "Kode aktivasi:" in text


def test_pdf_codes_are_the_live_ones(org):
    response = org.client.post(
        "/api/v1/units/OPD-A-SUB/activations", headers={**org.headers("admin"), **PDF}
    )
    text = "\n".join(pdf_text(response.get_data()))
    lines = text.splitlines()
    for key in ("kabid", "staff"):
        at = lines.index(f"NIP: {org.nips[key]}")
        code = next(line for line in lines[at:] if line.startswith("Kode aktivasi:")).split(": ")[1]
        activated = org.client.post(
            "/api/v1/auth/activate",
            json={"username": org.nips[key], "code": code, "password": "kopi tubruk di tepi musi"},
        )
        assert activated.status_code == 200, (key, activated.get_json())


@pytest.mark.parametrize("count, pages", [(0, 1), (5, 2)])
def test_pdf_pages_follow_the_number_of_slips(count, pages):
    from datetime import UTC, datetime

    from personnel_service.domain.activation_sheet_pdf import render

    rows = [
        {
            "nip": f"19900101201501100{i}",
            "name": f"Pegawai {i}",
            "unit_code": "OPD-A",
            "username": f"19900101201501100{i}",
            "code": "ABCD-EFGH-JKMN",
            "expires_at": datetime(2026, 12, 14, 3, 5, tzinfo=UTC),
        }
        for i in range(count)
    ]
    data = render(rows, unit_name="Dinas A", activation_url="https://x/aktivasi", font_path=None)
    text = pdf_text(data)
    assert len(text) == pages
    if count:
        assert "14 Desember 2026 pukul 10.05 WIB" in text[0]
    else:
        assert "Tidak ada akun yang menunggu aktivasi" in text[0]

"""Activation after an import (the result page's button, PDF slips) and the OPD admin's own page."""

from __future__ import annotations

import io
import time
import uuid

import pytest

from tests.support.journeys import fresh_nips

PASSWORD = "sungai musi di waktu senja"
SLOW = 60_000  # password hashing on a loaded machine


def new_unit(admin) -> str:
    code = f"UJI-{uuid.uuid4().hex[:6].upper()}"
    made = admin.post("/api/v1/units", json={"code": code, "name": f"Bagian Uji {code}"})
    assert made.status_code == 201, made.text
    return code


def csv_of(unit: str, nips: list[str]) -> bytes:
    rows = "".join(f"{nip},Pegawai Uji {i},{unit},Staf,III/a,\n" for i, nip in enumerate(nips))
    return ("nip,name,unit_code,position,grade,supervisor_nip\n" + rows).encode()


def import_job(admin, data: bytes, created: int) -> str:
    """Run a background import that adds `created` people to its end; the job id."""
    started = admin.post(
        "/api/v1/people/import-jobs",
        files={"file": ("pegawai.csv", io.BytesIO(data), "text/csv")},
    )
    assert started.status_code == 202, started.text
    job_id = started.json()["id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = admin.get(f"/api/v1/people/import-jobs/{job_id}").json()
        if job["status"] in ("done", "failed"):
            assert job["status"] == "done", job
            assert job["created"] == created, job
            return job_id
        time.sleep(0.2)
    raise AssertionError("the import did not finish")


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_import_result_issues_activation_for_the_people_it_created(
    suite, page_as, assert_fits, phone
):
    admin_api = suite.api("admin")
    unit = new_unit(admin_api)
    earlier = fresh_nips(1)
    import_job(admin_api, csv_of(unit, earlier), created=1)
    created = fresh_nips(2)
    # The second file repeats the earlier person (updated, not created) and adds two.
    job_id = import_job(admin_api, csv_of(unit, earlier + created), created=2)

    admin = page_as("admin", phone=phone)
    admin.goto(f"/admin/pegawai/impor/{job_id}")
    section = admin.locator("#aktivasi-impor")
    assert "Aktivasi akun pegawai baru" in section.inner_text()
    assert_fits(admin)
    with admin.expect_download() as download:
        section.locator("button[value=pdf]").click()
    pdf = download.value
    assert pdf.suggested_filename.endswith(".pdf")
    with open(pdf.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"

    section.locator("button[value=html]").click()
    admin.wait_for_url("**/aktivasi")
    codes = {}
    for row in admin.locator("#kode-impor tbody tr").all():
        cells = row.locator("td").all_inner_texts()
        codes[cells[0]] = cells[3]
    assert set(codes) == set(created)  # exactly the people this import created
    assert_fits(admin)
    activated = suite.api("admin").post(
        "/api/v1/auth/activate",
        json={"username": created[0], "code": codes[created[0]], "password": PASSWORD},
    )
    assert activated.status_code == 200, activated.text


def opd_admin_of(suite, unit: str, nip: str) -> None:
    """Make the imported person `nip` the OPD admin of their unit, with PASSWORD."""
    admin = suite.api("admin")
    person = admin.get("/api/v1/people", params={"q": nip}).json()["items"][0]
    granted = admin.patch(f"/api/v1/people/{person['id']}", json={"roles": ["asn", "opd_admin"]})
    assert granted.status_code == 200, granted.text
    code = admin.post(f"/api/v1/people/{person['id']}/activation").json()["code"]
    activated = admin.post(
        "/api/v1/auth/activate", json={"username": nip, "code": code, "password": PASSWORD}
    )
    assert activated.status_code == 200, activated.text


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_opd_admin_issues_for_their_unit_only(suite, page_as, assert_fits, phone):
    admin_api = suite.api("admin")
    own, other = new_unit(admin_api), new_unit(admin_api)
    staff = fresh_nips(2)
    import_job(admin_api, csv_of(own, staff), created=2)
    import_job(admin_api, csv_of(other, fresh_nips(1)), created=1)
    opd_admin_of(suite, own, staff[0])

    page = page_as(staff[0], phone=phone, password=PASSWORD)
    page.set_default_timeout(SLOW)
    if phone:
        page.click(".menu-toggle")  # the header folds its links behind the menu button
    page.locator("nav.menu a[href='/admin/aktivasi-unit']").click()
    page.wait_for_url("**/admin/aktivasi-unit")
    assert_fits(page)
    page.fill("#unit_code", own)
    page.click("button[value=html]")
    nips = [row.locator("td").first.inner_text() for row in page.locator("tbody tr").all()]
    assert nips == [staff[1]]  # their own account is active: not on the sheet
    assert_fits(page)

    page.fill("#unit_code", own)
    page.click("button[value=states]")
    states = page.locator("#status-akun tbody tr").all_inner_texts()
    assert len(states) == 2
    assert any(staff[0] in row and "Aktif" in row for row in states)
    assert any(staff[1] in row and "Menunggu aktivasi" in row for row in states)
    assert_fits(page)

    page.fill("#unit_code", own)
    page.click("button[value=email]")
    mailed = page.locator("#hasil-surel").inner_text()
    assert "0 surel aktivasi dikirim" in mailed and "1 pegawai belum punya alamat surel" in mailed
    assert_fits(page)

    page.fill("#unit_code", other)
    page.click("button[value=html]")
    assert "di luar unit yang Anda kelola" in page.locator("[role=alert]").inner_text()
    assert page.locator("tbody tr").count() == 0
    assert_fits(page)

"""Perencanaan: from the needs analysis to the plan to enrolment requests, as the admin.

Each run makes its own unit, people, competency and class through the API, so the plan
touches no demo person another test relies on.
"""

from __future__ import annotations

import random
import uuid
from datetime import date

import pytest
from personnel_service.domain.nip import make_nip
from support.journeys import city_today


def _own_unit(suite) -> dict[str, str]:
    """A unit with three people short of one competency and a class that closes it."""
    admin = suite.api("admin")
    tag = uuid.uuid4().hex[:6].upper()
    unit, code, position = f"PLN-{tag}", f"T-PLN-{tag}", f"Analis Perencanaan {tag}"
    year = city_today().year + 1

    def ok(response, status=201):
        assert response.status_code == status, response.text
        return response.json()

    ok(admin.post("/api/v1/units", json={"code": unit, "name": f"Bidang Uji {tag}"}))
    ok(admin.post("/api/v1/competencies", json={"code": code, "name": code, "type": "teknis"}))
    body = {"position": position, "competencies": [{"code": code, "level": 3}]}
    ok(admin.post("/api/v1/position-standards", json=body))
    rng = random.Random()
    for n, name in enumerate(("Arif", "Bunga", "Cahya")):
        nip = make_nip(date(1988, 5, 1 + n), (2014, 3), "M", rng.randint(100, 999))
        person = {"nip": nip, "name": f"{name} {tag}", "unit_code": unit, "position": position,
                  "grade": "III/b"}  # fmt: skip
        ok(admin.post("/api/v1/people", json=person))
    course = ok(
        admin.post(
            "/api/v1/courses",
            json={
                "code": f"PLN-{tag}",
                "title": f"Perencanaan Uji {tag}",
                "description": "",
                "jp": 16,
                "cost_per_participant": 2_000_000,
                "module_ids": [],
                "competencies": [{"code": code, "level": 3}],
            },
        )
    )
    ok(admin.post(f"/api/v1/courses/{course['id']}/publish"), 200)
    klass = {"name": "Angkatan I", "starts_on": f"{year}-03-02", "ends_on": f"{year}-03-04",
             "capacity": 2, "enrolment_opens_on": city_today().isoformat(),
             "enrolment_closes_on": f"{year}-02-20"}  # fmt: skip
    ok(admin.post(f"/api/v1/courses/{course['id']}/classes", json=klass))
    return {"unit": unit, "code": code, "year": str(year), "tag": tag}


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_needs_to_plan_to_enrolment_requests(suite, page_as, assert_fits, phone: bool) -> None:
    own = _own_unit(suite)
    page = page_as("admin", phone=phone)
    page.goto("/")
    if phone:  # the menu folds behind its button at 375 px
        page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Perencanaan").click()
    assert page.locator("h1").inner_text() == "Analisis kebutuhan pelatihan"
    page.select_option("#unit", own["unit"])
    page.fill("#tahun", own["year"])
    page.click("form >> text=Tampilkan kebutuhan")
    needs = page.locator("#kesenjangan li")
    assert needs.count() == 1
    assert own["code"] in needs.first.inner_text()
    assert "3 pegawai, kurang 9 level" in needs.first.inner_text()
    assert_fits(page)
    with page.expect_download() as download:
        page.click("text=Unduh XLSX")
    assert (
        download.value.suggested_filename == f"kebutuhan-pelatihan-{own['unit']}-{own['year']}.xlsx"
    )
    page.fill("#anggaran", "4.000.000")
    page.click("#susun button[type=submit]")
    page.wait_for_url("**/perencanaan/rencana/**")
    assert page.locator("#status-rencana").inner_text() == "Optimal (terbukti)"
    rows = page.locator("#penugasan > li")
    assert rows.count() == 2  # two seats, Rp 4 juta: two of the three people
    assert f"Menutup {own['code']} dari level 0 ke 3" in rows.first.inner_text()
    assert page.locator("#belum-terpenuhi li").count() == 1
    assert "Rp 4.000.000" in page.locator("#ringkasan").inner_text()
    assert_fits(page)
    page.click("#buat-permintaan")
    assert "2 permintaan pendaftaran dibuat." in page.locator(".flash").first.inner_text()
    assert page.locator("#penugasan >> text=Menunggu persetujuan").count() == 2
    assert_fits(page)
    page.click("#buat-permintaan")
    assert "Tidak ada permintaan baru" in page.locator(".flash").first.inner_text()
    assert page.locator("#penugasan >> text=Menunggu persetujuan").count() == 2


def test_a_bad_budget_is_refused_in_indonesian(suite, page_as) -> None:
    own = _own_unit(suite)
    page = page_as("admin")
    page.goto(f"/perencanaan?unit={own['unit']}&tahun={own['year']}")
    page.fill("#anggaran", "banyak sekali")
    page.click("#susun button[type=submit]")
    assert "Isi anggaran dalam rupiah" in page.locator(".flash").first.inner_text()


def test_only_admins_plan(page_as) -> None:
    page = page_as("pegawai")
    assert page.get_by_role("link", name="Perencanaan").count() == 0
    response = page.goto("/perencanaan")
    assert response is not None and response.status == 403

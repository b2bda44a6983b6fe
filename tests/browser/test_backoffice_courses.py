"""Back office, courses and classes: create, publish, open a class; approve over budget."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest


def _code() -> str:
    return f"BO-{uuid.uuid4().hex[:6].upper()}"


def test_create_publish_and_open_a_class(page_as, assert_fits) -> None:
    page = page_as("admin")
    page.goto("/admin/pelatihan/baru")
    code = _code()
    page.fill("#f-code", code)
    page.fill("#f-title", "Tata Naskah Dinas Elektronik")
    page.fill("#f-jp", "0")
    page.click("form.form button[type=submit]")
    assert page.locator("#e-jp").is_visible()  # the catalog refused jp=0, next to the field
    page.fill("#f-jp", "12")
    page.fill("#f-competencies", "T-DKI-SPBE:2")
    page.click("form.form button[type=submit]")
    assert page.locator("h1").inner_text() == "Tata Naskah Dinas Elektronik"
    assert page.locator("#course-status").inner_text() == "Draf"
    page.click("#publish")
    assert page.locator("#course-status").inner_text() == "Terbit"
    assert page.locator("#publish").count() == 0  # nothing offered that cannot be done
    page.click("text=Buka kelas")
    start = date.today() + timedelta(days=30)
    page.fill("#f-name", "Angkatan I")
    page.fill("#f-starts_on", start.isoformat())
    page.fill("#f-ends_on", (start - timedelta(days=2)).isoformat())
    page.fill("#f-capacity", "25")
    page.click("form.form button[type=submit]")
    assert page.locator("#e-ends_on").is_visible()
    page.fill("#f-ends_on", (start + timedelta(days=2)).isoformat())
    page.locator("input[name=trainer_ids]").first.check()
    page.click("form.form button[type=submit]")
    assert page.locator("h1").inner_text() == "Angkatan I"
    assert page.locator("#seats").inner_text() == "0 / 25"
    assert page.locator(".empty").is_visible()
    assert_fits(page)


@pytest.fixture
def requested_over_budget(suite) -> dict:
    """A published course costing more than any unit budget, and pegawai's request for it."""
    admin = suite.api("admin")
    course = admin.post(
        "/api/v1/courses",
        json={"code": _code(), "title": "Sertifikasi Arsitek Cloud", "jp": 30,
              "cost_per_participant": 900_000_000_000},
    ).json()  # fmt: skip
    assert admin.post(f"/api/v1/courses/{course['id']}/publish").status_code == 200
    start = date.today() + timedelta(days=20)
    klass = admin.post(
        f"/api/v1/courses/{course['id']}/classes",
        json={"name": "Angkatan Anggaran", "starts_on": start.isoformat(),
              "ends_on": (start + timedelta(days=1)).isoformat(), "capacity": 5},
    ).json()  # fmt: skip
    enrolment = suite.api("pegawai").post("/api/v1/enrolments", json={"class_id": klass["id"]})
    assert enrolment.status_code == 201, enrolment.text
    return {"class": klass, "enrolment": enrolment.json()}


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_approve_over_budget_with_an_override(
    page_as, assert_fits, requested_over_budget, phone: bool
) -> None:
    page = page_as("admin", phone=phone)
    page.goto(f"/admin/kelas/{requested_over_budget['class']['id']}")
    row = page.locator("#roster tbody tr").filter(has_text="Nyimas Ayu Lestari")
    assert "Menunggu persetujuan" in row.inner_text()
    assert_fits(page)
    row.locator("button.approve").click()
    assert "/lampaui-anggaran" in page.url
    assert page.locator("#fig-cost").inner_text() == "Rp 900.000.000.000"
    assert page.locator("#fig-short").is_visible()
    assert_fits(page)
    page.fill("#override_reason", "ok")
    page.click("form.form button[type=submit]")
    assert page.locator("#e-override_reason").is_visible()
    page.fill("#override_reason", "Prioritas transformasi digital kota")
    page.click("form.form button[type=submit]")
    assert f"/admin/kelas/{requested_over_budget['class']['id']}" in page.url
    row = page.locator("#roster tbody tr").filter(has_text="Nyimas Ayu Lestari")
    assert "Terdaftar" in row.inner_text()
    assert page.locator("#seats").inner_text() == "1 / 5"


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
@pytest.mark.parametrize("url", ["/admin/pelatihan", "/admin/pelatihan/baru"])
def test_course_pages_fit(page_as, assert_fits, url: str, phone: bool) -> None:
    page = page_as("admin", phone=phone)
    assert page.goto(url).status == 200
    assert_fits(page)


def test_no_back_office_for_others(page_as) -> None:
    page = page_as("atasan")
    assert page.goto("/admin/pelatihan").status == 403
    assert page.locator("a[href='/admin']").count() == 0

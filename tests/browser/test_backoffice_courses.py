"""Back office, courses and classes: create, publish, open a class; approve over budget."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from support.journeys import city_today


def _code() -> str:
    return f"BO-{uuid.uuid4().hex[:6].upper()}"


def test_create_publish_and_open_a_class(suite, page_as, assert_fits) -> None:
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
    page.fill("#f-min_attendance_percent", "150")  # the completion rule, in percent
    page.click("form.form button[type=submit]")
    assert page.locator("#e-min_attendance_percent").is_visible()
    page.fill("#f-min_attendance_percent", "90")
    page.click("form.form button[type=submit]")
    assert page.locator("h1").inner_text() == "Tata Naskah Dinas Elektronik"
    course_id = page.url.rstrip("/").rsplit("/", 1)[1]
    stored = suite.api("admin").get(f"/api/v1/courses/{course_id}").json()
    assert stored["min_attendance_percent"] == 90
    assert page.locator("#course-status").inner_text() == "Draf"
    page.click("#publish")
    assert page.locator("#course-status").inner_text() == "Terbit"
    assert page.locator("#publish").count() == 0  # nothing offered that cannot be done
    page.click("text=Buka kelas")
    start = city_today() + timedelta(days=30)
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
    start = city_today() + timedelta(days=20)
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


def test_course_form_picks_modules_and_tests_by_title(suite, page_as) -> None:
    """Modules and pre/post tests are chosen from e-learning's and evaluation's lists."""
    admin = suite.api("admin")
    modules = admin.get("/api/v1/modules", params={"per_page": 100}).json()["items"]
    posts = admin.get("/api/v1/assessments", params={"kind": "post_test"}).json()["items"]
    assert modules and posts, "the demo data has modules and post tests"
    page = page_as("admin")
    page.goto("/admin/pelatihan/baru")
    code = _code()
    page.fill("#f-code", code)
    page.fill("#f-title", "Literasi Data untuk ASN")
    page.fill("#f-jp", "8")
    page.select_option("#f-form", "e_learning")
    page.locator("#f-module_ids label").filter(has_text=modules[0]["title"]).first.click()
    page.select_option("#f-post_test_id", label=posts[0]["title"])
    page.click("form.form button[type=submit]")
    assert page.locator("h1").inner_text() == "Literasi Data untuk ASN"
    course = {"id": page.url.rstrip("/").rsplit("/", 1)[-1]}
    saved = admin.get(f"/api/v1/courses/{course['id']}").json()
    assert saved["code"] == code
    assert saved["module_ids"] == [modules[0]["id"]]
    assert saved["post_test_id"] == posts[0]["id"] and saved["pre_test_id"] is None
    # editing shows the choices made, by title, and can take the module away again
    page.goto(f"/admin/pelatihan/{course['id']}/ubah")
    chosen = page.locator("#f-module_ids input:checked")
    assert chosen.count() == 1 and chosen.get_attribute("value") == modules[0]["id"]
    picked = page.locator("#f-post_test_id option:checked").inner_text()
    assert picked == posts[0]["title"]
    chosen.uncheck()
    page.click("form.form button[type=submit]")
    assert admin.get(f"/api/v1/courses/{course['id']}").json()["module_ids"] == []


@pytest.fixture
def open_class(suite) -> dict:
    """A published classroom course with a class starting in a month."""
    admin = suite.api("admin")
    course = admin.post(
        "/api/v1/courses", json={"code": _code(), "title": "Pelayanan Prima", "jp": 16}
    ).json()
    assert admin.post(f"/api/v1/courses/{course['id']}/publish").status_code == 200
    start = city_today() + timedelta(days=30)
    klass = admin.post(
        f"/api/v1/courses/{course['id']}/classes",
        json={"name": "Angkatan Lama", "starts_on": start.isoformat(),
              "ends_on": (start + timedelta(days=2)).isoformat(), "capacity": 10},
    ).json()  # fmt: skip
    return klass


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_edit_a_class(suite, page_as, assert_fits, open_class, phone: bool) -> None:
    page = page_as("admin", phone=phone)
    page.goto(f"/admin/kelas/{open_class['id']}")
    page.click("#edit-class")
    assert page.locator("#f-name").input_value() == "Angkatan Lama"
    assert page.locator("#f-capacity").input_value() == "10"
    assert_fits(page)
    start = date.fromisoformat(open_class["starts_on"])
    page.fill("#f-ends_on", (start - timedelta(days=1)).isoformat())
    page.fill("#f-capacity", "0")
    page.click("form.form button[type=submit]")
    # refused by the catalog, each next to its field; nothing was saved
    assert page.locator("#e-capacity").is_visible()
    assert suite.api("admin").get(f"/api/v1/classes/{open_class['id']}").json()["capacity"] == 10
    page.fill("#f-capacity", "30")
    page.click("form.form button[type=submit]")
    assert page.locator("#e-ends_on").is_visible()
    assert_fits(page)
    page.fill("#f-name", "Angkatan Baru")
    page.fill("#f-ends_on", (start + timedelta(days=4)).isoformat())
    page.fill("#f-place", "Aula Rumah Dinas Walikota")
    page.locator("input[name=trainer_ids]").first.check()
    page.click("form.form button[type=submit]")
    assert page.locator("h1").inner_text() == "Angkatan Baru"
    assert page.locator("#seats").inner_text() == "0 / 30"
    assert "Aula Rumah Dinas Walikota" in page.locator(".facts").inner_text()
    saved = suite.api("admin").get(f"/api/v1/classes/{open_class['id']}").json()
    assert saved["ends_on"] == (start + timedelta(days=4)).isoformat()
    assert len(saved["trainer_ids"]) == 1
    assert_fits(page)


def test_class_edit_is_not_offered_to_others(page_as, open_class) -> None:
    page = page_as("trainer")
    assert page.goto(f"/admin/kelas/{open_class['id']}/ubah").status == 403

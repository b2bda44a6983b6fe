"""The learner's and supervisor's pages on a desktop and on a 375 px phone."""

from __future__ import annotations

import pytest

WIDTHS = pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])


@WIDTHS
def test_catalog_finds_a_course_by_its_code_and_filters_by_competency_name(
    page_as, assert_fits, phone
):
    page = page_as("pegawai", phone=phone)
    page.goto("/katalog")
    page.fill("#q", "tik 220")
    page.click("form.filters button[type=submit]")
    titles = page.locator("ul.courses h2").all_inner_texts()
    assert titles == ["Analisis Data dengan Spreadsheet"]
    assert_fits(page)

    page.click("text=Hapus filter")
    page.select_option("#competency", label="Integritas")
    page.click("form.filters button[type=submit]")
    assert "competency=M-INT" in page.url
    assert page.locator("ul.courses li").count() >= 1
    assert_fits(page)


@WIDTHS
def test_only_open_classes_filter_narrows_the_list(page_as, phone):
    page = page_as("pegawai", phone=phone)
    page.goto("/katalog")
    everything = int(page.locator("[role=status]").inner_text().split()[0])
    page.check("#open")
    page.click("form.filters button[type=submit]")
    status = page.locator("[role=status]").inner_text()
    assert "open=1" in page.url
    assert status.startswith("Tidak ada") or int(status.split()[0]) <= everything


@WIDTHS
def test_a_course_page_keeps_daftar_on_screen(page_as, assert_fits, phone):
    page = page_as("pegawai", phone=phone)
    page.goto("/katalog")
    page.locator("ul.courses h2 a").first.click()
    assert page.locator("h1").is_visible()
    assert_fits(page)


@WIDTHS
def test_supervisor_pages_fit_and_show_their_actions(page_as, assert_fits, phone):
    page = page_as("atasan", phone=phone)
    for path in ("/persetujuan", "/tim", "/evaluasi-dampak", "/pendaftaran", "/sertifikat"):
        page.goto(path)
        assert page.locator("h1").is_visible(), path
        assert_fits(page)
    page.goto("/persetujuan")
    approve = page.get_by_role("button", name="Setujui").first
    approve.scroll_into_view_if_needed()
    box = approve.bounding_box()
    assert (
        box is not None and box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]
    )


def test_phone_header_is_one_line_and_the_menu_opens(page_as):
    page = page_as("atasan", phone=True)
    header = page.locator("header.top").bounding_box()
    assert header is not None and header["height"] < 80
    menu = page.get_by_role("link", name="Tim saya")
    assert not menu.is_visible()
    toggle = page.get_by_role("button", name="Menu")
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    menu.click()
    assert page.url.endswith("/tim")


@WIDTHS
def test_anyone_can_type_a_certificate_code_to_verify_it(page_as, assert_fits, phone):
    page = page_as(None, phone=phone)
    page.goto("/verifikasi")
    page.fill("#kode", "KODE-YANG-TIDAK-ADA")
    page.get_by_role("button", name="Periksa").click()
    assert "/verifikasi/KODE-YANG-TIDAK-ADA" in page.url
    assert "tidak ditemukan" in page.locator("[role=alert]").inner_text()
    assert page.locator("#kode").input_value() == "KODE-YANG-TIDAK-ADA"
    assert "Pemerintah Kota Palembang" in page.locator("footer").inner_text()
    assert_fits(page)


def test_the_favicon_is_served(suite):
    import requests

    icon = requests.get(f"{suite.url}/favicon.ico", timeout=10)
    assert icon.status_code == 200 and icon.headers["Content-Type"].startswith("image/svg+xml")

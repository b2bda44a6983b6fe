"""Back office, people and units: list with filters, person page, create with field errors,
and an import whose one bad row is shown with its line and message."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

PAGES = ["/admin", "/admin/unit", "/admin/pegawai", "/admin/pegawai/baru", "/admin/pegawai/impor"]


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
@pytest.mark.parametrize("url", PAGES)
def test_people_pages_open_and_fit(page_as, assert_fits, url: str, phone: bool) -> None:
    page = page_as("admin", phone=phone)
    response = page.goto(url)
    assert response is not None and response.status == 200
    assert page.locator("h1").first.is_visible()
    assert_fits(page)


def test_people_list_filters_sorts_and_says_when_nothing_matches(page_as) -> None:
    page = page_as("admin")
    page.goto("/admin/pegawai")
    total = int(page.locator("#jumlah").inner_text().split()[0].replace(".", ""))
    assert total > 100
    page.select_option("#unit_code", "DISKOMINFO")
    page.check("input[name=include_subunits]")
    page.select_option("#sort", "-name")
    page.click("form.filters button[type=submit]")
    names = page.locator("table tbody tr td:first-child").all_inner_texts()
    assert "Nyimas Ayu Lestari" in " ".join(names) or len(names) == 20
    assert names == sorted(names, reverse=True)
    in_unit = int(page.locator("#jumlah").inner_text().split()[0].replace(".", ""))
    assert 0 < in_unit < total
    page.fill("#q", "tidak-ada-nama-seperti-ini")
    page.click("form.filters button[type=submit]")
    assert page.locator(".empty").is_visible()
    assert page.locator("table").count() == 0


def test_person_page_shows_record_history_and_jp(page_as, assert_fits) -> None:
    page = page_as("admin")
    page.goto("/admin/pegawai?q=199507212019022002")
    page.click("table tbody tr td a")
    assert page.locator("h1").inner_text().startswith("Nyimas Ayu Lestari")
    assert page.locator("#data-h").is_visible() and page.locator("#riwayat-h").is_visible()
    assert "JP" in page.locator("#jp-h").inner_text()
    assert "199507212019022002" in page.inner_text("main")
    assert page.locator("#akun").is_visible()


def test_create_refused_field_shows_next_to_it_then_saves(page_as) -> None:
    page = page_as("admin")
    page.goto("/admin/pegawai/baru")
    page.fill("#f-nip", "199213042016022005")  # month 13: no such birth date
    page.fill("#f-name", "Rani Oktaviani, S.E.")
    page.select_option("#f-unit_code", "DISKOMINFO-APTIKA")
    page.select_option("#f-grade", "III/a")
    page.fill("#f-position", "Analis Keuangan")
    page.click("form.form button[type=submit]")
    error = page.locator("#e-nip")
    assert error.is_visible() and "NIP" in error.inner_text()
    assert page.locator("#f-nip").get_attribute("aria-invalid") == "true"
    assert page.locator("#e-name").count() == 0
    nip = f"19920304201602{random.choice('12')}{random.randint(100, 999)}"
    page.fill("#f-nip", nip)
    page.click("form.form button[type=submit]")
    assert page.locator("h1").inner_text() == "Rani Oktaviani, S.E."
    assert nip in page.inner_text("main")


def test_import_with_one_bad_row_shows_its_line_and_message(page_as, tmp_path) -> None:
    good = f"19880101201{random.randint(0, 9)}01{random.randint(1, 2)}{random.randint(100, 999)}"
    rows = [
        "nip,name,unit_code,position,grade,supervisor_nip",
        f"{good},Budi Santoso,DISKOMINFO-APTIKA,Pranata Komputer,III/b,",
        "198801012010011999,Salah Unit,UNIT-TIDAK-ADA,Pranata Komputer,III/b,",
    ]
    file = tmp_path / "pegawai.csv"
    file.write_text("\n".join(rows) + "\n")
    page = page_as("admin")
    page.goto("/admin/pegawai/impor")
    page.set_input_files("#file", str(file))
    page.click("#isi form button[type=submit]")
    page.wait_for_selector("#count-created", timeout=30_000)
    assert page.locator("#count-errors").inner_text() == "1"
    created = int(page.locator("#count-created").inner_text())
    updated = int(page.locator("#count-updated").inner_text())
    assert created + updated + int(page.locator("#count-unchanged").inner_text()) == 1
    row = page.locator("#row-errors tbody tr")
    assert row.count() == 1
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == "3" and cells[1] == "Unit kerja"
    assert cells[2] == "Unit kerja tidak dikenal di Cakap."
    with page.expect_download() as download:
        page.click("text=Unduh CSV")
    lines = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "row,field,message"
    assert lines[1].startswith("3,unit_code,") and "UNIT-TIDAK-ADA" in lines[1]

"""Back office, budgets and reports: charts drawn by Chart.js from the portal itself, the JP
compliance drill-down and its XLSX, the evaluation and monthly reports."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

PAGES = [
    "/admin/anggaran",
    "/admin/laporan",
    "/admin/laporan/kepatuhan-jp",
    "/admin/laporan/kepatuhan-jp/unit/DISKOMINFO",
    "/admin/laporan/evaluasi",
    "/admin/laporan/evaluasi?per=unit",
    "/admin/laporan/penyelesaian",
]


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
@pytest.mark.parametrize("url", PAGES)
def test_report_pages_open_fit_and_draw_their_charts(
    page_as, assert_fits, url: str, phone: bool
) -> None:
    page = page_as("admin", phone=phone)
    outside = []
    page.on("request", lambda r: outside.append(r.url) if "127.0.0.1" not in r.url else None)
    assert page.goto(url).status == 200
    canvases = page.locator("canvas[data-chart]")
    if canvases.count():
        # Chart.js sized the canvas: the library loaded from /static/vendor and ran.
        page.wait_for_function("() => document.querySelector('canvas').width > 0")
        assert page.evaluate("() => typeof window.Chart") == "function"
    assert outside == []  # nothing from a CDN
    assert_fits(page)


def test_compliance_drill_down_and_xlsx_rows(page_as, suite) -> None:
    page = page_as("admin")
    page.goto("/admin/laporan/kepatuhan-jp")
    shortfalls = [
        int(t) for t in page.locator("#compliance tbody td:nth-child(4)").all_inner_texts()
    ]
    assert shortfalls == sorted(shortfalls, reverse=True) and shortfalls[0] > 0
    page.locator("#compliance tr[data-unit=DISKOMINFO] a").click()
    assert page.locator("h1").inner_text() == "Dinas Komunikasi dan Informatika"
    below = page.locator("#below tbody tr")
    assert below.count() > 0
    shown = below.first.locator("td").all_inner_texts()
    with page.expect_download() as download:
        page.click("#download-xlsx")
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("name", "unit_code", "position", "target_jp", "earned_jp", "shortfall_jp")
    total = int(page.locator("#below-h").inner_text().rsplit("(", 1)[1].rstrip(")"))
    assert len(rows) - 1 == total
    assert rows[1][0] == shown[0] and rows[1][5] == int(shown[4])
    assert all(r[1].startswith("DISKOMINFO") for r in rows[1:])
    # The same people through the API: the file says what the service says.
    api = suite.api("admin").get("/api/v1/units/DISKOMINFO/compliance?per_page=100").json()
    assert {r[0] for r in rows[1:]} == {p["name"] for p in api["items"]}


def test_compliance_csv_escapes_formulas_and_matches_the_page(page_as) -> None:
    page = page_as("admin")
    page.goto("/admin/laporan/kepatuhan-jp")
    with page.expect_download() as download:
        page.click("text=Unduh CSV")
    lines = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("unit_code,unit,people,below_target")
    assert any(line.startswith("DISKOMINFO,") for line in lines)


def test_budget_set_and_changed_with_field_error(page_as) -> None:
    page = page_as("admin")
    page.goto("/admin/anggaran?year=2031")
    assert page.locator(".empty").is_visible()
    page.select_option("#f-unit_code", "BKPSDM")
    page.fill("#f-amount", "sepuluh juta")
    page.click("form.form button[type=submit]")
    assert page.locator("#e-amount").is_visible()
    page.fill("#f-amount", "10000000")
    page.click("form.form button[type=submit]")
    row = page.locator("#budgets tr[data-unit=BKPSDM]")
    assert "10.000.000" in row.inner_text()
    row.locator("input[name=amount]").fill("12500000")
    row.locator("button").click()
    assert "12.500.000" in page.locator("#budgets tr[data-unit=BKPSDM]").inner_text()


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_operations_show_each_services_health_version_and_delivery(
    page_as, assert_fits, phone: bool
) -> None:
    page = page_as("admin", phone=phone)
    assert page.goto("/admin/operasi?layanan=notification").status == 200
    # Every service of the suite, from the gateway's registry (the portal keeps no list).
    rows = page.locator("#services tbody tr")
    names = {rows.nth(i).get_attribute("data-service") for i in range(rows.count())}
    assert {"personnel", "catalog", "elearning", "evaluation", "notification", "planning"} <= names
    for name in ("personnel", "catalog", "elearning", "evaluation", "notification"):
        cells = page.locator(f"#services tr[data-service={name}] td").all_inner_texts()
        assert len(cells) == 8 and cells[1] == "Sehat" and cells[2].strip() not in ("", "—")
        assert all(c.strip().isdigit() for c in cells[3:]), cells
    planning = page.locator("#services tr[data-service=planning] td").all_inner_texts()
    assert planning[1] == "Sehat" and planning[2].strip() not in ("", "—")
    assert planning[3] == "Tidak mengirim peristiwa."
    assert page.locator("#services tr[data-service=planning] a").count() == 0
    assert "notification" in page.locator("#dead-h").inner_text()
    assert_fits(page)


def test_operations_are_not_offered_to_trainers(page_as) -> None:
    page = page_as("trainer")
    assert page.goto("/admin/operasi").status == 403

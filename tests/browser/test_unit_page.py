"""Unit kerja in the browser (desktop and 375 px): a supervisor compares the top-level
units and opens one to compare its sub-units; no person is named on the page."""

from __future__ import annotations

import pytest

WIDTHS = pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])


@WIDTHS
def test_a_leader_compares_units_without_names(suite, page_as, assert_fits, phone):
    admin = suite.api("admin")
    figures = admin.get("/api/v1/unit-development").json()
    shown = [u for u in figures["items"] if u["enough_people"]]
    assert shown, "the demo city has units large enough to show"
    page = page_as("atasan", phone=phone)
    page.goto("/tim")
    page.get_by_role("link", name="Bandingkan unit kerja").click()
    rows = page.locator("#units tbody tr")
    assert rows.count() == len(figures["items"])
    first = shown[0]
    share = page.locator(f"#units tr[data-unit='{first['unit_code']}'] td.share").inner_text()
    assert share == f"{round(first['at_target_share'] * 100)}%"
    assert page.locator("#units tr.mine").count() == 1  # atasan's own OPD is marked
    assert "Rizal" not in page.locator("main").inner_text()
    assert_fits(page)
    parent = next(u for u in figures["items"] if u["has_children"])
    page.locator(f"#units tr[data-unit='{parent['unit_code']}'] a").click()
    assert f"induk={parent['unit_code']}" in page.url
    assert page.locator("#units tbody tr").count() >= 1
    assert_fits(page)

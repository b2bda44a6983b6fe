"""Every demo account signs in through the real gateway and sees its own beranda."""

from __future__ import annotations

import pytest

# The section each role's beranda leads with (see templates/home.html).
HEADINGS = {
    "pegawai": "#jp",
    "atasan": "#jp",
    "trainer": "#modul",
    "admin": "#kepatuhan",
}


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
@pytest.mark.parametrize("login", sorted(HEADINGS))
def test_each_role_reaches_its_beranda(page_as, assert_fits, login: str, phone: bool) -> None:
    page = page_as(login, phone=phone)
    assert page.locator("h1").first.inner_text().startswith("Selamat datang")
    assert page.locator(HEADINGS[login]).is_visible()
    assert_fits(page)


def test_a_wrong_password_is_refused_in_indonesian(page_as) -> None:
    page = page_as(None)
    page.goto("/masuk")
    page.fill("#username", "pegawai")
    page.fill("#password", "bukan-sandinya")
    page.click("form button[type=submit]")
    alert = page.locator("[role=alert]")
    assert alert.is_visible()
    assert "/masuk" in page.url


@pytest.mark.parametrize("login", sorted(HEADINGS))
def test_the_menu_fits_one_line_at_1280_px(page_as, login: str) -> None:
    page = page_as(login)
    links = page.locator("nav.menu a")
    tops = {round(links.nth(i).bounding_box()["y"]) for i in range(links.count())}
    assert len(tops) == 1, f"{login}'s menu wraps onto {len(tops)} lines"
    header = page.locator("header.top").bounding_box()
    assert header is not None and header["height"] < 80


def test_the_admin_sees_the_top_units_compliance_as_personnel_reports_it(page_as, suite) -> None:
    report = suite.api("admin").get("/api/v1/jp-compliance").json()
    top = [row for row in report["items"] if not row["parent_code"]][:10]
    assert top, "the demo data has units"
    page = page_as("admin")
    lines = page.locator("#kepatuhan + ul li").all_inner_texts()
    assert [line.split(":")[0] for line in lines] == [row["name"] for row in top]
    first = top[0]
    assert f"{first['below_target']} dari {first['people']} pegawai di bawah target" in lines[0]

"""Back office, dictionaries: competencies, position standards, providers."""

from __future__ import annotations

import uuid

import pytest


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
@pytest.mark.parametrize(
    "url", ["/admin/kompetensi", "/admin/standar-jabatan", "/admin/penyelenggara"]
)
def test_dictionary_pages_open_and_fit(page_as, assert_fits, url: str, phone: bool) -> None:
    page = page_as("admin", phone=phone)
    assert page.goto(url).status == 200
    assert page.locator("table tbody tr").count() > 0  # the demo city has them
    assert_fits(page)


def test_add_a_provider_refused_code_then_saved(page_as) -> None:
    page = page_as("admin")
    page.goto("/admin/penyelenggara")
    page.fill("#f-code", "UNSRI S2")  # a space: the catalog refuses the code
    page.fill("#f-name", "Universitas Sriwijaya - Magister Ilmu Komputer")
    page.select_option("#f-kind", "university")
    page.click("form.form button[type=submit]")
    assert page.locator("#e-code").is_visible()
    code = f"UNSRI-S2-{uuid.uuid4().hex[:4].upper()}"
    page.fill("#f-code", code)
    page.click("form.form button[type=submit]")
    assert page.locator("#providers tbody tr").filter(has_text=code).count() == 1


def test_set_a_position_standard(page_as) -> None:
    page = page_as("admin")
    page.goto("/admin/standar-jabatan")
    position = f"Analis Data Ahli Muda {uuid.uuid4().hex[:4]}"
    page.fill("#f-position", position)
    page.fill("#f-competencies", "T-DKI-DATA:3\nM-KOM:2")
    page.click("form.form button[type=submit]")
    row = page.locator("#standards tbody tr").filter(has_text=position)
    assert "T-DKI-DATA:3" in row.inner_text()

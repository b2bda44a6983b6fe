"""The bell and the Pemberitahuan page: pegawai sees her approval, opens the page, marks it read."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from support.journeys import city_today


def approved_class_for_pegawai(suite) -> str:
    """A fresh course pegawai asked for and admin approved; its code."""
    admin, pegawai = suite.api("admin"), suite.api("pegawai")
    code = f"NTF-{uuid.uuid4().hex[:6].upper()}"
    course = admin.post(
        "/api/v1/courses",
        json={
            "code": code,
            "title": "Literasi Data untuk ASN",
            "description": "uji",
            "jp": 2,
            "competencies": [],
            "module_ids": [],
        },
    )
    assert course.status_code == 201, course.text
    admin.post(f"/api/v1/courses/{course.json()['id']}/publish")
    today = city_today()
    klass = admin.post(
        f"/api/v1/courses/{course.json()['id']}/classes",
        json={
            "name": "Angkatan Bel",
            "starts_on": (today + timedelta(days=3)).isoformat(),
            "ends_on": (today + timedelta(days=4)).isoformat(),
            "capacity": 5,
        },
    )
    assert klass.status_code == 201, klass.text
    asked = pegawai.post("/api/v1/enrolments", json={"class_id": klass.json()["id"]})
    assert asked.status_code == 201, asked.text
    approved = admin.post(f"/api/v1/enrolments/{asked.json()['id']}/approve")
    assert approved.status_code == 200, approved.text
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the event travels through catalog's outbox
        items = pegawai.get("/api/v1/notifications?unread=true").json()["items"]
        if any(code in item["body"] for item in items):
            return code
        time.sleep(0.5)
    raise AssertionError(f"no notification for {code}")


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_bell_leads_to_the_notice_which_can_be_marked_read(
    suite, page_as, assert_fits, phone: bool
) -> None:
    code = approved_class_for_pegawai(suite)
    page = page_as("pegawai", phone=phone)
    bell = page.locator("a.bell")
    assert bell.is_visible()
    unread = int(page.locator(".bell-count").inner_text())
    assert unread >= 1
    assert "belum dibaca" in bell.get_attribute("aria-label")
    assert_fits(page)
    bell.click()
    page.wait_for_url("**/pemberitahuan")
    assert page.locator("h1").inner_text() == "Pemberitahuan"
    notice = page.locator("li.notice", has_text=code)
    assert notice.count() == 1
    assert "notice-unread" in notice.get_attribute("class")
    assert notice.locator("h2").inner_text().endswith("Pendaftaran pelatihan disetujui")
    assert_fits(page)
    notice.get_by_role("button", name="Tandai sudah dibaca").click()
    page.wait_for_load_state()
    notice = page.locator("li.notice", has_text=code)
    assert "notice-unread" not in notice.get_attribute("class")
    assert int(page.locator(".bell-count").inner_text()) == unread - 1
    page.get_by_role("link", name="Belum dibaca", exact=True).click()
    page.wait_for_load_state()
    assert page.locator("li.notice", has_text=code).count() == 0
    assert_fits(page)
    # "Buka" on a notice goes to the page that acts on it.
    page.goto("/pemberitahuan")
    page.locator("li.notice", has_text=code).get_by_role("button", name="Buka").click()
    page.wait_for_url("**/pendaftaran")
    assert_fits(page)


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_e_mail_settings_are_chosen_and_kept(suite, page_as, assert_fits, phone: bool) -> None:
    page = page_as("trainer", phone=phone)
    page.goto("/pemberitahuan")
    page.get_by_role("link", name="Pengaturan e-mail pemberitahuan").click()
    page.wait_for_url("**/pemberitahuan/pengaturan")
    assert page.locator("h1").inner_text() == "Pengaturan pemberitahuan"
    assert_fits(page)
    mode = "off" if phone else "digest"
    page.locator(f"input[name=certificate_issued][value={mode}]").check()
    page.select_option("select[name=quiet_start]", "21")
    page.select_option("select[name=quiet_end]", "6")
    page.get_by_role("button", name="Simpan pengaturan").click()
    page.wait_for_load_state()
    assert page.locator(".flash-success").inner_text() == "Pengaturan pemberitahuan disimpan."
    assert page.locator(f"input[name=certificate_issued][value={mode}]").is_checked()
    assert page.locator("select[name=quiet_start]").input_value() == "21"
    stored = suite.api("trainer").get("/api/v1/notification-preferences").json()
    assert stored["email"]["certificate_issued"] == mode
    assert stored["quiet_hours"] == {"start": 21, "end": 6}
    assert stored["email"]["enrolment_requested"] == "digest"  # untouched kinds keep theirs
    assert_fits(page)

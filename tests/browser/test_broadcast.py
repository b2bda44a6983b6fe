"""Announcements (BKPSDM writes; people read them on the beranda and /pengumuman), nudges
from the supervisor's team page, and the admin's page of e-mails that did not arrive."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from email import message_from_bytes, policy
from typing import Any

import pytest
from support.journeys import city_today

PHONES = pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])


def wait_for(fetch: Callable[[], Any], what: str, timeout: float = 60) -> Any:
    """Poll until fetch() gives something (events and e-mail travel between processes)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = fetch()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"never happened: {what}")


@PHONES
def test_admin_announces_to_a_unit_and_pegawai_reads_it(suite, page_as, assert_fits, phone):
    title = f"Rapat koordinasi {uuid.uuid4().hex[:6]}"
    admin = page_as("admin", phone=phone)
    admin.goto("/admin/pengumuman")
    assert admin.locator("h1").inner_text() == "Pengumuman"
    assert_fits(admin)
    admin.get_by_role("button", name="Kirim pengumuman").click()  # nothing written yet
    admin.wait_for_load_state()
    assert admin.locator("#e-title").is_visible() and admin.locator("#e-body").is_visible()
    assert_fits(admin)
    admin.fill("#f-title", title)
    admin.fill("#f-body", "Rapat hari Senin pukul 09.00\ndi ruang rapat lantai 2.")
    admin.select_option("#f-unit_code", "DISKOMINFO-APTIKA")
    # Shown on the beranda until a day: a day already past is refused beside the field.
    admin.fill("#f-expires_on", (city_today() - timedelta(days=2)).isoformat())
    admin.get_by_role("button", name="Kirim pengumuman").click()
    admin.wait_for_load_state()
    assert "sudah lewat" in admin.locator("#e-expires_on").inner_text()
    last_day = city_today() + timedelta(days=7)
    admin.fill("#f-expires_on", last_day.isoformat())
    admin.get_by_role("button", name="Kirim pengumuman").click()
    admin.wait_for_load_state()
    sent = admin.locator(".flash-success").inner_text()
    assert re.search(r"Pengumuman terkirim kepada [1-9]\d* pegawai", sent), sent
    row = admin.locator("#sent-announcements tr", has_text=title)
    assert row.count() == 1 and "DISKOMINFO-APTIKA" in row.inner_text()
    assert str(last_day.year) in row.locator("td").nth(4).inner_text()
    assert_fits(admin)

    page = page_as("pegawai", phone=phone)  # the beranda
    banner = page.locator(".announcement-banner")
    assert title in banner.inner_text()
    assert_fits(page)
    banner.get_by_role("link", name="Semua pengumuman").click()
    page.wait_for_url("**/pengumuman")
    item = page.locator("li.announcement", has_text=title)
    assert "notice-unread" in item.get_attribute("class")
    assert "lantai 2" in item.inner_text()
    assert_fits(page)
    item.get_by_role("button", name="Tandai sudah dibaca").click()
    page.wait_for_load_state()
    item = page.locator("li.announcement", has_text=title)
    assert "notice-unread" not in item.get_attribute("class")
    page.goto("/")
    assert page.locator(".announcement-banner", has_text=title).count() == 0


def _nudge_first_member(page: Any) -> tuple[str, str]:
    """Press the first Ingatkan on the team page; the member's name and id."""
    button = page.get_by_role("button", name=re.compile(r"^Ingatkan .+ tentang target JP$")).first
    who = re.sub(r"^Ingatkan | tentang target JP$", "", button.get_attribute("aria-label"))
    action = button.locator("xpath=ancestor::form").get_attribute("action")
    person_id = re.fullmatch(r"/tim/([0-9a-f-]{36})/ingatkan", action).group(1)
    button.click()
    page.wait_for_load_state()
    return who, person_id


def _mails_to(suite, address: str) -> list[Any]:
    """The .eml files the stack's dev mail server kept for `address`."""
    found = []
    for path in (suite.stack.var_dir / "mail").glob("*.eml"):
        mail = message_from_bytes(path.read_bytes(), policy=policy.default)
        if address in str(mail["To"]):
            found.append(mail)
    return found


@PHONES
def test_supervisor_nudges_a_member_below_target(suite, page_as, assert_fits, phone):
    login = "atasan"
    if phone:
        # atasan's own head: another team, so the desktop run's members are not needed again
        atasan = suite.api("atasan")
        me = atasan.get("/api/v1/me").json()["id"]
        boss = atasan.get(f"/api/v1/people/{me}/supervisors").json()["items"][0]["id"]
        login = suite.api("admin").get(f"/api/v1/people/{boss}").json()["nip"]
    page = page_as(login, phone=phone)
    page.goto("/tim")
    assert_fits(page)
    who, person_id = _nudge_first_member(page)
    assert "Pengingat terkirim" in page.locator(".flash-success").inner_text()
    row = page.locator("tr", has_text=who).first
    assert "Sudah diingatkan minggu ini" in row.inner_text()
    assert row.get_by_role("button").count() == 0
    assert_fits(page)
    sent = suite.api(login).get("/api/v1/nudges").json()["items"]
    assert [n["person_id"] for n in sent] == [person_id]
    address = suite.api("admin").get(f"/api/v1/people/{person_id}").json().get("email")
    if address:  # demo people without an address get the inbox item only
        subject = "[Cakap] Atasan Anda mengingatkan target JP tahun ini"
        [mail] = wait_for(  # other tests mail the same people (announcements)
            lambda: [m for m in _mails_to(suite, address) if m["Subject"] == subject],
            f"the nudge e-mail to {address}",
        )
        assert "/katalog" in mail.get_content()


@PHONES
def test_admin_sees_a_bounced_mail_with_its_reason(suite, page_as, assert_fits, phone):
    admin = suite.api("admin")
    suffix = uuid.uuid4().hex[:6]
    unit = f"UJI-SUREL-{suffix}".upper()
    made = admin.post("/api/v1/units", json={"code": unit, "name": f"Uji Surel {suffix}"})
    assert made.status_code == 201, made.text
    address = f"uji.{suffix}@tidak-ada.invalid"  # the dev mail server refuses .invalid
    person = admin.post(
        "/api/v1/people",
        json={
            "username": f"ujisurel{suffix}",
            "name": f"Uji Surel {suffix}",
            "unit_code": unit,
            "position": "Pengelola Data",
            "email": address,
        },
    )
    assert person.status_code == 201, person.text
    sent = admin.post(
        "/api/v1/announcements",
        json={"title": "Uji surel", "body": "Alamat ini tidak ada.", "unit_code": unit},
    )
    assert sent.status_code == 201 and sent.json()["recipients"] == 1, sent.text
    wait_for(
        lambda: [
            d
            for d in admin.get("/api/v1/notification-deliveries?status=bounced").json()["items"]
            if d["address"] == address
        ],
        "the bounce of the announcement",
    )
    page = page_as("admin", phone=phone)
    page.goto("/admin/surel-gagal")
    assert page.locator("h1").inner_text() == "E-mail yang tidak sampai"
    row = page.locator("#failed-mail tr", has_text=address)
    assert row.count() == 1
    text = row.inner_text()
    assert f"Uji Surel {suffix}" in text
    assert "Alamat e-mail tidak ada atau kotak surat tidak tersedia." in text
    assert "550" in text  # the server's own answer beside the reason
    assert_fits(page)
    page.get_by_role("link", name=re.compile("^Gagal setelah dicoba ulang")).click()
    page.wait_for_load_state()
    assert page.locator("#failed-mail tr", has_text=address).count() == 0
    assert_fits(page)

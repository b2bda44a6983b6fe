"""Issue 15's development plan in the browser against the real suite: the ASN puts a
searched course in the year's plan and submits it, the supervisor returns it with a comment,
the ASN sees the comment and submits again, the supervisor approves, the ASN sees it."""

from __future__ import annotations

import uuid

import pytest
from support.journeys import _ok, new_team

WIDTHS = pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])


def _course(suite) -> dict:
    """A published course with a title nobody else has, so the search finds only it."""
    admin = suite.api("admin")
    tag = uuid.uuid4().hex[:6].upper()
    course = _ok(admin.post("/api/v1/courses", json={
        "code": f"RP-{tag}", "title": f"Rencana Uji {tag}", "description": "Uji rencana.",
        "jp": 12, "form": "e_learning",
    }))  # fmt: skip
    _ok(admin.post(f"/api/v1/courses/{course['id']}/publish"), 200)
    return course


@WIDTHS
def test_plan_submitted_returned_resubmitted_approved(suite, page_as, assert_fits, phone):
    # A fresh team per run: one plan per person and year, and the run must not depend on
    # what another test (or the other width) did to the demo accounts.
    team = new_team(suite.api("admin"))
    course = _course(suite)

    staff = page_as(team.staff_login, phone=phone, password=team.password)
    staff.goto("/pengembangan")
    section = staff.locator("#rencana")
    section.locator("#cari").fill(course["title"])
    section.get_by_role("button", name="Cari", exact=True).click()
    found = staff.locator("#plan-found li", has_text=course["title"])
    found.get_by_role("button", name="Masukkan ke rencana").click()
    assert staff.locator("#plan-items li", has_text=course["title"]).count() == 1
    assert "Draf" in staff.locator("#plan-status").inner_text()
    assert_fits(staff)
    staff.locator("#plan-submit").click()
    assert "Menunggu persetujuan atasan" in staff.locator("#plan-status").inner_text()
    assert staff.locator("#plan-submit").count() == 0  # a submitted plan is not edited

    boss = page_as(team.boss_login, phone=phone, password=team.password)
    boss.goto("/tim/rencana")
    card = boss.locator("section.plan", has_text=course["title"])
    assert card.count() == 1
    assert_fits(boss)
    card.locator("textarea[name=comment]").fill("Tambahkan alasan pelatihan ini.")
    card.get_by_role("button", name="Kembalikan").click()
    assert boss.locator("section.plan", has_text=course["title"]).count() == 0

    staff.goto("/pengembangan")
    assert "Dikembalikan" in staff.locator("#plan-status").inner_text()
    assert "Tambahkan alasan pelatihan ini." in staff.locator("#plan-comment").inner_text()
    assert_fits(staff)
    staff.locator("#plan-submit").click()
    assert "Menunggu persetujuan atasan" in staff.locator("#plan-status").inner_text()

    boss.goto("/tim")
    boss.locator("#team-plans").click()
    card = boss.locator("section.plan", has_text=course["title"])
    card.get_by_role("button", name="Setujui").click()
    assert boss.locator("section.plan", has_text=course["title"]).count() == 0

    staff.goto("/pengembangan")
    assert "Disetujui" in staff.locator("#plan-status").inner_text()
    assert staff.locator("#plan-submit").count() == 0
    assert staff.locator("#plan-items li", has_text=course["title"]).count() == 1
    assert_fits(staff)

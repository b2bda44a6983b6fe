"""A test in the portal forgives slips: rules shown, answers autosaved, blanks confirmed."""

from __future__ import annotations

import pytest
from support.journeys import course_with_test, enrol, new_team

QUESTIONS = [
    {"type": "single", "text": f"Soal {n}?", "choices": ["Benar", "Salah"], "answer": 0}
    for n in range(1, 4)
]


@pytest.fixture
def learner_with_a_test(suite):
    admin, trainer = suite.api("admin"), suite.api("trainer")
    team = new_team(admin)
    made = course_with_test(admin, trainer, QUESTIONS, max_attempts=2, time_limit_minutes=30)
    staff = suite.api(team.staff_login, team.password)
    enrol(staff, suite.api(team.boss_login, team.password), made["class"]["id"])
    return team, made


def _open_test(page_as, team, made, phone):
    page = page_as(team.staff_login, phone=phone, password=team.password)
    page.goto("/pendaftaran")
    page.get_by_role("button", name="Kerjakan pre-test").first.click()
    page.wait_for_url("**/asesmen/percobaan/**")
    return page


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_blank_answers_are_confirmed_and_autosaved_answers_survive_a_reload(
    page_as, assert_fits, learner_with_a_test, phone
):
    team, made = learner_with_a_test
    page = _open_test(page_as, team, made, phone)
    rules = page.locator("dl.test-rules").inner_text()
    assert "60" in rules and "ke-1 dari 2" in rules and "WIB" in rules
    assert "sisa" in page.locator(".countdown").inner_text()
    assert_fits(page)

    page.get_by_label("Benar").first.check()
    status = page.locator(".autosave-status")
    page.wait_for_function("() => document.querySelector('.autosave-status').dataset.saved")
    assert "tersimpan otomatis pukul" in status.inner_text() and "WIB" in status.inner_text()
    page.reload()
    assert page.get_by_label("Benar").first.is_checked()

    page.get_by_role("button", name="Kirim jawaban").click()
    assert "2 soal belum dijawab" in page.locator("[role=alert]").inner_text()
    assert page.get_by_label("Benar").first.is_checked()
    page.get_by_role("button", name="Kirim walau ada yang kosong").click()
    assert "Nilai" in page.locator("main").inner_text()
    assert_fits(page)


def test_a_used_pre_test_is_not_offered_again(page_as, learner_with_a_test):
    team, made = learner_with_a_test
    page = _open_test(page_as, team, made, phone=False)
    for choice in page.get_by_label("Benar").all():
        choice.check()
    page.get_by_role("button", name="Kirim jawaban").click()
    assert "Nilai" in page.locator("main").inner_text()
    page.goto("/pendaftaran")
    card = page.locator("#aktif + ul li.card").first
    assert "Tes awal sudah dikerjakan (nilai 100" in card.inner_text()
    assert card.get_by_role("button", name="Kerjakan pre-test").count() == 0
    assert "Kerjakan modul dan tes" in card.locator(".next-step").inner_text()


def test_daftar_is_not_offered_twice_for_one_course(page_as, assert_fits, learner_with_a_test):
    team, made = learner_with_a_test
    page = page_as(team.staff_login, phone=True, password=team.password)
    page.goto(f"/katalog/{made['course']['id']}")
    assert "Anda sudah mendaftar pelatihan ini" in page.locator("main").inner_text()
    assert page.get_by_role("button", name="Daftar").count() == 0
    assert_fits(page)

"""Issue 15 in the browser against the real suite: an ASN sees a gap, follows a
recommendation and requests the class; after completion with a passed post test the gap
shrinks; the supervisor's impact rating outranks a later self-assessment; the supervisor
filters the team to those below target and gives apresiasi that the ASN then sees."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from support.journeys import _ok, city_today, new_team, nip
from support.suite import eventually

WIDTHS = pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])


def _gap_row(page, table: str, code: str):
    return page.locator(f"#{table} tr[data-code='{code}']")


def _setup(suite):
    """A team whose staff member's position requires a new competency at level 3, a
    published e-learning course reaching it with a post test, and a class open now; a
    second staff member already at the JP target."""
    admin, trainer = suite.api("admin"), suite.api("trainer")
    team = new_team(admin)
    tag = uuid.uuid4().hex[:6].upper()
    code, position = f"UJI-{tag}", f"Analis Uji {tag}"
    competency = {"code": code, "name": f"Analisis Uji {tag}", "type": "teknis"}
    _ok(admin.post("/api/v1/competencies", json=competency))
    standard = {"position": position, "competencies": [{"code": code, "level": 3}]}
    _ok(admin.post("/api/v1/position-standards", json=standard))
    _ok(admin.patch(f"/api/v1/people/{team.staff_id}", json={"position": position}), 200)
    test = _ok(trainer.post("/api/v1/assessments", json={
        "title": f"Post Test {tag}", "kind": "post_test", "passing_score": 60,
        "questions": [{"type": "single", "text": "Dua tambah dua?", "choices": ["4", "5"],
                       "answer": 0}],
    }))  # fmt: skip
    course = _ok(admin.post("/api/v1/courses", json={
        "code": f"DEV-{tag}", "title": f"Analisis Uji Lanjut {tag}", "description": "Uji.",
        "jp": 4, "form": "e_learning", "competencies": [{"code": code, "level": 3}],
        "post_test_id": test["id"],
    }))  # fmt: skip
    _ok(admin.post(f"/api/v1/courses/{course['id']}/publish"), 200)
    today = city_today()
    _ok(admin.post(f"/api/v1/courses/{course['id']}/classes", json={
        "name": "Angkatan Uji", "starts_on": (today + timedelta(days=7)).isoformat(),
        "ends_on": (today + timedelta(days=14)).isoformat(), "capacity": 5,
    }))  # fmt: skip
    done = _ok(admin.post("/api/v1/people", json={
        "nip": nip(date(1996, 3, 3), int(tag, 16) % 997, female=False),
        "name": f"Tuntas Pegawai {tag}", "unit_code": team.unit_code, "position": position,
        "grade": "III/a", "supervisor_nip": team.boss_login, "roles": ["asn"],
    }))  # fmt: skip
    _ok(admin.post(f"/api/v1/people/{done['id']}/jp-entries", json={
        "title": "Diklat lain", "jp": 24, "form": "seminar",
        "evidence_url": "https://bkpsdm.example/bukti/diklat-lain.pdf",
        "completed_on": today.isoformat(),
    }))  # fmt: skip
    return team, code, course, test, done


def _level(suite, team, code: str):
    staff = suite.api(team.staff_login, team.password)
    gaps = staff.get(f"/api/v1/people/{team.staff_id}/competency-gaps").json()
    return {g["code"]: g for g in gaps["items"]}[code]["current"]


@WIDTHS
def test_gap_recommendation_evidence_team_and_apresiasi(suite, page_as, assert_fits, phone):
    team, code, course, test, done = _setup(suite)

    # The ASN sees the gap and follows the recommendation to request the class.
    page = page_as(team.staff_login, phone=phone, password=team.password)
    page.get_by_role("link", name="Pengembangan saya").first.click()
    assert page.url.endswith("/pengembangan")
    assert _gap_row(page, "gaps", code).locator("td.gap").inner_text().strip() == "3"
    assert_fits(page)
    page.locator("#recommendations li", has_text=course["title"]).get_by_role(
        "link", name="Ajukan kelas"
    ).click()
    assert page.locator("h1").inner_text() == course["title"]
    assert_fits(page)
    page.get_by_role("button", name="Daftar").first.click()
    assert page.locator(".flash-success, .flash").first.is_visible()

    # The supervisor approves; the ASN passes the post test; the gap closes by itself.
    boss = suite.api(team.boss_login, team.password)
    staff = suite.api(team.staff_login, team.password)
    [mine] = staff.get("/api/v1/enrolments", params={"scope": "mine"}).json()["items"]
    _ok(boss.post(f"/api/v1/enrolments/{mine['id']}/approve"), 200)
    attempt = _ok(staff.post(f"/api/v1/assessments/{test['id']}/attempts"))
    [question] = attempt["questions"]
    graded = _ok(staff.post(f"/api/v1/assessment-attempts/{attempt['id']}/submit",
                            json={"answers": {str(question["id"]): 0}}), 200)  # fmt: skip
    assert graded["passed"] is True
    eventually(lambda: _level(suite, team, code) == 3, timeout=90)
    page.goto("/pengembangan")
    assert _gap_row(page, "gaps", code).locator("td.gap").inner_text().strip() == "terpenuhi"
    assert "pelatihan" in _gap_row(page, "levels", code).locator("td.source").inner_text()

    # The supervisor rates the behaviour (impact evaluation) at 2: it outranks the training
    # level and the ASN's later self-assessment of 5, which is shown beside it.
    evaluation = eventually(lambda: next((
        e for e in boss.get("/api/v1/impact-evaluations", params={"per_page": 100}).json()["items"]
        if e["learner_id"] == team.staff_id), None))  # fmt: skip
    rater = page_as(team.boss_login, phone=phone, password=team.password)
    rater.goto(f"/evaluasi-dampak/{evaluation['id']}")
    rater.locator(f"label[for='rating-{code}-2']").click()
    rater.locator("label[for='impact_rating-4']").click()
    rater.fill("#evidence_text", "Analisis data unit kini rutin dan tepat waktu.")
    rater.get_by_role("button", name="Simpan evaluasi").click()
    assert "/evaluasi-dampak" in rater.url and "Evaluasi dampak tersimpan" in rater.content()
    eventually(lambda: _level(suite, team, code) == 2, timeout=90)
    own = {"code": code, "level": 5, "source": "self"}
    _ok(staff.post(f"/api/v1/people/{team.staff_id}/competency-assessments", json=own))
    page.goto("/pengembangan")
    row = _gap_row(page, "levels", code)
    assert row.locator("td.level").inner_text() == "2"
    assert "penilaian atasan" in row.locator("td.source").inner_text()
    assert "level 5" in row.locator("td.own").inner_text()
    assert _gap_row(page, "gaps", code).locator("td.gap").inner_text().strip() == "1"
    assert_fits(page)

    # The supervisor filters the team to those below target and recognises the ASN.
    rater.goto("/tim")
    assert rater.locator(f"#team tr[data-person='{done['id']}']").count() == 1
    rater.check("#bawah_target")
    rater.get_by_role("button", name="Terapkan").click()
    assert "bawah_target=1" in rater.url
    assert rater.locator(f"#team tr[data-person='{done['id']}']").count() == 0
    row = rater.locator(f"#team tr[data-person='{team.staff_id}']")
    assert "4 / 20" in row.locator("td.jp").inner_text()
    assert_fits(rater)
    row.get_by_role("link", name="Beri apresiasi").click()
    assert_fits(rater)
    rater.get_by_role("button", name="Kirim apresiasi").click()  # empty: refused, kept
    assert (
        rater.locator("#basis-error").is_visible() and rater.locator("#reason-error").is_visible()
    )
    rater.check("#basis-training")
    rater.select_option("#course_code", label=course["title"])
    reason = f"Menerapkan analisis data ({uuid.uuid4().hex[:4]})"
    rater.fill("#reason", reason)
    rater.get_by_role("button", name="Kirim apresiasi").click()
    assert rater.url.endswith("/tim")
    assert reason in rater.locator("#unit-apresiasi").inner_text()  # the unit head sees it

    page.goto("/")
    assert reason in page.locator("#apresiasi").inner_text()
    assert_fits(page)
    page.goto("/pengembangan")
    assert course["title"] in page.locator("#apresiasi").inner_text()

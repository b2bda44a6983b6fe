"""Issue 16: the portal never shows an API `detail`. Each step makes the API refuse an
action (a second request for a place, a test whose attempts are used up, a module that
cannot be reviewed yet, a course that does not exist, a file that is no module), reads the
English `detail` the API itself answered for that action, then does the same in the
browser and fails if any detail collected so far is on the page."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from support.journeys import course_with_test, new_team

QUESTIONS = [{"type": "single", "text": "Ibu kota Sumatera Selatan?", "choices": ["Palembang",
              "Jambi"], "answer": 0}]  # fmt: skip


class Details:
    """The English details the API answered; a page must show none of them."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def refused(self, response: Any, status: int, code: str | None = None) -> str:
        """Record the problem's detail (checking it is the problem the step means to cause)."""
        assert response.status_code == status, (response.url, response.text)
        assert response.headers["Content-Type"].startswith("application/problem+json")
        body = response.json()
        if code is not None:
            assert body.get("code") == code, body
        detail = body["detail"]
        assert detail and detail.isascii(), body  # an English sentence, as the services write
        self.seen.append(detail)
        return detail

    def absent_from(self, page: Any) -> str:
        """The page's text, after failing if it holds any recorded detail."""
        text = page.locator("body").inner_text()
        leaked = [d for d in self.seen if d in text]
        assert not leaked, f"{page.url} shows the API's detail: {leaked}"
        return text


@pytest.fixture
def learner(suite: Any) -> dict[str, Any]:
    """A fresh ASN enrolled in a course whose pre test allows one attempt."""
    admin, trainer = suite.api("admin"), suite.api("trainer")
    team = new_team(admin)
    made = course_with_test(admin, trainer, QUESTIONS, max_attempts=1)
    staff = suite.api(team.staff_login, team.password)
    boss = suite.api(team.boss_login, team.password)
    return {"team": team, "made": made, "staff": staff, "boss": boss, "admin": admin}


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_learner_pages_never_show_an_api_detail(
    suite, page_as, assert_fits, learner, tmp_path: Path, phone: bool
):
    details = Details()
    team, made, staff = learner["team"], learner["made"], learner["staff"]
    page = page_as(team.staff_login, phone=phone, password=team.password)

    # A place requested twice: the course page was open in another tab when the first went.
    klass = made["class"]
    page.goto(f"/katalog/{made['course']['id']}")
    daftar = page.locator(f"form[action$='/kelas/{klass['id']}/daftar'] button")
    first = staff.post("/api/v1/enrolments", json={"class_id": klass["id"]})
    assert first.status_code == 201, first.text
    details.refused(
        staff.post("/api/v1/enrolments", json={"class_id": klass["id"]}), 409, "enrolment-exists"
    )
    with page.expect_navigation():
        daftar.click()
    assert "Anda sudah terdaftar" in details.absent_from(page)
    assert_fits(page)

    # Attempts used up: the enrolments page offered the test before the last one was spent.
    approved = learner["boss"].post(f"/api/v1/enrolments/{first.json()['id']}/approve")
    assert approved.status_code == 200, approved.text
    page.goto("/pendaftaran")
    start = page.get_by_role("button", name="Kerjakan pre-test").first
    test_id = made["assessment"]["id"]
    attempt = staff.post(f"/api/v1/assessments/{test_id}/attempts")
    assert attempt.status_code == 201, attempt.text
    submitted = staff.post(
        f"/api/v1/assessment-attempts/{attempt.json()['id']}/submit", json={"answers": {}}
    )
    assert submitted.status_code == 200, submitted.text
    details.refused(
        staff.post(f"/api/v1/assessments/{test_id}/attempts"), 409, "attempts-exhausted"
    )
    with page.expect_navigation():
        start.click()
    assert "Kesempatan mengerjakan tes ini sudah habis" in details.absent_from(page)
    assert_fits(page)

    # A review of a module whose course is not completed (a crafted form: none is offered).
    module_id = str(uuid.uuid4())
    details.refused(
        staff.post(f"/api/v1/modules/{module_id}/attempts", json={"mode": "review"}), 404
    )
    with page.expect_navigation():
        page.evaluate(
            """id => {
                const form = document.createElement('form');
                form.method = 'post';
                form.action = `/modul/${id}/tinjau`;
                form.appendChild(document.querySelector('input[name=csrf_token]').cloneNode());
                document.body.appendChild(form);
                form.submit();
            }""",
            module_id,
        )
    page.wait_for_url("**/pendaftaran")
    assert "Data tidak ditemukan" in details.absent_from(page)

    # A course that is not there.
    missing = str(uuid.uuid4())
    details.refused(staff.get(f"/api/v1/courses/{missing}"), 404)
    page.goto(f"/katalog/{missing}")
    assert "tidak ditemukan" in details.absent_from(page)
    assert_fits(page)

    # Every learner page this learner now has, with all those details in mind.
    for path in ("/", "/katalog", f"/katalog/{made['course']['id']}", "/pendaftaran",
                 "/sertifikat"):  # fmt: skip
        page.goto(path)
        details.absent_from(page)


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_a_bad_upload_shows_the_portals_message_not_the_apis(
    suite, page_as, assert_fits, tmp_path: Path, phone: bool
):
    details = Details()
    bad = tmp_path / "bukan-modul.zip"
    bad.write_bytes(b"PK\x03\x04 this is not a zip archive at all")
    with bad.open("rb") as fh:
        details.refused(
            suite.api("trainer").post(
                "/api/v1/modules", files={"file": (bad.name, fh, "application/zip")}
            ),
            422,
            "package-invalid",
        )
    page = page_as("trainer", phone=phone)
    page.goto("/pengajar/modul")
    page.set_input_files("#unggah-modul-file", str(bad))
    page.click("#unggah-modul button[type=submit]")
    page.locator(".flash-error").wait_for()
    assert "tidak dapat dipakai sebagai modul" in details.absent_from(page)
    assert_fits(page)

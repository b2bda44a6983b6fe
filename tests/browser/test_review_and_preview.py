"""Launches that do not count, in the browser against the real suite: a learner reviews a
module of a course they completed (Tinjau ulang) and nothing about the completion moves; a
trainer previews their own module (Pratinjau); another trainer is refused in Indonesian."""

from __future__ import annotations

import time
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from support.journeys import city_today, enrol, new_team, nip

WIDTHS = pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
NOT_OWNER = "Hanya pemilik modul atau admin yang dapat melihat pratinjaunya."


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (response.request.method, response.url, response.text)
    return response.json()


def _page_module(trainer: Any, title: str) -> dict[str, Any]:
    """A Markdown page module: the player's "Selesai membaca" completes it."""
    text = f"# {title}\n\nMateri singkat untuk uji tinjau ulang dan pratinjau.\n".encode()
    return _ok(
        trainer.post(
            "/api/v1/modules",
            files={"file": ("materi.md", text, "text/markdown")},
            data={"title": title},
        ),
        201,
    )


def _until(fetch: Any, done: Any, what: str, seconds: float = 60) -> Any:
    """Poll `fetch` until `done(value)`; events travel through the outboxes in seconds."""
    deadline = time.monotonic() + seconds
    while True:
        value = fetch()
        if done(value):
            return value
        assert time.monotonic() < deadline, f"{what}: {value}"
        time.sleep(0.5)


def _read_to_the_end(page: Any) -> None:
    """The page module's content has loaded (its button is enabled); press Selesai membaca."""
    done = page.locator("#done")
    page.wait_for_function("() => !document.getElementById('done').disabled")
    done.click()


def _attempt_id(url: str) -> str:
    return url.split("/play/", 1)[1].split("?", 1)[0]


@pytest.fixture
def completed_course(suite: Any) -> dict[str, Any]:
    """A fresh ASN who completed an e-learning course of one page module (through the API)."""
    admin, trainer = suite.api("admin"), suite.api("trainer")
    team = new_team(admin)
    staff = suite.api(team.staff_login, team.password)
    title = f"Materi Tinjau {uuid.uuid4().hex[:6]}"
    module = _page_module(trainer, title)
    code = f"TNJ-{uuid.uuid4().hex[:6].upper()}"
    course = _ok(
        admin.post(
            "/api/v1/courses",
            json={"code": code, "title": f"Pelatihan {code}", "description": "uji", "jp": 3,
                  "competencies": [], "module_ids": [module["id"]]},
        ),
        201,
    )  # fmt: skip
    _ok(admin.post(f"/api/v1/courses/{course['id']}/publish"))
    today = city_today()
    klass = _ok(
        admin.post(
            f"/api/v1/courses/{course['id']}/classes",
            json={"name": "Angkatan Tinjau", "starts_on": today.isoformat(),
                  "ends_on": (today + timedelta(days=10)).isoformat(), "capacity": 5},
        ),
        201,
    )  # fmt: skip
    enrolment = enrol(staff, suite.api(team.boss_login, team.password), klass["id"])
    counting = _ok(staff.post(f"/api/v1/modules/{module['id']}/attempts"), 201)
    _ok(
        staff.put(
            f"/api/v1/module-attempts/{counting['id']}/cmi",
            json={"progress.opened": "true", "progress.confirmed": "true"},
        )
    )
    _until(
        lambda: _ok(staff.get(f"/api/v1/enrolments/{enrolment['id']}"))["status"],
        lambda status: status == "completed",
        "the enrolment did not complete",
    )
    year = city_today().year
    jp = _until(
        lambda: _ok(staff.get(f"/api/v1/people/{team.staff_id}/jp", params={"year": year})),
        lambda jp: any(e["course_code"] == code for e in jp["entries"]),
        "the course's JP did not arrive",
    )
    certificates = _until(
        lambda: _ok(staff.get("/api/v1/certificates"))["items"],
        lambda items: any(c["course_code"] == code for c in items),
        "no certificate",
    )
    return {
        "team": team,
        "staff": staff,
        "module": module,
        "title": title,
        "enrolment": enrolment,
        "counting": counting,
        "jp": jp,
        "certificates": len(certificates),
        "year": year,
    }


@WIDTHS
def test_a_learner_reviews_a_completed_module_and_it_does_not_count(
    page_as, assert_fits, completed_course, phone
):
    made = completed_course
    team, staff = made["team"], made["staff"]
    progress_before = _ok(staff.get("/api/v1/progress"))["items"]

    page = page_as(team.staff_login, phone=phone, password=team.password)
    page.goto("/pendaftaran")
    review = page.get_by_role("button", name=f"Tinjau ulang: {made['title']}")
    assert review.is_visible()
    assert "tidak dihitung" in page.locator("#riwayat + ul").inner_text()
    assert_fits(page)
    review.click()
    page.wait_for_url("**/play/**")
    banner = page.locator("#mode")
    assert banner.get_attribute("data-mode") == "review"
    assert "tidak dihitung" in banner.inner_text()
    assert_fits(page)
    _read_to_the_end(page)

    attempt_id = _attempt_id(page.url)
    assert attempt_id != made["counting"]["id"]
    attempt = _until(
        lambda: _ok(staff.get(f"/api/v1/module-attempts/{attempt_id}")),
        lambda a: a["completion"] == "completed",
        "the review's commit was not stored",
    )
    assert (attempt["mode"], attempt["counts"], attempt["status"]) == ("review", False, "open")
    # Whatever a review announced would reach catalog, personnel and evaluation within
    # seconds: give it that time, then nothing of the completion may have moved.
    time.sleep(5)
    assert _ok(staff.get("/api/v1/progress"))["items"] == progress_before
    counting = _ok(staff.get(f"/api/v1/module-attempts/{made['counting']['id']}"))
    assert (counting["mode"], counting["status"]) == ("normal", "closed")
    params = {"year": made["year"]}
    assert _ok(staff.get(f"/api/v1/people/{team.staff_id}/jp", params=params)) == made["jp"]
    assert len(_ok(staff.get("/api/v1/certificates"))["items"]) == made["certificates"]
    assert _ok(staff.get(f"/api/v1/enrolments/{made['enrolment']['id']}"))["status"] == "completed"


@WIDTHS
def test_a_trainer_previews_their_own_module(suite, page_as, assert_fits, phone):
    trainer = suite.api("trainer")
    title = f"Modul Pratinjau {uuid.uuid4().hex[:6]}"
    module = _page_module(trainer, title)
    page = page_as("trainer", phone=phone)
    page.goto("/pengajar/modul")
    preview = page.get_by_role("button", name=f"Pratinjau {title} sebagai peserta")
    preview.scroll_into_view_if_needed()
    assert preview.is_visible()
    assert_fits(page)
    preview.click()
    page.wait_for_url("**/play/**")
    assert page.locator("#mode").get_attribute("data-mode") == "preview"
    assert page.locator(".back").get_attribute("href") == "/pengajar/modul"
    assert_fits(page)
    _read_to_the_end(page)
    attempt_id = _attempt_id(page.url)
    attempt = _until(
        lambda: _ok(trainer.get(f"/api/v1/module-attempts/{attempt_id}")),
        lambda a: a["completion"] == "completed",
        "the preview's commit was not stored",
    )
    assert (attempt["mode"], attempt["counts"]) == ("preview", False)
    mine = _ok(trainer.get("/api/v1/progress"))["items"]
    assert module["id"] not in [item["module_id"] for item in mine]


@WIDTHS
def test_another_trainer_cannot_preview_it(suite, page_as, assert_fits, phone):
    admin, trainer = suite.api("admin"), suite.api("trainer")
    module = _page_module(trainer, f"Modul Milik Orang {uuid.uuid4().hex[:6]}")
    team = new_team(admin)
    n = uuid.uuid4().int % 900
    other_nip = nip(date(1985, 1 + n % 12, 1 + n % 28), n + 7, female=True)
    _ok(
        admin.post(
            "/api/v1/people",
            json={"nip": other_nip, "name": f"Widyaiswara Lain {n}", "unit_code": team.unit_code,
                  "position": "Widyaiswara Ahli Muda", "grade": "III/c", "roles": ["trainer"],
                  "password": team.password},
        ),
        201,
    )  # fmt: skip
    refused = suite.api(other_nip, team.password).post(
        f"/api/v1/modules/{module['id']}/attempts", json={"mode": "preview"}
    )
    assert refused.status_code == 403 and refused.json()["code"] == "not-module-owner"

    page = page_as(other_nip, phone=phone, password=team.password)
    page.goto("/pengajar/modul")
    assert (
        page.get_by_role("button", name=f"Pratinjau {module['title']} sebagai peserta").count() == 0
    )
    # The list never offers it, so send the form a crafted page would send.
    with page.expect_navigation():
        page.evaluate(
            """id => {
                const form = document.createElement('form');
                form.method = 'post';
                form.action = `/pengajar/modul/${id}/pratinjau`;
                const token = document.querySelector('input[name=csrf_token]').cloneNode();
                form.appendChild(token);
                document.body.appendChild(form);
                form.submit();
            }""",
            module["id"],
        )
    page.wait_for_url("**/pengajar/modul")
    shown = page.locator("main").inner_text()
    assert NOT_OWNER in shown
    assert refused.json()["detail"] not in shown
    assert "/play/" not in page.url
    assert_fits(page)

"""The SCORM player through the real suite: a trainer's package, a class pegawai is
enrolled in, the launch URL from the real API, the content on its own origin
(CONTENT_ORIGIN), at desktop width and at 375 px."""

from __future__ import annotations

import io
import secrets
import time
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from support.journeys import city_today

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
MINIMUM_CALLS = (
    FIXTURES
    / "moodle_scorm_test_packages_via_mod_exescorm"
    / "RuntimeMinimumCalls_SCORM12-mini.zip"
)
REMEDIATION = "scorm2004_3rd_golf_sequencing_remediation_full_package"
FORCED = (
    FIXTURES
    / "scorm2004_manifests"
    / "SequencingForcedSequential_SCORM20043rdEdition"
    / "imsmanifest.xml"
)


def _forced_sequential() -> bytes:
    """The golf files with the forced-sequential SCORM 2004 manifest (flow and choice)."""
    root = FIXTURES / REMEDIATION
    if not (root.exists() and FORCED.exists()):
        pytest.skip(f"{root} or {FORCED} is not here")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.name != "imsmanifest.xml":
                zf.write(path, path.relative_to(root).as_posix())
        zf.writestr("imsmanifest.xml", FORCED.read_bytes())
    return buf.getvalue()


def _module_for_pegawai(suite, package: bytes | None = None) -> str:
    """Upload the package (the 1.2 minimum-calls one by default) as trainer, put it in a
    published course whose class pegawai is enrolled in (approved by the admin), and
    return the module id."""
    if package is None:
        if not MINIMUM_CALLS.exists():
            pytest.skip(f"{MINIMUM_CALLS} is not here")
        package = MINIMUM_CALLS.read_bytes()
    trainer, admin, learner = suite.api("trainer"), suite.api("admin"), suite.api("pegawai")
    module = trainer.post(
        "/api/v1/modules", files={"file": ("golf.zip", package, "application/zip")}
    )
    assert module.status_code == 201, module.text
    module_id = module.json()["id"]
    code = f"SCORM-{secrets.token_hex(3).upper()}"
    course = admin.post(
        "/api/v1/courses",
        json={"code": code, "title": "Golf SCORM", "description": "uji", "jp": 2,
              "competencies": [], "module_ids": [module_id]},
    )  # fmt: skip
    assert course.status_code == 201, course.text
    course_id = course.json()["id"]
    admin.post(f"/api/v1/courses/{course_id}/publish")
    today = city_today()
    klass = admin.post(
        f"/api/v1/courses/{course_id}/classes",
        json={"name": "Angkatan Uji", "starts_on": (today + timedelta(days=3)).isoformat(),
              "ends_on": (today + timedelta(days=8)).isoformat(), "capacity": 5},
    )  # fmt: skip
    assert klass.status_code == 201, klass.text
    enrolment = learner.post("/api/v1/enrolments", json={"class_id": klass.json()["id"]})
    assert enrolment.status_code == 201, enrolment.text
    approved = admin.post(f"/api/v1/enrolments/{enrolment.json()['id']}/approve")
    assert approved.json()["status"] == "enrolled", approved.text
    return module_id


def _loaded(page) -> None:
    """Wait until the content frame's document has finished loading (onload has run)."""
    src = page.locator("#content").get_attribute("src")
    for _ in range(100):
        frame = next((f for f in page.frames if f.url == src), None)
        if frame is not None:
            frame.wait_for_load_state("load")
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"the frame {src} did not load")


def _settled(page) -> None:
    """Wait until the player has finished swapping lessons (it ignores clicks meanwhile)."""
    page.wait_for_selector(".stage:not([aria-busy=true])", state="attached")


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_pegawai_completes_a_scorm12_package_by_visiting_every_sco(
    suite, page_as, assert_fits, phone: bool
) -> None:
    module_id = _module_for_pegawai(suite)
    learner = suite.api("pegawai")
    launched = learner.post(f"/api/v1/modules/{module_id}/attempts")
    assert launched.status_code == 201, launched.text
    attempt_id = launched.json()["id"]
    page = page_as("pegawai", phone=phone)
    page.goto(launched.json()["launch_url"])
    items = page.locator("nav button")
    count = items.count()
    assert count == 9
    # The package is framed from the content origin, not the portal's.
    src = page.locator("#content").get_attribute("src")
    assert src.startswith("http://localhost:") and not src.startswith(suite.url)
    assert_fits(page)
    toc = page.locator("nav#toc")
    if phone:
        # The lesson takes the whole width; the contents open from a button and close again.
        assert not toc.is_visible()
        assert page.locator("#content").bounding_box()["width"] >= 360
        page.click("#toc-toggle")
        assert toc.is_visible()
        items.nth(0).click()
        assert not toc.is_visible()
        _settled(page)
    else:
        assert toc.is_visible() and not page.locator("#toc-toggle").is_visible()
    for index in range(count):
        if index:
            page.click("#next")
            _settled(page)
        page.wait_for_function(
            "i => document.querySelector(`nav button[data-index='${i}']`)"
            ".getAttribute('aria-current') === 'true'",
            arg=index,
        )
        # The SCO calls LMSInitialize on load: wait for it before moving on.
        page.frame_locator("#content").locator("body").wait_for()
        page.wait_for_function(
            "() => { const f = document.getElementById('content');"
            " return f.src.indexOf('/content/') > 0; }"
        )
        _loaded(page)
    page.goto("/")  # leaving the player unloads the last SCO
    status = {}
    for _ in range(150):
        status = learner.get(f"/api/v1/module-attempts/{attempt_id}").json()
        if status.get("completion") == "completed":
            break
        time.sleep(0.1)
    assert status["completion"] == "completed", status


def _delivered(page) -> str:
    page.wait_for_selector("nav button[aria-current='true']", state="attached")
    return page.locator("nav button[aria-current='true']").get_attribute("data-id")


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_pegawai_saves_and_leaves_a_scorm2004_module_then_resumes_and_ends_it(
    suite, page_as, assert_fits, phone: bool
) -> None:
    module_id = _module_for_pegawai(suite, _forced_sequential())
    learner = suite.api("pegawai")
    launched = learner.post(f"/api/v1/modules/{module_id}/attempts")
    assert launched.status_code == 201, launched.text
    attempt_id = launched.json()["id"]
    page = page_as("pegawai", phone=phone)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(launched.json()["launch_url"])
    assert _delivered(page) == "playing_item"
    _loaded(page)
    assert_fits(page)
    # Save and leave: the attempt stays open, suspended where the learner was.
    page.click("#suspend-all")
    page.wait_for_selector("#suspended", state="visible")
    assert_fits(page)
    status = learner.get(f"/api/v1/module-attempts/{attempt_id}").json()
    assert status["status"] == "open", status
    # The next launch resumes the same attempt at the same activity.
    again = learner.post(f"/api/v1/modules/{module_id}/attempts")
    assert again.json()["id"] == attempt_id
    page.goto(again.json()["launch_url"])
    assert _delivered(page) == "playing_item"
    _loaded(page)
    # End the module before finishing it: the attempt closes, the next launch starts anew.
    page.click("#exit-all")
    page.wait_for_selector("#ended-early", state="visible")
    status = learner.get(f"/api/v1/module-attempts/{attempt_id}").json()
    assert (status["status"], status["completion"]) == ("closed", "incomplete"), status
    fresh = learner.post(f"/api/v1/modules/{module_id}/attempts")
    assert fresh.json()["id"] != attempt_id

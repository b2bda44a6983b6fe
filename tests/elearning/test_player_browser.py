"""Headless Chromium plays real packages: their own JavaScript calls the runtime API.

Needs /usr/bin/chromium and playwright (Python); skipped with a reason when either is
missing, unless CI is set, where that is a failure.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from elearning_service.extensions import db
from elearning_service.models import Attempt
from werkzeug.serving import make_server

pytestmark = pytest.mark.browser
DEMO = Path(__file__).resolve().parents[2] / "services/elearning/elearning_service/demo_content"


@pytest.fixture
def server(app, client) -> Iterator[str]:
    """The app on 127.0.0.1:<free port> in a thread (real migrated DB, fake catalog)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    srv.shutdown()
    thread.join()


def _state(app, attempt_id: str) -> tuple[dict, Attempt]:
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        db.session.expunge(attempt)
        return json.loads(attempt.cmi), attempt


def _launch(client, upload, as_user, data: bytes) -> tuple[str, str]:
    module = upload(data, "paket.zip").get_json()
    launched = client.post(f"/api/v1/modules/{module['id']}/attempts", headers=as_user("learner"))
    assert launched.status_code == 201
    body = launched.get_json()
    return body["id"], body["launch_url"]


def _content_frame(page, marker: str):
    page.wait_for_function(
        "m => Array.from(document.querySelectorAll('iframe')).some(f => f.src.includes(m))",
        arg=marker,
    )
    for _ in range(50):
        for frame in page.frames:
            if marker in frame.url:
                return frame
        page.wait_for_timeout(100)
    raise AssertionError(f"no frame with {marker}")


ISOLATION_PROBE = """() => {
  const r = {};
  try { r.cookie = document.cookie; } catch (e) { r.cookie = 'threw:' + e.name; }
  try { r.parent = String(window.parent.document.cookie); }
  catch (e) { r.parent = 'threw:' + e.name; }
  try { r.top = String(window.top.document.cookie); } catch (e) { r.top = 'threw:' + e.name; }
  try { r.storage = String(window.localStorage.getItem('cakap_token')); }
  catch (e) { r.storage = 'threw:' + e.name; }
  r.origin = window.origin;
  return r;
}"""


def _assert_isolated(page, frame, base: str) -> None:
    probe = frame.evaluate(ISOLATION_PROBE)
    assert "rahasia" not in json.dumps(probe)
    assert probe["parent"].startswith("threw:")
    assert probe["top"].startswith("threw:")
    assert probe["cookie"].startswith("threw:") or probe["cookie"] == ""
    assert probe["origin"] == "null"  # opaque origin
    # The player page itself (same origin as the portal) does see them: the probe is real.
    assert "rahasia" in page.evaluate("() => document.cookie + localStorage.getItem('cakap_token')")


def _open(chromium, base: str, url: str):
    context = chromium.new_context()
    context.add_cookies([{"name": "session", "value": "rahasia-portal", "url": base}])
    page = context.new_page()
    page.goto(base + "/health/live")
    page.evaluate("() => localStorage.setItem('cakap_token', 'rahasia-token')")
    page.goto(base + url)
    return context, page


@pytest.mark.fixtures
def test_scorm2004_fixture_commits_from_its_own_javascript(
    app, client, upload, as_user, chromium, server, shared_fixtures, zipper
):
    package = shared_fixtures / "scorm2004_3rd_golf_sequencing_remediation_full_package"
    attempt_id, url = _launch(client, upload, as_user, zipper(package))
    context, page = _open(chromium, server, url)
    try:
        frame = _content_frame(page, "/content/shared/launchpage.html")
        frame.wait_for_selector("#butNext")
        # The SCO's own code: Initialize, completion_status incomplete, location per page.
        for _ in range(4):
            frame.click("#butNext")
        _wait_for(
            page, lambda: _state(app, attempt_id)[0]["playing_item"].get("cmi.location") == "4"
        )
        state, attempt = _state(app, attempt_id)
        sco = state["playing_item"]
        assert sco["cmi.location"] == "4"
        assert sco["cmi.completion_status"] == "completed"
        assert sco["cmi.success_status"] == "passed"
        assert attempt.completion == "incomplete"  # four more SCOs to go
        _assert_isolated(page, frame, server)
    finally:
        context.close()


def test_demo_package_reports_location_score_and_completion(
    app, client, upload, as_user, chromium, server
):
    from elearning_service.demo import scorm_demo_zip
    from elearning_service.models import OutboxEvent
    from sqlalchemy import select

    attempt_id, url = _launch(client, upload, as_user, scorm_demo_zip())
    context, page = _open(chromium, server, url)
    try:
        frame = _content_frame(page, "/content/materi.html")
        frame.wait_for_selector("#berikutnya")
        frame.click("#berikutnya")
        frame.click("#berikutnya")
        _wait_for(
            page,
            lambda: _state(app, attempt_id)[0]["materi"].get("cmi.core.lesson_location") == "2",
        )
        _assert_isolated(page, frame, server)
        page.click("nav button[data-index='1']")  # the table of contents: the quiz
        quiz = _content_frame(page, "/content/kuis.html")
        quiz.wait_for_selector("#kirim")
        for q, answer in {"q1": "b", "q2": "b", "q3": "a", "q4": "b", "q5": "b"}.items():
            quiz.check(f"input[name={q}][value={answer}]")
        quiz.click("#kirim")
        _wait_for(page, lambda: _state(app, attempt_id)[1].completion == "completed")
        state, attempt = _state(app, attempt_id)
        assert state["materi"]["cmi.core.lesson_status"] == "completed"
        assert state["kuis"]["cmi.core.score.raw"] == "80"
        assert state["kuis"]["cmi.core.lesson_status"] == "passed"
        assert state["kuis"]["cmi.interactions.3.result"] == "wrong"
        assert (attempt.success, attempt.score) == ("passed", 80.0)
        with app.app_context():
            types = db.session.scalars(select(OutboxEvent.type)).all()
        assert sorted(types) == ["module.completed", "module.passed"]
    finally:
        context.close()


def _wait_for(page, condition, timeout_ms: int = 10_000) -> None:
    """Poll a server-side condition while the browser works (bounded, no fixed sleeps)."""
    for _ in range(timeout_ms // 100):
        if condition():
            return
        page.wait_for_timeout(100)
    assert condition()


def test_page_module_completes_when_confirmed(app, client, upload, as_user, chromium, server):
    from elearning_service.demo import DEMO_CONTENT

    data = (DEMO_CONTENT / "etika-pelayanan.md").read_bytes()
    module = upload(data, "etika.md").get_json()
    launched = client.post(f"/api/v1/modules/{module['id']}/attempts", headers=as_user("learner"))
    attempt_id, url = launched.get_json()["id"], launched.get_json()["launch_url"]
    context, page = _open(chromium, server, url)
    try:
        frame = _content_frame(page, "/content/index.html")
        frame.wait_for_selector("h1")
        assert "Etika Pelayanan Publik" in frame.inner_text("h1")
        page.wait_for_selector("#done:not([disabled])")
        page.click("#done")
        _wait_for(page, lambda: _state(app, attempt_id)[1].completion == "completed")
    finally:
        context.close()

"""Headless Chromium plays real fixture packages through their launch URL: finish rules,
the unload beacon, and SCORM 2004 sequencing driven by the player's own controls.

Same harness as test_player_browser.py (the app in a thread, a fake catalog); skipped
with a reason when chromium or playwright is missing, unless CI is set.
"""

from __future__ import annotations

import io
import json
import socket
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from elearning_service.extensions import db
from elearning_service.models import Attempt
from werkzeug.serving import make_server

pytestmark = pytest.mark.browser
MINIMUM_CALLS = "moodle_scorm_test_packages_via_mod_exescorm/RuntimeMinimumCalls_SCORM12-mini.zip"
REMEDIATION = "scorm2004_3rd_golf_sequencing_remediation_full_package"
FORCED = "scorm2004_manifests/SequencingForcedSequential_SCORM20043rdEdition/imsmanifest.xml"


@pytest.fixture
def server(app, client) -> Iterator[str]:
    """The app as http://cakap.localhost:<port> (the portal's address) with packages on
    http://konten.cakap.localhost:<port> (CONTENT_ORIGIN): another origin and cookie host
    of the same site, as a content subdomain is in production. Chromium resolves every
    *.localhost name to the loopback address itself.
    """
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    app.config["CONTENT_ORIGIN"] = f"http://konten.cakap.localhost:{port}"
    try:
        yield f"http://cakap.localhost:{port}"
    finally:
        app.config["CONTENT_ORIGIN"] = ""
        srv.shutdown()
        thread.join()


def _attempt(app, attempt_id: str) -> tuple[dict, Attempt]:
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        db.session.expunge(attempt)
        return json.loads(attempt.cmi), attempt


def _launch(client, upload, as_user, data: bytes) -> tuple[str, str]:
    module = upload(data, "paket.zip")
    assert module.status_code == 201, module.get_json()
    launched = client.post(
        f"/api/v1/modules/{module.get_json()['id']}/attempts", headers=as_user("learner")
    )
    assert launched.status_code == 201
    return launched.get_json()["id"], launched.get_json()["launch_url"]


def _wait_for(page, condition, timeout_ms: int = 15_000) -> None:
    for _ in range(timeout_ms // 100):
        if condition():
            return
        page.wait_for_timeout(100)
    assert condition()


def _frame(page, marker: str):
    """The frame whose URL contains marker (waits for it)."""
    for _ in range(150):
        for frame in page.frames:
            if marker in frame.url:
                return frame
        page.wait_for_timeout(100)
    raise AssertionError(f"no frame with {marker}: {[f.url for f in page.frames]}")


def _current_frame(page):
    handle = page.wait_for_selector("#content")
    src = handle.get_attribute("src")
    return _frame(page, src.split("/content/", 1)[1])


def test_scorm12_scos_that_never_set_a_status_complete_the_module_when_visited(
    app, client, upload, as_user, chromium, server, shared_fixtures
):
    """Golf "minimum calls": nine SCOs that only call LMSInitialize and LMSFinish."""
    data = (shared_fixtures / MINIMUM_CALLS).read_bytes()
    attempt_id, url = _launch(client, upload, as_user, data)
    context = chromium.new_context()
    page = context.new_page()
    try:
        page.goto(server + url)
        items = page.locator("nav button")
        count = items.count()
        assert count == 9
        visited = []
        for index in range(count):
            if index:
                page.click("#next")
            page.wait_for_function(
                "i => document.querySelector(`nav button[data-index='${i}']`)"
                ".getAttribute('aria-current') === 'true'",
                arg=index,
            )
            visited.append(items.nth(index).get_attribute("data-id"))
            # The SCO initialised itself (ADL discovery found the shim's API).
            _current_frame(page).wait_for_load_state()
            if index:
                previous = visited[index - 1]
                _wait_for(
                    page,
                    lambda p=previous: (
                        _attempt(app, attempt_id)[0][p].get("cmi.core.lesson_status") == "completed"
                    ),
                )
        assert page.locator("#next").is_disabled()
        state, attempt = _attempt(app, attempt_id)
        assert attempt.completion == "incomplete"  # the last SCO is still open
        # Leaving the player unloads the last SCO: its LMSFinish goes out by beacon.
        page.goto(server + "/health/live")
        _wait_for(page, lambda: _attempt(app, attempt_id)[1].completion == "completed")
        state, attempt = _attempt(app, attempt_id)
        statuses = {state[i]["cmi.core.lesson_status"] for i in visited}
        assert statuses == {"completed"}
        assert attempt.status == "closed"
    finally:
        context.close()


def _finish_content(frame) -> None:
    """Page through a golf content SCO to its last page (it then reports passed)."""
    frame.wait_for_selector("#butNext")
    while not frame.is_disabled("#butNext"):
        frame.click("#butNext")


def _answer(page, correctly: bool) -> None:
    """Answer the golf quiz in the SCO's inner frame and submit it."""
    quiz = page.frame_locator("#content").frame_locator("#contentFrame")
    form = quiz.locator("form#frmTest")
    form.wait_for()
    if correctly:
        form.evaluate(
            """() => {
              document.querySelectorAll('.correctAnswer input').forEach(i => { i.checked = true; });
              test.Questions.forEach(q => {
                const t = document.getElementById('question_' + q.Id + '_Text');
                if (t) t.value = String(q.CorrectAnswer);
              });
            }"""
        )
    form.locator("input[type=button]").click()
    quiz.locator("text=Score:").wait_for()


def _delivered(page) -> str:
    return page.locator("nav button[aria-current='true']").get_attribute("data-id")


def _continue(page, expected: str) -> None:
    page.click("#next")
    page.wait_for_function(
        "id => { const b = document.querySelector(\"nav button[aria-current='true']\");"
        " return b && b.dataset.id === id; }",
        arg=expected,
    )


def test_scorm2004_remediation_package_is_sequenced_and_its_rollup_completes_the_module(
    app, client, upload, as_user, chromium, server, shared_fixtures, zipper
):
    attempt_id, url = _launch(client, upload, as_user, zipper(shared_fixtures / REMEDIATION))
    context = chromium.new_context()
    page = context.new_page()

    try:
        page.goto(server + url)
        page.wait_for_function("() => document.querySelector(\"nav button[aria-current='true']\")")
        assert _delivered(page) == "playing_item"
        # choice="false" everywhere: the table of contents offers nothing to jump to.
        assert page.locator("nav button:not([disabled])").count() == 0
        _current_frame(page).wait_for_selector("#butNext")
        # Continue without finishing, then Previous: playing is not satisfied, so it is
        # delivered again (not skipped).
        _continue(page, "etuqiette_item")
        page.click("#prev")
        page.wait_for_function(
            "() => document.querySelector(\"nav button[aria-current='true']\")"
            ".dataset.id === 'playing_item'"
        )
        _finish_content(_current_frame(page))
        for nxt in ("etuqiette_item", "handicapping_item", "havingfun_item"):
            _continue(page, nxt)
            _finish_content(_current_frame(page))
        _continue(page, "test_1")
        _answer(page, correctly=True)
        _continue(page, "test_2")
        _answer(page, correctly=False)  # the etiquette quiz is failed
        _continue(page, "test_3")
        _answer(page, correctly=True)
        _continue(page, "test_4")
        _answer(page, correctly=True)
        _, attempt = _attempt(app, attempt_id)
        assert attempt.completion != "completed"
        # The wrapper's post-condition retries: only etiquette and its quiz come back.
        _continue(page, "etuqiette_item")
        _finish_content(_current_frame(page))
        _continue(page, "test_2")
        _answer(page, correctly=True)
        _continue(page, "test_4")
        _answer(page, correctly=True)
        page.click("#next")
        page.wait_for_selector("#ended", state="visible")
        _wait_for(page, lambda: _attempt(app, attempt_id)[1].completion == "completed")
        state, attempt = _attempt(app, attempt_id)
        assert (attempt.completion, attempt.success) == ("completed", "passed")
        assert attempt.status == "closed"
        tracking = state["#sequencing"]
        assert tracking["activities"]["test_2"]["attempts"] == 2
        assert tracking["activities"]["playing_item"]["attempts"] == 2  # Previous
    finally:
        context.close()


def _forced_sequential_zip(shared_fixtures: Path) -> bytes:
    """The golf files with Rustici's forced-sequential manifest (choice + disabled rules)."""
    root = shared_fixtures / REMEDIATION
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.name != "imsmanifest.xml":
                zf.write(path, path.relative_to(root).as_posix())
        zf.writestr("imsmanifest.xml", (shared_fixtures / FORCED).read_bytes())
    return buf.getvalue()


def test_scorm2004_choice_follows_the_packages_disabled_rules(
    app, client, upload, as_user, chromium, server, shared_fixtures
):
    attempt_id, url = _launch(client, upload, as_user, _forced_sequential_zip(shared_fixtures))
    context = chromium.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    try:
        page.goto(server + url)
        page.wait_for_function("() => document.querySelector(\"nav button[aria-current='true']\")")
        assert _delivered(page) == "playing_item"
        etiquette = page.locator("nav button[data-id='etuqiette_item']")
        assert etiquette.is_disabled()  # disabled until playing is satisfied
        _finish_content(_current_frame(page))
        page.wait_for_function(
            "() => !document.querySelector(\"nav button[data-id='etuqiette_item']\").disabled"
        )
        assert page.locator("nav button[data-id='handicapping_item']").is_disabled()
        # On a phone the contents open from their button, and close once an item is chosen.
        assert not etiquette.is_visible()
        page.click("#toc-toggle")
        etiquette.click()
        page.wait_for_function(
            "() => document.querySelector(\"nav button[aria-current='true']\")"
            ".dataset.id === 'etuqiette_item'"
        )
        # Back to review by choice is allowed.
        page.click("#toc-toggle")
        page.click("nav button[data-id='playing_item']")
        page.wait_for_function(
            "() => document.querySelector(\"nav button[aria-current='true']\")"
            ".dataset.id === 'playing_item'"
        )
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        state, _ = _attempt(app, attempt_id)
        assert state["#sequencing"]["activities"]["etuqiette_item"]["attempts"] == 1
    finally:
        context.close()


FRAMESET_MANIFEST = """<?xml version="1.0"?>
<manifest identifier="frameset" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>Bingkai</title>
    <item identifier="bingkai" identifierref="r"><title>Bingkai</title></item>
  </organization></organizations>
  <resources><resource identifier="r" type="webcontent" adlcp:scormtype="sco"
    href="index.html"/></resources>
</manifest>"""
FRAMESET = """<!DOCTYPE html><html><head><title>Bingkai</title></head>
<frameset cols="50%,50%"><frame name="kiri" src="kiri.html"><frame name="kanan" src="kanan.html">
</frameset></html>"""
# The left frame keeps its place in localStorage and sets a cookie of its own origin,
# looks for the portal's cookie, token and DOM, and hands all of it to the right frame.
LEFT = """<!DOCTYPE html><html><head><title>Kiri</title><script>
function go() {
  var right = parent.frames["kanan"];
  if (!right || !right.catat) { setTimeout(go, 50); return; }
  localStorage.setItem("bab", "3");
  sessionStorage.setItem("sesi", "ok");
  document.cookie = "paket=1; path=/";
  var probe = { cookie: document.cookie, token: String(localStorage.getItem("cakap_token")),
                session: sessionStorage.getItem("sesi") };
  try { probe.top = String(window.top.document.cookie); }
  catch (e) { probe.top = "threw:" + e.name; }
  right.catat(localStorage.getItem("bab"), JSON.stringify(probe));
}
</script></head><body onload="go()">kiri</body></html>"""
RIGHT = """<!DOCTYPE html><html><head><title>Kanan</title><script>
function catat(bab, probe) {
  API.LMSInitialize("");
  API.LMSSetValue("cmi.core.lesson_location", bab);
  API.LMSSetValue("cmi.suspend_data", probe);
  API.LMSCommit("");
  document.body.textContent = "dicatat";
}
</script></head><body>kanan</body></html>"""


def test_package_frames_call_each_other_and_keep_storage_but_not_the_portals(
    app, client, upload, as_user, chromium, server
):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in {
            "imsmanifest.xml": FRAMESET_MANIFEST,
            "index.html": FRAMESET,
            "kiri.html": LEFT,
            "kanan.html": RIGHT,
        }.items():
            zf.writestr(name, text)
    attempt_id, url = _launch(client, upload, as_user, buf.getvalue())
    context = chromium.new_context()
    context.add_cookies([{"name": "session", "value": "rahasia-portal", "url": server}])
    page = context.new_page()

    try:
        page.goto(server + "/health/live")
        page.evaluate("() => localStorage.setItem('cakap_token', 'rahasia-token')")
        page.goto(server + url)
        frame = page.frame_locator("#content").frame_locator("frame[name=kanan]")
        frame.locator("text=dicatat").wait_for()
        _wait_for(
            page,
            lambda: _attempt(app, attempt_id)[0]["bingkai"].get("cmi.core.lesson_location") == "3",
        )
        state, _ = _attempt(app, attempt_id)
        probe = json.loads(state["bingkai"]["cmi.suspend_data"])
        assert "rahasia" not in json.dumps(probe)
        assert probe["cookie"] == "paket=1"  # the content origin's own cookie works
        assert probe["session"] == "ok"  # and its sessionStorage
        assert probe["token"] == "null"  # the portal's storage is another origin's
        assert probe["top"].startswith("threw:")  # the portal's DOM is unreachable
        # The portal's page does hold them: the probe looked in the right places.
        assert "rahasia" in page.evaluate(
            "() => document.cookie + localStorage.getItem('cakap_token')"
        )
        assert page.evaluate("() => document.cookie").find("paket") < 0
    finally:
        context.close()


PHONE = {"width": 375, "height": 740}


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_scorm2004_player_exit_suspend_and_exit_all_controls(
    app, client, upload, as_user, chromium, server, shared_fixtures, viewport
):
    module_zip = _forced_sequential_zip(shared_fixtures)
    attempt_id, url = _launch(client, upload, as_user, module_zip)
    context = chromium.new_context(**({"viewport": viewport} if viewport else {}))
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    current = "() => document.querySelector(\"nav button[aria-current='true']\")"
    try:
        page.goto(server + url)
        page.wait_for_function(current)
        assert _delivered(page) == "playing_item"
        # Read to the end (the golf SCO then reports passed), then Exit: playing's attempt
        # ends and nothing follows by itself; the contents open for the learner to choose.
        _finish_content(_current_frame(page))
        page.click("#exit")
        page.wait_for_selector("#choose", state="visible")
        assert page.locator("nav button[data-id='etuqiette_item']").is_visible()
        page.wait_for_function(
            "() => !document.querySelector(\"nav button[data-id='etuqiette_item']\").disabled"
        )
        page.click("nav button[data-id='etuqiette_item']")
        page.wait_for_function(current + "?.dataset.id === 'etuqiette_item'")
        _current_frame(page).wait_for_selector("#butNext")
        # Save and leave: the attempt stays open, suspended at etiquette.
        page.click("#suspend-all")
        page.wait_for_selector("#suspended", state="visible")
        state, attempt = _attempt(app, attempt_id)
        assert attempt.status == "open"
        assert state["#sequencing"]["suspended"] == "etuqiette_item"
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        # The next launch resumes there.
        relaunch = client.post(
            f"/api/v1/modules/{attempt.module_id}/attempts", headers=as_user("learner")
        ).get_json()
        assert relaunch["id"] == attempt_id
        page.goto(server + relaunch["launch_url"])
        page.wait_for_function(current)
        assert _delivered(page) == "etuqiette_item"
        state, _ = _attempt(app, attempt_id)
        assert state["#sequencing"]["activities"]["etuqiette_item"]["attempts"] == 1
        # End the module: confirmed, the attempt closes unfinished.
        page.click("#exit-all")
        page.wait_for_selector("#ended-early", state="visible")
        _wait_for(page, lambda: _attempt(app, attempt_id)[1].status == "closed")
        _, attempt = _attempt(app, attempt_id)
        assert attempt.completion == "incomplete"
        assert page.locator("#exit-all").is_disabled()
        assert page.locator("nav button:not([disabled])").count() == 0  # nothing to choose
    finally:
        context.close()


def test_closing_the_player_suspends_the_sequenced_session(
    app, client, upload, as_user, chromium, server, shared_fixtures
):
    attempt_id, url = _launch(client, upload, as_user, _forced_sequential_zip(shared_fixtures))
    context = chromium.new_context()
    page = context.new_page()
    try:
        page.goto(server + url)
        page.wait_for_function("() => document.querySelector(\"nav button[aria-current='true']\")")
        _current_frame(page).wait_for_selector("#butNext")
        page.goto(server + "/health/live")
        _wait_for(
            page, lambda: _attempt(app, attempt_id)[0]["#sequencing"]["suspended"] == "playing_item"
        )
        state, attempt = _attempt(app, attempt_id)
        assert attempt.status == "open"
        assert state["#sequencing"]["activities"]["playing_item"]["attempts"] == 1
    finally:
        context.close()

"""Attempts through the API: access, runtime commits for both SCORM versions, resume,
time, completion events, isolation of attempts and launch credentials, versions, progress."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from elearning_service.extensions import db
from elearning_service.models import OutboxEvent
from sqlalchemy import select

# The people of conftest.py (test modules cannot import it under importlib mode).
LEARNER = "22222222-2222-4222-8222-222222222222"
OTHER = "33333333-3333-4333-8333-333333333333"
TRAINER = "11111111-1111-4111-8111-111111111111"


@pytest.fixture
def launch(client, as_user):
    def go(module_id: str, who: str = "learner") -> dict:
        r = client.post(f"/api/v1/modules/{module_id}/attempts", headers=as_user(who))
        assert r.status_code == 201, r.get_json()
        return r.get_json()

    return go


@pytest.fixture
def put(client, as_user):
    def send(attempt_id: str, body: dict, sco: str | None = None, who: str = "learner", **kw):
        url = f"/api/v1/module-attempts/{attempt_id}/cmi" + (f"?sco={sco}" if sco else "")
        headers = kw.pop("headers", None) or as_user(who)
        return client.put(url, json=body, headers=headers)

    return send


def launch_token(url: str) -> str:
    return url.split("launch=", 1)[1]


def events(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(select(OutboxEvent.type).order_by(OutboxEvent.seq)).all()


@pytest.mark.security
def test_access_is_asked_of_catalog_and_fails_closed(
    client, upload, as_user, sample_zip, fake_catalog
):
    module = upload(sample_zip).get_json()
    url = f"/api/v1/modules/{module['id']}/attempts"
    fake_catalog.allow_all = False
    assert client.post(url, headers=as_user("learner")).status_code == 403
    fake_catalog.down = True
    refused = client.post(url, headers=as_user("learner"))
    assert refused.status_code == 503
    fake_catalog.reset()
    first = client.post(url, headers=as_user("learner")).get_json()
    again = client.post(url, headers=as_user("learner")).get_json()
    assert first["id"] == again["id"]  # resumed
    assert again["launch_url"].startswith(f"/play/{first['id']}?launch=")
    assert ("access", LEARNER, module["id"]) in fake_catalog.calls


def test_scorm12_validation_names_the_element_and_is_all_or_nothing(
    upload, sample_zip, launch, put
):
    attempt = launch(upload(sample_zip).get_json()["id"])["id"]
    for body, element in [
        ({"cmi.core.score.raw": "101"}, "cmi.core.score.raw"),
        ({"cmi.core.lesson_status": "selesai"}, "cmi.core.lesson_status"),
        ({"cmi.core.student_name": "x"}, "cmi.core.student_name"),  # read only
        ({"cmi.core.session_time": "1 jam"}, "cmi.core.session_time"),
        ({"cmi.nope": "1"}, "cmi.nope"),
        ({"cmi.core.lesson_location": "p2", "cmi.suspend_data": "x" * 4097}, "cmi.suspend_data"),
    ]:
        r = put(attempt, body)
        assert r.status_code == 422, body
        assert element in r.get_json()["errors"]
        assert element in r.get_json()["detail"]
    state = put(attempt, {"cmi.core.lesson_location": "p1"}).get_json()["state"]
    assert state["cmi.core.lesson_location"] == "p1"  # the refused p2 was never stored
    assert put(attempt, {"cmi.core.lesson_status": "x"}, sco="nope").status_code == 422


def test_scorm2004_validation(upload, launch, put, scorm2004_zip):
    attempt = launch(upload(scorm2004_zip).get_json()["id"])["id"]
    for body, element in [
        ({"cmi.score.scaled": "1.5"}, "cmi.score.scaled"),
        ({"cmi.completion_status": "done"}, "cmi.completion_status"),
        ({"cmi.session_time": "01:00:00"}, "cmi.session_time"),
        ({"cmi.core.lesson_status": "passed"}, "cmi.core.lesson_status"),  # 1.2 name
        ({"cmi.learner_id": "x"}, "cmi.learner_id"),
    ]:
        r = put(attempt, body)
        assert r.status_code == 422 and element in r.get_json()["errors"], body
    ok = put(attempt, {"cmi.completion_status": "completed", "cmi.success_status": "passed",
                       "cmi.score.scaled": "0.85", "cmi.session_time": "PT2M"})  # fmt: skip
    assert ok.status_code == 200
    assert ok.get_json()["attempt"]["completion"] == "completed"
    assert ok.get_json()["attempt"]["score"] == 85.0


def test_resume_keeps_suspend_data_and_location_and_time_adds_up(
    upload, sample_zip, launch, put, client, as_user
):
    module = upload(sample_zip).get_json()["id"]
    first = launch(module)["id"]
    put(first, {"cmi.core.lesson_location": "hal-3", "cmi.suspend_data": "{\"dibaca\":3}",
                "cmi.core.session_time": "0000:10:00", "cmi.core.exit": "suspend",
                "cmi.core.lesson_status": "incomplete"})  # fmt: skip
    # A second commit of the same session replaces the session time, it does not add it.
    put(first, {"cmi.core.session_time": "0000:15:00"})
    again = launch(module)
    assert again["id"] == first
    state = put(first, {"cmi.core.session_time": "0000:05:00"}).get_json()["state"]
    assert state["cmi.core.lesson_location"] == "hal-3"
    assert state["cmi.suspend_data"] == '{"dibaca":3}'
    assert state["cmi.core.entry"] == "resume"
    assert state["cmi.core.total_time"] == "0000:20:00.00"
    seen = client.get(f"/api/v1/module-attempts/{first}", headers=as_user("learner")).get_json()
    assert seen["total_time"] == 1200.0
    assert seen["completion"] == "incomplete"


def test_completion_needs_every_sco_and_publishes_once(app, upload, sample_zip, launch, put):
    attempt = launch(upload(sample_zip).get_json()["id"])["id"]
    # bab_1 has mastery score 70: the server decides passed from the raw score.
    r = put(
        attempt, {"cmi.core.lesson_status": "completed", "cmi.core.score.raw": "90"}, sco="bab_1"
    )
    assert r.get_json()["state"]["cmi.core.lesson_status"] == "passed"
    assert r.get_json()["attempt"]["completion"] == "incomplete"
    put(attempt, {"cmi.core.lesson_status": "completed"}, sco="bab_2")
    assert events(app) == []
    done = put(attempt, {"progress.opened": "true"}, sco="glosarium").get_json()["attempt"]
    assert (done["completion"], done["success"], done["score"], done["status"]) == (
        "completed", "passed", 90.0, "closed")  # fmt: skip
    put(attempt, {"cmi.core.lesson_status": "completed"}, sco="bab_2")
    put(attempt, {"cmi.core.session_time": "0000:01:00"}, sco="bab_1")
    assert events(app) == ["module.completed", "module.passed"]
    with app.app_context():
        data = json.loads(db.session.scalars(select(OutboxEvent.data)).first())
    assert data["attempt_id"] == attempt and data["learner_id"] == LEARNER
    assert (data["score"], data["success"]) == (90.0, "passed")


@pytest.mark.security
def test_other_people_get_404_and_credentials_are_bound(
    app, client, upload, sample_zip, launch, put, as_user, clock
):
    module = upload(sample_zip).get_json()["id"]
    mine = launch(module)
    theirs = launch(module, who="other")
    assert (
        client.get(f"/api/v1/module-attempts/{mine['id']}", headers=as_user("other")).status_code
        == 404
    )
    assert put(mine["id"], {"cmi.core.lesson_location": "x"}, who="other").status_code == 404
    assert (
        client.get(f"/api/v1/module-attempts/{mine['id']}", headers=as_user("trainer")).status_code
        == 200
    )
    assert (
        client.get(f"/api/v1/module-attempts/{mine['id']}", headers=as_user("admin")).status_code
        == 200
    )
    body = {"cmi.core.lesson_location": "x"}
    url = f"/api/v1/module-attempts/{mine['id']}/cmi"
    own = {"X-Launch-Token": launch_token(mine["launch_url"])}
    other = {"X-Launch-Token": launch_token(theirs["launch_url"])}
    assert client.put(url, json=body, headers=own).status_code == 200
    assert client.put(url, json=body, headers=other).status_code == 404
    assert client.put(url, json=body).status_code == 401
    assert (
        client.get(f"/play/{mine['id']}?launch={launch_token(theirs['launch_url'])}").status_code
        == 404
    )
    clock.advance(seconds=4 * 3600 + 1)
    try:
        assert client.put(url, json=body, headers=own).status_code == 401
        assert client.get(mine["launch_url"]).status_code == 401
    finally:
        clock.advance(seconds=-(4 * 3600 + 1))
    relaunched = launch(module)
    assert client.put(url, json=body, headers=own).status_code == 401  # replaced launch
    fresh = {"X-Launch-Token": launch_token(relaunched["launch_url"])}
    assert client.put(url, json=body, headers=fresh).status_code == 200
    assert OTHER != LEARNER


def test_open_attempt_keeps_its_version(
    client, upload, sample_zip, scorm2004_zip, launch, put, as_user
):
    module = upload(sample_zip).get_json()["id"]
    before = launch(module)
    assert upload(scorm2004_zip, module_id=module).get_json()["version"] == 2
    again = launch(module)
    assert (again["id"], again["version"]) == (before["id"], 1)
    assert put(before["id"], {"cmi.core.lesson_location": "1"}).status_code == 200  # still 1.2
    newcomer = launch(module, who="other")
    assert newcomer["version"] == 2


@pytest.mark.security
def test_player_and_content_headers_and_shim(client, upload, sample_zip, launch):
    attempt = launch(upload(sample_zip).get_json()["id"])
    page = client.get(attempt["launch_url"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "frame-ancestors 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert 'sandbox="allow-scripts allow-forms allow-popups"' in html
    assert "allow-same-origin" not in html
    content_url = json.loads(html.split("window.CAKAP_PLAYER = ", 1)[1].split(";</script>", 1)[0])[
        "items"
    ][0]["url"]
    content = client.get(content_url)
    body = content.get_data()
    assert content.status_code == 200
    csp = content.headers["Content-Security-Policy"]
    assert "sandbox allow-scripts allow-forms allow-popups" in csp and "connect-src 'self'" in csp
    assert content.headers["X-Content-Type-Options"] == "nosniff"
    head = body.index(b"<head>") + len(b"<head>")
    assert body[head:].startswith(b"<script>") and b"window.API = api" in body
    base = content_url.rsplit("/content/", 1)[0]
    assert client.get(base + "/content/bersama/scorm.js").status_code == 200
    assert client.get(base + "/content/../../etc/passwd").status_code == 404
    assert client.get(base + "/content/%2e%2e/x").status_code == 404


def _first_content_url(client, attempt: dict) -> str:
    html = client.get(attempt["launch_url"]).get_data(as_text=True)
    player = json.loads(html.split("window.CAKAP_PLAYER = ", 1)[1].split(";</script>", 1)[0])
    return player["items"][0]["url"]


@pytest.mark.security
def test_only_a_pdf_module_escapes_the_content_sandbox(client, upload, sample_zip, launch):
    """A ".pdf" inside a SCORM package is the author's file: it keeps the sandboxed CSP."""
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(sample_zip)) as src, zipfile.ZipFile(buf, "w") as out:
        for entry in src.infolist():
            out.writestr(entry, src.read(entry))
        out.writestr("bahan.pdf", b"<html><script>alert(document.domain)</script></html>")
    package = launch(upload(buf.getvalue()).get_json()["id"])
    base = _first_content_url(client, package).rsplit("/content/", 1)[0]
    smuggled = client.get(base + "/content/bahan.pdf")
    assert smuggled.status_code == 200
    csp = smuggled.headers["Content-Security-Policy"]
    assert "sandbox allow-scripts allow-forms allow-popups" in csp
    assert "Content-Disposition" not in smuggled.headers

    document = launch(upload(b"%PDF-1.4\n%%EOF\n", "a.pdf").get_json()["id"])
    pdf = client.get(_first_content_url(client, document))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'self'"
    assert pdf.headers["Content-Disposition"] == "inline"


def test_pdf_page_and_video_progress(upload, launch, put):
    pdf = launch(upload(b"%PDF-1.4\n%%EOF\n", "a.pdf").get_json()["id"])["id"]
    assert put(pdf, {"progress.opened": "true"}).get_json()["attempt"]["completion"] == "incomplete"
    assert put(pdf, {"progress.confirmed": "yes"}).status_code == 422
    assert (
        put(pdf, {"progress.confirmed": "true"}).get_json()["attempt"]["completion"] == "completed"
    )
    mp4 = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + bytes(64)
    video = launch(upload(mp4, "v.mp4").get_json()["id"])["id"]
    assert put(video, {"progress.watched": 1.5}).status_code == 422
    assert put(video, {"progress.watched": 0.5}).get_json()["attempt"]["completion"] == "incomplete"
    r = put(video, {"progress.watched": 0.93, "progress.session_time": "PT3M"}).get_json()[
        "attempt"
    ]
    assert (r["completion"], r["total_time"]) == ("completed", 180.0)


def test_progress_for_learner_and_class(
    client, upload, sample_zip, launch, put, as_user, fake_catalog
):
    module = upload(sample_zip).get_json()["id"]
    attempt = launch(module)["id"]
    put(attempt, {"cmi.core.score.raw": "80", "cmi.core.session_time": "0000:02:00"}, sco="bab_1")
    mine = client.get("/api/v1/progress", headers=as_user("learner")).get_json()
    assert mine["items"][0]["module_id"] == module
    assert (mine["items"][0]["score"], mine["items"][0]["attempts"]) == (80.0, 1)
    assert (
        client.get(f"/api/v1/progress?learner_id={LEARNER}", headers=as_user("other")).status_code
        == 403
    )
    assert (
        client.get(f"/api/v1/progress?learner_id={LEARNER}", headers=as_user("admin")).status_code
        == 200
    )
    roster = [{"learner_id": LEARNER, "name": "Nyimas"}, {"learner_id": OTHER, "name": "Lain"}]
    fake_catalog.add_class("k1", [module], [TRAINER], roster)
    url = f"/api/v1/modules/{module}/progress?class_id=k1"
    report = client.get(url, headers=as_user("trainer")).get_json()
    assert (report["learners"], report["started"], report["completed"]) == (2, 1, 0)
    assert report["average_score"] == 80.0 and report["total_time"] == 120.0
    assert client.get(url, headers=as_user("admin")).status_code == 200
    assert client.get(url, headers=as_user("trainer2")).status_code == 403
    fake_catalog.down = True
    assert client.get(url, headers=as_user("trainer")).status_code == 503


def test_class_progress_needs_the_class_trainer_and_a_module_of_its_course(
    client, upload, sample_zip, as_user, fake_catalog
):
    """Owning one module must not open the roster of any class (names and ids of learners)."""
    module = upload(sample_zip).get_json()["id"]
    other_module = upload(sample_zip, who="trainer2").get_json()["id"]
    roster = [{"learner_id": LEARNER, "name": "Nyimas"}]
    fake_catalog.add_class("theirs", [module], [OTHER], roster)  # uses my module, not my class
    fake_catalog.add_class("mine", [module], [TRAINER], roster)
    fake_catalog.add_class("elsewhere", [other_module], [TRAINER], roster)
    progress = "/api/v1/modules/{}/progress?class_id={}".format

    answer = client.get(progress(module, "theirs"), headers=as_user("trainer"))
    assert answer.status_code == 403 and "Nyimas" not in answer.get_data(as_text=True)
    assert client.get(progress(module, "nope"), headers=as_user("trainer")).status_code == 404
    assert client.get(progress(module, "mine"), headers=as_user("learner")).status_code == 403
    # My class, but its course does not use the module asked about.
    assert client.get(progress(module, "elsewhere"), headers=as_user("trainer")).status_code == 404
    assert client.get(progress(module, "elsewhere"), headers=as_user("admin")).status_code == 404
    assert not [c for c in fake_catalog.calls if c[0] == "roster"]
    # A trainer of the class sees it even for a module someone else wrote; admins see any class.
    fake_catalog.add_class("shared", [other_module], [TRAINER], roster)
    mine = client.get(progress(other_module, "shared"), headers=as_user("trainer"))
    assert mine.status_code == 200 and mine.get_json()["items"][0]["name"] == "Nyimas"
    assert client.get(progress(module, "theirs"), headers=as_user("admin")).status_code == 200

"""Launches that never count: a learner's review of a completed course's module and the
owner's (or an admin's) preview. No credit, review/browse mode, no progress, no events,
and the right checked on the module and, for a review, on every use."""

from __future__ import annotations

import pytest
from elearning_service.extensions import db
from elearning_service.models import OutboxEvent
from sqlalchemy import select

# The people of conftest.py (test modules cannot import it under importlib mode).
LEARNER = "22222222-2222-4222-8222-222222222222"


@pytest.fixture
def start(client, as_user):
    """start(module_id, who, mode=None) -> the response of a launch (a body only with a mode)."""

    def go(module_id: str, who: str = "learner", mode: str | None = None):
        kwargs = {"json": {"mode": mode}} if mode else {}
        return client.post(f"/api/v1/modules/{module_id}/attempts", headers=as_user(who), **kwargs)

    return go


@pytest.fixture
def put(client, as_user):
    def send(attempt_id: str, body: dict, sco: str | None = None, who: str = "learner"):
        url = f"/api/v1/module-attempts/{attempt_id}/cmi" + (f"?sco={sco}" if sco else "")
        return client.put(url, json=body, headers=as_user(who))

    return send


def events(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(select(OutboxEvent.type).order_by(OutboxEvent.seq)).all()


def complete_every_item(put, attempt_id: str, raw: str) -> dict:
    """Commit completion of both SCOs and open the asset; the attempt's last rollup."""
    put(attempt_id, {"cmi.core.lesson_status": "completed", "cmi.core.score.raw": raw}, "bab_1")
    put(attempt_id, {"cmi.core.lesson_status": "completed"}, sco="bab_2")
    put(attempt_id, {"cmi.core.session_time": "0000:30:00"}, sco="bab_1")
    return put(attempt_id, {"progress.opened": "true"}, sco="glosarium").get_json()["attempt"]


def test_a_review_commits_leave_the_counting_attempt_and_progress_untouched(
    app, client, upload, sample_zip, start, put, as_user, fake_catalog
):
    module = upload(sample_zip).get_json()["id"]
    counting = start(module).get_json()
    assert (counting["mode"], counting["counts"]) == ("normal", True)
    done = complete_every_item(put, counting["id"], "90")
    assert (done["status"], done["completion"], done["score"]) == ("closed", "completed", 90.0)
    assert events(app) == ["module.completed", "module.passed"]
    before = client.get(f"/api/v1/module-attempts/{counting['id']}", headers=as_user("learner"))
    progress_before = client.get("/api/v1/progress", headers=as_user("learner")).get_json()

    # The course is completed: the learner is no longer enrolled, the module is reviewable.
    fake_catalog.allow_all = False
    fake_catalog.completed.add((LEARNER, module))
    review = start(module, mode="review")
    assert review.status_code == 201, review.get_json()
    review = review.get_json()
    assert review["id"] != counting["id"]
    assert (review["mode"], review["counts"]) == ("review", False)
    state = put(review["id"], {"cmi.core.lesson_location": "1"}, sco="bab_1").get_json()["state"]
    assert state["cmi.core.credit"] == "no-credit"
    assert state["cmi.core.lesson_mode"] == "review"
    # A worse score, every item finished and more time: none of it reaches the counting side.
    rolled = complete_every_item(put, review["id"], "20")
    assert (rolled["completion"], rolled["status"], rolled["counts"]) == (
        "completed", "open", False)  # fmt: skip
    put(review["id"], {"cmi.core.session_time": "0000:01:00"}, sco="bab_2")

    assert events(app) == ["module.completed", "module.passed"]
    after = client.get(f"/api/v1/module-attempts/{counting['id']}", headers=as_user("learner"))
    assert after.get_json() == before.get_json()
    progress_after = client.get("/api/v1/progress", headers=as_user("learner")).get_json()
    assert progress_after == progress_before
    assert progress_after["items"][0]["attempts"] == 1
    # A second review resumes the open one; it never resumes or reopens the counting attempt.
    assert start(module, mode="review").get_json()["id"] == review["id"]
    fake_catalog.allow_all = True
    fresh = start(module).get_json()
    assert fresh["id"] not in (review["id"], counting["id"]) and fresh["counts"] is True


def test_review_and_counting_attempts_stay_apart_while_both_are_open(
    client, upload, sample_zip, start, put, as_user, fake_catalog
):
    module = upload(sample_zip).get_json()["id"]
    counting = start(module).get_json()
    put(counting["id"], {"cmi.core.lesson_location": "hal-2"}, sco="bab_1")
    fake_catalog.completed.add((LEARNER, module))  # completed once, enrolled again
    review = start(module, mode="review").get_json()
    put(review["id"], {"cmi.core.lesson_location": "hal-9"}, sco="bab_1")
    resumed = start(module).get_json()
    assert resumed["id"] == counting["id"]
    state = put(counting["id"], {"cmi.core.exit": ""}, sco="bab_1").get_json()["state"]
    assert state["cmi.core.lesson_location"] == "hal-2"
    assert state["cmi.core.credit"] == "credit" and state["cmi.core.lesson_mode"] == "normal"
    mine = client.get(f"/api/v1/module-attempts/{review['id']}", headers=as_user("learner"))
    assert (mine.get_json()["mode"], mine.get_json()["number"]) == ("review", 1)


def test_the_owner_previews_in_browse_mode_without_progress_or_events(
    app, client, upload, start, put, as_user, fake_catalog, scorm2004_zip
):
    module = upload(scorm2004_zip).get_json()["id"]
    fake_catalog.allow_all = False  # a preview needs no enrolment
    preview = start(module, who="trainer", mode="preview")
    assert preview.status_code == 201, preview.get_json()
    preview = preview.get_json()
    assert (preview["mode"], preview["counts"]) == ("preview", False)
    body = {"cmi.completion_status": "completed", "cmi.success_status": "passed",
            "cmi.score.scaled": "0.9"}  # fmt: skip
    result = put(preview["id"], body, who="trainer").get_json()
    assert result["state"]["cmi.credit"] == "no-credit"
    assert result["state"]["cmi.mode"] == "browse"
    assert result["attempt"]["completion"] == "completed"
    assert events(app) == []
    progress = client.get("/api/v1/progress", headers=as_user("trainer")).get_json()
    assert progress["items"] == []
    # Catalog was never asked: the right is the module's owner, not an enrolment.
    assert not [c for c in fake_catalog.calls if c[0] == "access"]
    player = client.get(preview["launch_url"])
    assert player.status_code == 200
    assert b'data-mode="preview"' in player.data
    assert b'class="back" href="/pengajar/modul"' in player.data


def test_an_admin_previews_any_module(client, upload, sample_zip, start, fake_catalog):
    module = upload(sample_zip).get_json()["id"]
    fake_catalog.allow_all = False
    answer = start(module, who="admin", mode="preview")
    assert answer.status_code == 201 and answer.get_json()["counts"] is False
    # The admin's way back is the beranda, not the trainer's workspace.
    assert b'class="back" href="/"' in client.get(answer.get_json()["launch_url"]).data


@pytest.mark.security
@pytest.mark.parametrize(
    ("who", "mode", "code"),
    [
        ("trainer2", "preview", "not-module-owner"),  # another trainer
        ("learner", "preview", "not-module-owner"),
        ("learner", "review", "not-completed"),  # enrolled, not completed
        ("other", "review", "not-completed"),  # nothing at all
        ("trainer", "review", "not-completed"),  # the owner has no completed course
    ],
)
def test_who_may_not_launch_without_credit(upload, sample_zip, start, who, mode, code):
    module = upload(sample_zip).get_json()["id"]
    refused = start(module, who=who, mode=mode)
    assert refused.status_code == 403
    assert refused.content_type == "application/problem+json"
    assert refused.get_json()["code"] == code


def test_a_bad_mode_or_module_is_a_problem(upload, sample_zip, start, fake_catalog):
    module = upload(sample_zip).get_json()["id"]
    bad = start(module, mode="practice")
    assert bad.status_code == 422 and "mode" in bad.get_json()["errors"]
    missing = start("00000000-0000-4000-8000-000000000000", mode="review")
    assert missing.status_code == 404
    fake_catalog.down = True
    assert start(module, mode="review").status_code == 503


@pytest.mark.security
def test_a_review_is_refused_once_the_completion_is_gone_and_is_only_its_learners(
    client, upload, sample_zip, start, put, fake_catalog
):
    module = upload(sample_zip).get_json()["id"]
    fake_catalog.allow_all = False
    fake_catalog.completed.add((LEARNER, module))
    review = start(module, mode="review").get_json()
    assert put(review["id"], {"cmi.core.lesson_location": "1"}, who="other").status_code == 404
    assert client.get(review["launch_url"]).status_code == 200
    fake_catalog.completed.clear()  # e.g. the completion was revoked
    refused = put(review["id"], {"cmi.core.lesson_location": "2"})
    assert refused.status_code == 403 and refused.get_json()["code"] == "not-completed"
    assert client.get(review["launch_url"]).status_code == 403

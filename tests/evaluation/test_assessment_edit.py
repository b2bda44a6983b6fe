"""Changing an assessment (PATCH): owner or admin only, validated field by field, and only
the changes that stay fair once learners have submitted attempts."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from cakap_shared.testing import backend, lock_waiters
from evaluation_service.extensions import db
from sqlalchemy import text

SINGLE = {
    "type": "single",
    "text": "Ibu kota Sumsel?",
    "choices": ["Palembang", "Jambi"],
    "answer": 0,
}
TRUTH = {"type": "true_false", "text": "Ampera di atas Musi.", "answer": True}


def create(client, auth, **overrides) -> dict[str, Any]:
    body = {
        "title": "Tes akhir",
        "kind": "post_test",
        "passing_score": 60,
        "questions": [SINGLE],
        **overrides,
    }
    response = client.post("/api/v1/assessments", json=body, headers=auth("trainer"))
    assert response.status_code == 201, response.json
    return response.json


def patch(client, auth, assessment_id: str, body: dict[str, Any], who: str = "trainer"):
    return client.patch(f"/api/v1/assessments/{assessment_id}", json=body, headers=auth(who))


def submit_one(client, auth, assessment_id: str) -> dict[str, Any]:
    """The learner sits the test once and submits a right answer."""
    attempt = client.post(f"/api/v1/assessments/{assessment_id}/attempts", headers=auth("learner"))
    assert attempt.status_code == 201, attempt.json
    answers = {q["id"]: 0 for q in attempt.json["questions"]}
    done = client.post(
        f"/api/v1/assessment-attempts/{attempt.json['id']}/submit",
        json={"answers": answers},
        headers=auth("learner"),
    )
    assert done.status_code == 200, done.json
    return done.json


def test_owner_changes_settings_before_anyone_sat_it(client, auth, fakes):
    test = create(client, auth)
    changed = patch(
        client,
        auth,
        test["id"],
        {
            "title": "Tes akhir (revisi)",
            "kind": "pre_test",
            "passing_score": 75,
            "time_limit_minutes": 30,
            "max_attempts": 2,
            "shuffle": True,
            "questions": [SINGLE, TRUTH],
        },
    )
    assert changed.status_code == 200, changed.json
    got = client.get(f"/api/v1/assessments/{test['id']}", headers=auth("trainer")).json
    assert (got["title"], got["kind"], got["passing_score"]) == (
        "Tes akhir (revisi)",
        "pre_test",
        75,
    )
    assert (got["time_limit_minutes"], got["max_attempts"], got["shuffle"]) == (30, 2, True)
    assert [q["text"] for q in got["questions"]] == [SINGLE["text"], TRUTH["text"]]
    # a field not sent stays as it was; null removes a limit
    again = patch(client, auth, test["id"], {"time_limit_minutes": None})
    assert again.json["time_limit_minutes"] is None and again.json["max_attempts"] == 2


def test_switching_to_a_draw_rule_drops_the_fixed_questions(client, auth, fakes):
    bank = client.post("/api/v1/question-banks", json={"title": "B"}, headers=auth("trainer"))
    for q in (SINGLE, TRUTH):
        added = client.post(
            f"/api/v1/question-banks/{bank.json['id']}/questions",
            json={**q, "tags": ["SUMSEL"]},
            headers=auth("trainer"),
        )
        assert added.status_code == 201, added.json
    test = create(client, auth)
    drawn = patch(
        client,
        auth,
        test["id"],
        {"draw": {"bank_id": bank.json["id"], "tags": ["SUMSEL"], "count": 2}},
    )
    assert drawn.status_code == 200, drawn.json
    assert drawn.json["question_ids"] == [] and drawn.json["draw"]["count"] == 2
    too_many = patch(
        client, auth, test["id"], {"draw": {"bank_id": bank.json["id"], "tags": [], "count": 3}}
    )
    assert too_many.status_code == 422 and "draw.count" in too_many.json["errors"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"passing_score": 101}, "passing_score"),
        ({"passing_score": None}, "passing_score"),
        ({"title": ""}, "title"),
        ({"kind": "quiz"}, "kind"),
        ({"time_limit_minutes": 0}, "time_limit_minutes"),
        ({"max_attempts": 101}, "max_attempts"),
        ({"shuffle": "kadang"}, "shuffle"),
        ({"owner_id": "someone-else"}, "owner_id"),
        ({"questions": []}, "questions"),
        ({"draw": None}, "questions"),
        ({"question_ids": ["no-such-question"]}, "question_ids.0"),
        (
            {"questions": [{"type": "single", "text": "x", "choices": ["a", "b"], "answer": 5}]},
            "questions.0.answer",
        ),
    ],
)
def test_bad_changes_name_the_field_and_change_nothing(client, auth, fakes, body, field):
    test = create(client, auth)
    response = patch(client, auth, test["id"], body)
    assert response.status_code == 422, response.json
    assert response.content_type == "application/problem+json"
    assert field in response.json["errors"]
    after = client.get(f"/api/v1/assessments/{test['id']}", headers=auth("trainer")).json
    assert after == test


def test_only_the_owner_or_an_admin_changes_it(client, auth, fakes):
    test = create(client, auth)
    for who in ("other_trainer", "learner"):
        refused = patch(client, auth, test["id"], {"title": "Milik saya"}, who=who)
        assert refused.status_code in (403, 404), who
    assert patch(client, auth, "no-such-id", {"title": "x"}).status_code == 404
    by_admin = patch(client, auth, test["id"], {"title": "Dirapikan admin"}, who="admin")
    assert by_admin.status_code == 200 and by_admin.json["owner_id"] == test["owner_id"]
    got = client.get(f"/api/v1/assessments/{test['id']}", headers=auth("trainer")).json
    assert got["title"] == "Dirapikan admin"
    # a trainer cannot slip another trainer's bank questions into their own test
    other_bank = client.post(
        "/api/v1/question-banks", json={"title": "Lain"}, headers=auth("other_trainer")
    ).json
    foreign = client.post(
        f"/api/v1/question-banks/{other_bank['id']}/questions",
        json=SINGLE,
        headers=auth("other_trainer"),
    ).json
    stolen = patch(client, auth, test["id"], {"question_ids": [foreign["id"]]})
    assert stolen.status_code == 422 and "question_ids.0" in stolen.json["errors"]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"passing_score": 80}, ["passing_score"]),
        ({"kind": "pre_test"}, ["kind"]),
        ({"questions": [SINGLE, TRUTH]}, ["questions"]),
        ({"max_attempts": 1}, ["max_attempts"]),
        ({"time_limit_minutes": 10}, ["time_limit_minutes"]),
        ({"time_limit_minutes": 15, "title": "boleh"}, ["time_limit_minutes"]),
    ],
)
def test_unfair_changes_after_a_submission_are_refused(client, auth, fakes, body, fields):
    test = create(client, auth, max_attempts=3, time_limit_minutes=20)
    submit_one(client, auth, test["id"])
    refused = patch(client, auth, test["id"], body)
    assert refused.status_code == 409, refused.json
    assert refused.json["code"] == "assessment-in-use"
    assert refused.json["fields"] == fields
    # refused as a whole: not even the harmless part of the body was kept
    after = client.get(f"/api/v1/assessments/{test['id']}", headers=auth("trainer")).json
    assert after == test


def test_fair_changes_after_a_submission_are_kept(client, auth, fakes):
    test = create(client, auth, max_attempts=1, time_limit_minutes=20)
    first = submit_one(client, auth, test["id"])
    assert first["passed"] is True
    kept = patch(
        client,
        auth,
        test["id"],
        {
            "title": "Tes akhir v2",
            "shuffle": True,
            "max_attempts": 2,
            "time_limit_minutes": 45,
            "passing_score": 60,  # the same value is no change
        },
    )
    assert kept.status_code == 200, kept.json
    assert (kept.json["max_attempts"], kept.json["time_limit_minutes"]) == (2, 45)
    # the raised limit lets the learner sit it again, under the longer time limit
    again = client.post(f"/api/v1/assessments/{test['id']}/attempts", headers=auth("learner"))
    assert again.status_code == 201, again.json
    assert again.json["assessment"]["time_limit_minutes"] == 45
    removed = patch(client, auth, test["id"], {"max_attempts": None, "time_limit_minutes": None})
    assert removed.status_code == 200
    assert removed.json["max_attempts"] is None and removed.json["time_limit_minutes"] is None


def test_an_open_attempt_alone_does_not_freeze_the_test(client, auth, fakes):
    test = create(client, auth)
    opened = client.post(f"/api/v1/assessments/{test['id']}/attempts", headers=auth("learner"))
    assert opened.status_code == 201
    changed = patch(client, auth, test["id"], {"passing_score": 90, "questions": [TRUTH]})
    assert changed.status_code == 200, changed.json
    # the open attempt keeps the question it was served
    served = client.get(
        f"/api/v1/assessment-attempts/{opened.json['id']}", headers=auth("learner")
    ).json
    assert [q["text"] for q in served["questions"]] == [SINGLE["text"]]


@pytest.mark.skipif(backend() != "postgres", reason="row locks are PostgreSQL's")
def test_a_submission_waits_for_a_settings_change_in_flight(app, client, auth, fakes):
    """A change that commits while a learner submits grades that learner by the new rule."""
    test = create(client, auth, passing_score=40, questions=[SINGLE, TRUTH])
    attempt = client.post(f"/api/v1/assessments/{test['id']}/attempts", headers=auth("learner"))
    half_right = {
        q["id"]: (0 if q["type"] == "single" else False) for q in attempt.json["questions"]
    }
    with app.app_context():
        editor = db.engine.connect()
    try:
        # another editor holds the assessment as domain/assessments.update does
        editing = editor.begin()
        editor.execute(
            text("SELECT id FROM assessments WHERE id = :id FOR UPDATE"), {"id": test["id"]}
        )
        result: dict[str, Any] = {}

        def submit() -> None:
            result["response"] = client.post(
                f"/api/v1/assessment-attempts/{attempt.json['id']}/submit",
                json={"answers": half_right},
                headers=auth("learner"),
            )

        learner = threading.Thread(target=submit)
        learner.start()
        learner.join(timeout=1.0)
        waiting = lock_waiters(editor)
        assert learner.is_alive() and waiting == 1, "the submission did not wait for the change"
        editor.execute(
            text("UPDATE assessments SET passing_score = 60 WHERE id = :id"), {"id": test["id"]}
        )
        editing.commit()
        learner.join(timeout=10)
    finally:
        editor.close()
    graded = result["response"]
    assert graded.status_code == 200, graded.json
    assert (graded.json["score"], graded.json["passed"]) == (50, False)


@pytest.mark.skipif(backend() != "postgres", reason="row locks are PostgreSQL's")
def test_a_change_waits_for_a_submission_in_flight_and_is_refused(app, client, auth, fakes):
    """A grading holds the test as domain.attempts.finalize does; the change sees its attempt."""
    test = create(client, auth)
    attempt = client.post(f"/api/v1/assessments/{test['id']}/attempts", headers=auth("learner"))
    with app.app_context():
        grader = db.engine.connect()
    try:
        grading = grader.begin()
        grader.execute(
            text("SELECT id FROM assessments WHERE id = :id FOR SHARE"), {"id": test["id"]}
        )
        grader.execute(
            text("UPDATE attempts SET status = 'submitted' WHERE id = :id"),
            {"id": attempt.json["id"]},
        )
        result: dict[str, Any] = {}

        def change() -> None:
            result["response"] = patch(client, auth, test["id"], {"passing_score": 90})

        trainer = threading.Thread(target=change)
        trainer.start()
        trainer.join(timeout=1.0)
        assert trainer.is_alive(), "the change did not wait for the grading in flight"
        grading.commit()
        trainer.join(timeout=10)
    finally:
        grader.close()
    refused = result["response"]
    assert refused.status_code == 409 and refused.json["code"] == "assessment-in-use"

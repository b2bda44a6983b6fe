"""Essay grading by a trainer: the review queue, the review, grades, rights and the event."""

import json

import pytest
from evaluation_service.extensions import db
from evaluation_service.models import OutboxEvent
from sqlalchemy import select

ESSAY_TEXT = "Rahasia jawaban esai peserta"
QUESTIONS = [
    {"type": "single", "text": "Satu pilihan", "choices": ["a", "b", "c"], "answer": 1},
    {"type": "essay", "text": "Esai pertama"},
    {"type": "essay", "text": "Esai kedua", "feedback": "umum"},
]


def create(client, auth, passing_score=60, **overrides):
    body = {
        "title": "Ujian esai",
        "kind": "post_test",
        "passing_score": passing_score,
        "questions": QUESTIONS,
        **overrides,
    }
    response = client.post("/api/v1/assessments", json=body, headers=auth("trainer"))
    assert response.status_code == 201, response.json
    return response.json


def start(client, auth, assessment_id, who="learner"):
    response = client.post(f"/api/v1/assessments/{assessment_id}/attempts", headers=auth(who))
    assert response.status_code == 201, response.json
    by_text = {q["text"]: q["id"] for q in response.json["questions"]}
    return response.json["id"], by_text


def submit(client, auth, attempt_id, ids, who="learner"):
    answers = {ids["Satu pilihan"]: 1, ids["Esai pertama"]: ESSAY_TEXT, ids["Esai kedua"]: "b"}
    response = client.post(
        f"/api/v1/assessment-attempts/{attempt_id}/submit",
        json={"answers": answers},
        headers=auth(who),
    )
    assert response.status_code == 200, response.json
    return response.json


def grade(client, auth, attempt_id, grades, who="trainer", **kwargs):
    return client.post(
        f"/api/v1/assessment-attempts/{attempt_id}/grades",
        json={"grades": grades},
        headers=auth(who),
        **kwargs,
    )


def passed_events(app):
    with app.app_context():
        rows = db.session.scalars(
            select(OutboxEvent).where(OutboxEvent.type == "assessment.passed")
        )
        return [json.loads(e.data) for e in rows]


@pytest.fixture
def submitted(client, auth, fakes, clock):
    """A submitted attempt: the single choice right, both essays awaiting a grade."""
    assessment = create(client, auth)
    attempt_id, ids = start(client, auth, assessment["id"])
    result = submit(client, auth, attempt_id, ids)
    assert result["pending_review"] is True
    assert (result["score"], result["passed"]) == (33.33, False)
    return assessment, attempt_id, ids


def pending(client, auth, assessment_id, who="trainer"):
    return client.get(
        f"/api/v1/assessments/{assessment_id}/attempts?pending_review=true", headers=auth(who)
    )


def test_grading_recomputes_score_publishes_once_and_clears_pending(
    app, client, auth, submitted, clock
):
    assessment, attempt_id, ids = submitted
    first, second = ids["Esai pertama"], ids["Esai kedua"]
    assert [a["id"] for a in pending(client, auth, assessment["id"]).json["items"]] == [attempt_id]
    assert passed_events(app) == []

    graded = grade(client, auth, attempt_id, {first: {"score": 1, "comment": "Bagus"}})
    assert graded.status_code == 200, graded.json
    assert (graded.json["score"], graded.json["passed"]) == (66.67, True)
    assert graded.json["pending_review"] is True  # the second essay is not graded yet
    [event] = passed_events(app)
    assert event["attempt_id"] == attempt_id and event["score"] == 66.67
    assert event["passed"] is True and event["kind"] == "post_test"
    assert event["learner_id"] and event["submitted_at"]
    assert pending(client, auth, assessment["id"]).json["total"] == 1

    graded = grade(client, auth, attempt_id, {second: {"score": 0.5}})
    assert (graded.json["score"], graded.json["pending_review"]) == (83.33, False)
    assert pending(client, auth, assessment["id"]).json["total"] == 0
    assert len(passed_events(app)) == 1

    # Failing it and passing it again announces nothing more: an attempt passes once.
    assert grade(client, auth, attempt_id, {first: {"score": 0}}).json["passed"] is False
    again = grade(client, auth, attempt_id, {first: {"score": 0.75}})
    assert (again.json["score"], again.json["passed"]) == (75.0, True)
    assert len(passed_events(app)) == 1

    # The learner sees the recomputed grade and the trainer's comment.
    mine = client.get(f"/api/v1/assessment-attempts/{attempt_id}", headers=auth("learner")).json
    assert (mine["score"], mine["passed"], mine["pending_review"]) == (75.0, True, False)
    results = {r["question_id"]: r for r in mine["results"]}
    assert results[second] == {
        "question_id": second,
        "correct": None,
        "score": 0.5,
        "pending": False,
        "feedback": ["umum"],
    }
    assert results[first]["score"] == 0.75 and results[first]["pending"] is False


def test_a_pass_at_submission_is_not_announced_again_by_grading(app, client, auth, fakes, clock):
    assessment = create(client, auth, passing_score=30)
    attempt_id, ids = start(client, auth, assessment["id"])
    assert submit(client, auth, attempt_id, ids)["passed"] is True
    assert len(passed_events(app)) == 1
    graded = grade(
        client,
        auth,
        attempt_id,
        {ids["Esai pertama"]: {"score": 1}, ids["Esai kedua"]: {"score": 1}},
    )
    assert (graded.json["score"], graded.json["pending_review"]) == (100.0, False)
    assert len(passed_events(app)) == 1


def test_same_body_twice_changes_nothing(app, client, auth, submitted):
    _, attempt_id, ids = submitted
    body = {ids["Esai pertama"]: {"score": 1, "comment": "Bagus"}}
    first = grade(client, auth, attempt_id, body)
    second = grade(client, auth, attempt_id, body)
    assert first.status_code == second.status_code == 200
    assert first.json == second.json
    assert len(passed_events(app)) == 1
    keyed = [
        client.post(
            f"/api/v1/assessment-attempts/{attempt_id}/grades",
            json={"grades": body},
            headers={**auth("trainer"), "Idempotency-Key": "g-1"},
        )
        for _ in range(2)
    ]
    assert keyed[0].json == keyed[1].json == first.json


def test_review_shows_responses_answers_and_grades(client, auth, submitted):
    _, attempt_id, ids = submitted
    grade(client, auth, attempt_id, {ids["Esai pertama"]: {"score": 0.5, "comment": "Cukup"}})
    review = client.get(f"/api/v1/assessment-attempts/{attempt_id}/review", headers=auth("trainer"))
    assert review.status_code == 200, review.json
    questions = {q["id"]: q for q in review.json["questions"]}
    single = questions[ids["Satu pilihan"]]
    assert single["question"]["answer"] == 1 and single["response"] == 1
    assert single["result"]["correct"] is True and single["grade"] is None
    essay = questions[ids["Esai pertama"]]
    assert essay["response"] == ESSAY_TEXT
    assert essay["grade"]["score"] == 0.5 and essay["grade"]["comment"] == "Cukup"
    assert essay["grade"]["graded_by"] and essay["grade"]["graded_at"]
    assert questions[ids["Esai kedua"]]["result"]["pending"] is True
    assert review.json["pending_review"] is True and review.json["status"] == "submitted"


def test_who_may_review_and_grade(client, auth, submitted):
    assessment, attempt_id, ids = submitted
    review = f"/api/v1/assessment-attempts/{attempt_id}/review"
    body = {ids["Esai pertama"]: {"score": 1}}
    for who, status in [("other_trainer", 404), ("other_learner", 404), ("learner", 403)]:
        assert client.get(review, headers=auth(who)).status_code == status, who
        assert grade(client, auth, attempt_id, body, who=who).status_code == status, who
    assert client.get(review, headers=auth("admin")).status_code == 200
    graded = grade(client, auth, attempt_id, body, who="admin")
    assert graded.status_code == 200 and graded.json["questions"][1]["grade"]["score"] == 1.0
    unknown = "/api/v1/assessment-attempts/00000000-0000-4000-8000-000000000000/review"
    assert client.get(unknown, headers=auth("trainer")).status_code == 404
    # The review queue: the owner and admins; others see only their own attempts.
    assert pending(client, auth, assessment["id"], "admin").json["total"] == 1
    assert pending(client, auth, assessment["id"], "other_trainer").json["total"] == 0


def test_nothing_to_review_before_submission(client, auth, fakes, clock):
    assessment = create(client, auth)
    attempt_id, ids = start(client, auth, assessment["id"])
    review = client.get(f"/api/v1/assessment-attempts/{attempt_id}/review", headers=auth("trainer"))
    assert review.status_code == 409
    graded = grade(client, auth, attempt_id, {ids["Esai pertama"]: {"score": 1}})
    assert graded.status_code == 409
    assert pending(client, auth, assessment["id"]).json["total"] == 0


def test_an_expired_attempt_can_be_graded(client, auth, fakes, clock):
    assessment = create(client, auth, time_limit_minutes=10)
    attempt_id, ids = start(client, auth, assessment["id"])
    client.put(
        f"/api/v1/assessment-attempts/{attempt_id}/answers",
        json={"answers": {ids["Esai pertama"]: ESSAY_TEXT}},
        headers=auth("learner"),
    )
    clock.advance(minutes=11)
    review = client.get(f"/api/v1/assessment-attempts/{attempt_id}/review", headers=auth("trainer"))
    assert review.status_code == 200 and review.json["status"] == "expired"
    assert [a["id"] for a in pending(client, auth, assessment["id"]).json["items"]] == [attempt_id]
    graded = grade(client, auth, attempt_id, {ids["Esai pertama"]: {"score": 1}})
    assert graded.json["score"] == 33.33


@pytest.mark.parametrize(
    ("grades", "field"),
    [
        (lambda ids: {ids["Satu pilihan"]: {"score": 1}}, "grades.{Satu pilihan}"),
        (lambda ids: {"no-such-question": {"score": 1}}, "grades.no-such-question"),
        (lambda ids: {ids["Esai pertama"]: {"score": 1.5}}, "grades.{Esai pertama}.score"),
        (lambda ids: {ids["Esai pertama"]: {"score": -0.1}}, "grades.{Esai pertama}.score"),
        (lambda ids: {ids["Esai pertama"]: {"score": True}}, "grades.{Esai pertama}.score"),
        (lambda ids: {ids["Esai pertama"]: {"score": "1"}}, "grades.{Esai pertama}.score"),
        (lambda ids: {ids["Esai pertama"]: {}}, "grades.{Esai pertama}.score"),
        (
            lambda ids: {ids["Esai pertama"]: {"score": 1, "comment": 5}},
            "grades.{Esai pertama}.comment",
        ),
        (lambda ids: {ids["Esai pertama"]: {"score": 1, "x": 1}}, "grades.{Esai pertama}.x"),
        (lambda ids: {ids["Esai pertama"]: 1}, "grades.{Esai pertama}"),
        (lambda ids: {}, "grades"),
    ],
)
def test_bad_grades_are_422_naming_the_question(app, client, auth, submitted, grades, field):
    _, attempt_id, ids = submitted
    # A valid grade alongside a bad one must not be half-written.
    body = {**grades(ids)}
    if body:
        body.setdefault(ids["Esai kedua"], {"score": 1})
    response = grade(client, auth, attempt_id, body)
    assert response.status_code == 422
    expected = field.format(**{text: qid for text, qid in ids.items()}) if "{" in field else field
    assert expected in response.json["errors"], response.json
    review = client.get(f"/api/v1/assessment-attempts/{attempt_id}/review", headers=auth("trainer"))
    assert all(q["grade"] is None for q in review.json["questions"])
    assert review.json["score"] == 33.33


@pytest.mark.security
def test_grade_changes_are_audited_without_answer_text(client, auth, submitted, caplog):
    _, attempt_id, ids = submitted
    caplog.set_level("INFO", logger="cakap.audit")
    grade(client, auth, attempt_id, {ids["Esai pertama"]: {"score": 1, "comment": "Bagus"}})
    records = [r for r in caplog.records if r.name == "cakap.audit"]
    graded = [r.fields for r in records if r.fields["event"] == "assessment.essay_graded"]
    assert len(graded) == 1
    assert graded[0]["attempt_id"] == attempt_id
    assert graded[0]["question_id"] == ids["Esai pertama"] and graded[0]["actor"]
    assert all(ESSAY_TEXT not in r.getMessage() + json.dumps(r.fields) for r in records)
    assert all("Bagus" not in json.dumps(r.fields) for r in records)
    caplog.clear()
    grade(client, auth, attempt_id, {ids["Esai pertama"]: {"score": 1, "comment": "Bagus"}})
    assert not [r for r in caplog.records if r.name == "cakap.audit" and "graded" in r.getMessage()]

"""Assessments and attempts through the API: grading, secrecy, deadline, idempotency, rights."""

import json
import uuid

import pytest
from evaluation_service.domain.attempts import close_overdue_attempts
from evaluation_service.extensions import db
from evaluation_service.models import OutboxEvent
from sqlalchemy import select

QUESTIONS = [
    {
        "type": "single",
        "text": "Satu pilihan",
        "choices": ["a", "b", "c"],
        "answer": 1,
        "choice_feedback": ["tidak", "ya", "tidak"],
        "feedback": "umum",
    },
    {
        "type": "multiple",
        "text": "Banyak pilihan",
        "choices": ["a", "b", "c", "d"],
        "answer": [0, 2],
    },
    {
        "type": "true_false",
        "text": "Benar atau salah",
        "answer": True,
        "feedback_true": "betul",
        "feedback_false": "keliru",
    },
    {
        "type": "short_answer",
        "text": "Singkatan",
        "answers": ["Lembaga Administrasi Negara", "LAN"],
    },
    {"type": "numeric", "text": "JP minimal", "answer": 20, "tolerance": 0.5},
]


def create(client, auth, **overrides):
    body = {
        "title": "Post test",
        "kind": "post_test",
        "passing_score": 60,
        "questions": QUESTIONS,
        **overrides,
    }
    response = client.post("/api/v1/assessments", json=body, headers=auth("trainer"))
    assert response.status_code == 201, response.json
    return response.json


def start(client, auth, assessment_id, who="learner"):
    return client.post(f"/api/v1/assessments/{assessment_id}/attempts", headers=auth(who))


def answers_for(attempt, by_text):
    return {q["id"]: by_text[q["text"]] for q in attempt["questions"] if q["text"] in by_text}


def outbox(app):
    with app.app_context():
        return [(e.type, json.loads(e.data)) for e in db.session.scalars(select(OutboxEvent))]


# --- creating ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"passing_score": 101}, "passing_score"),
        ({"passing_score": -1}, "passing_score"),
        ({"kind": "quiz"}, "kind"),
        (
            {"questions": [{"type": "single", "text": "x", "choices": ["a", "b"], "answer": 2}]},
            "questions.0.answer",
        ),
        (
            {"questions": [{"type": "multiple", "text": "x", "choices": ["a", "b"], "answer": []}]},
            "questions.0.answer",
        ),
        (
            {
                "questions": [
                    QUESTIONS[0],
                    {"type": "single", "text": "x", "choices": ["a"], "answer": 0},
                ]
            },
            "questions.1.choices",
        ),
        ({"questions": []}, "questions"),
        ({"question_ids": [str(uuid.uuid4())], "questions": []}, "question_ids.0"),
    ],
)
def test_invalid_assessments_name_the_field(client, auth, change, field):
    body = {"title": "T", "kind": "pre_test", "passing_score": 50, "questions": QUESTIONS, **change}
    response = client.post("/api/v1/assessments", json=body, headers=auth("trainer"))
    assert response.status_code == 422
    assert field in response.json["errors"], response.json


def test_only_authors_create_and_owners_read(client, auth):
    assert client.post("/api/v1/assessments", json={}, headers=auth("learner")).status_code == 403
    assessment = create(client, auth)
    url = f"/api/v1/assessments/{assessment['id']}"
    assert client.get(url, headers=auth("trainer")).json["questions"][0]["answer"] == 1
    assert client.get(url, headers=auth("admin")).status_code == 200
    assert client.get(url, headers=auth("other_trainer")).status_code == 404
    assert client.get(url, headers=auth("learner")).status_code == 403
    assert client.get("/api/v1/assessments", headers=auth("other_trainer")).json["total"] == 0
    assert client.get("/api/v1/assessments", headers=auth("admin")).json["total"] == 1


# --- grading and secrecy --------------------------------------------------------------


def test_grading_every_type_through_the_api(app, client, auth, fakes, clock, secrecy):
    assessment = create(client, auth)
    attempt = start(client, auth, assessment["id"])
    assert attempt.status_code == 201
    assert secrecy(attempt.json) == []
    by_text = {
        "Satu pilihan": 1,
        "Banyak pilihan": [0, 2],
        "Benar atau salah": True,
        "Singkatan": "  lan ",
        "JP minimal": 20.4,
    }
    result = client.post(
        f"/api/v1/assessment-attempts/{attempt.json['id']}/submit",
        json={"answers": answers_for(attempt.json, by_text)},
        headers=auth("learner"),
    )
    assert result.status_code == 200, result.json
    assert (result.json["score"], result.json["passed"]) == (100.0, True)
    feedback = {r["question_id"]: r for r in result.json["results"]}
    first = attempt.json["questions"][0]["id"]
    assert feedback[first]["feedback"] == ["ya", "umum"]
    [(event_type, data)] = outbox(app)
    assert event_type == "assessment.passed"
    assert data["attempt_id"] == attempt.json["id"] and data["kind"] == "post_test"
    assert data["passed"] is True and data["score"] == 100.0


def test_partial_and_failed_attempt_publishes_nothing(app, client, auth, fakes, clock):
    assessment = create(client, auth)
    attempt = start(client, auth, assessment["id"]).json
    by_text = {
        "Satu pilihan": 0,
        "Banyak pilihan": [0, 1],
        "Benar atau salah": False,
        "Singkatan": "BKN",
        "JP minimal": 21,
    }
    result = client.post(
        f"/api/v1/assessment-attempts/{attempt['id']}/submit",
        json={"answers": answers_for(attempt, by_text)},
        headers=auth("learner"),
    )
    # multiple: (1 right - 1 wrong) / 2 = 0; every other answer wrong
    assert (result.json["score"], result.json["passed"]) == (0.0, False)
    assert outbox(app) == []


def test_no_feedback_when_the_assessment_hides_it(client, auth, fakes, clock):
    assessment = create(client, auth, show_feedback=False)
    attempt = start(client, auth, assessment["id"]).json
    result = client.post(
        f"/api/v1/assessment-attempts/{attempt['id']}/submit",
        json={"answers": {}},
        headers=auth("learner"),
    )
    assert "results" not in result.json and result.json["score"] == 0.0


@pytest.mark.security
def test_nothing_before_submission_reveals_answers(client, auth, fakes, clock, secrecy):
    assessment = create(client, auth, shuffle=True, time_limit_minutes=30)
    started = start(client, auth, assessment["id"])
    attempt_id = started.json["id"]
    single = next(q["id"] for q in started.json["questions"] if q["type"] == "single")
    responses = [
        started,
        start(client, auth, assessment["id"]),  # resume
        client.get(f"/api/v1/assessment-attempts/{attempt_id}", headers=auth("learner")),
        client.put(
            f"/api/v1/assessment-attempts/{attempt_id}/answers",
            json={"answers": {single: 0}},
            headers=auth("learner"),
        ),
        client.get(f"/api/v1/assessments/{assessment['id']}/attempts", headers=auth("learner")),
    ]
    for response in responses:
        assert response.status_code in (200, 201)
        assert secrecy(response.json) == [], response.request.path
    assert responses[1].json["id"] == attempt_id
    assert responses[1].json["questions"] == started.json["questions"]


def test_shuffled_choices_are_graded_in_served_order(client, auth, fakes, clock):
    many = [
        {"type": "single", "text": f"Q{i}", "choices": [f"c{j}" for j in range(6)], "answer": 3}
        for i in range(8)
    ]
    assessment = create(client, auth, shuffle=True, questions=many)
    attempt = start(client, auth, assessment["id"]).json
    picks = {q["id"]: q["choices"].index("c3") for q in attempt["questions"]}
    assert len(set(tuple(q["choices"]) for q in attempt["questions"])) > 1
    result = client.post(
        f"/api/v1/assessment-attempts/{attempt['id']}/submit",
        json={"answers": picks},
        headers=auth("learner"),
    )
    assert result.json["score"] == 100.0


def test_answers_to_other_questions_are_422(client, auth, fakes, clock):
    assessment = create(client, auth)
    attempt = start(client, auth, assessment["id"]).json
    stranger = str(uuid.uuid4())
    url = f"/api/v1/assessment-attempts/{attempt['id']}"
    bad = client.post(f"{url}/submit", json={"answers": {stranger: 0}}, headers=auth("learner"))
    assert bad.status_code == 422 and f"answers.{stranger}" in bad.json["errors"]
    first = attempt["questions"][0]["id"]
    out_of_range = client.put(
        f"{url}/answers", json={"answers": {first: 7}}, headers=auth("learner")
    )
    assert out_of_range.status_code == 422 and f"answers.{first}" in out_of_range.json["errors"]
    assert client.get(url, headers=auth("learner")).json["status"] == "open"


# --- idempotency and double submit ------------------------------------------------------


def test_second_submit_is_409_and_same_key_replays(client, auth, fakes, clock):
    assessment = create(client, auth)
    attempt = start(client, auth, assessment["id"]).json
    url = f"/api/v1/assessment-attempts/{attempt['id']}/submit"
    body = {"answers": answers_for(attempt, {"Satu pilihan": 1})}
    key = {"Idempotency-Key": "submit-1"}
    first = client.post(url, json=body, headers={**auth("learner"), **key})
    replay = client.post(url, json=body, headers={**auth("learner"), **key})
    assert first.status_code == replay.status_code == 200
    assert replay.json == first.json
    assert replay.headers.get("Idempotent-Replayed") == "true"
    again = client.post(url, json=body, headers=auth("learner"))
    assert again.status_code == 409
    assert (
        client.put(
            f"/api/v1/assessment-attempts/{attempt['id']}/answers",
            json={"answers": {}},
            headers=auth("learner"),
        ).status_code
        == 409
    )


def test_an_autosave_that_read_the_attempt_before_the_submission_is_refused(
    client, auth, fakes, clock, monkeypatch
):
    from evaluation_service.domain import attempts
    from sqlalchemy import text

    assessment = create(client, auth)
    attempt = start(client, auth, assessment["id"]).json
    single = next(q["id"] for q in attempt["questions"] if q["type"] == "single")
    reading = attempts.visible

    def submitted_meanwhile(attempt_id, **kwargs):
        loaded = reading(attempt_id, **kwargs)  # open, as this request read it
        with db.engine.begin() as other:
            other.execute(
                text("UPDATE attempts SET status = 'submitted' WHERE id = :id"), {"id": attempt_id}
            )
        return loaded

    monkeypatch.setattr(attempts, "visible", submitted_meanwhile)
    late = client.put(
        f"/api/v1/assessment-attempts/{attempt['id']}/answers",
        json={"answers": {single: 0}},
        headers=auth("learner"),
    )
    assert late.status_code == 409 and late.json["code"] == "attempt-closed"


# --- timing --------------------------------------------------------------------------


def test_late_submit_is_graded_as_of_the_deadline(client, auth, fakes, clock):
    assessment = create(client, auth, time_limit_minutes=10)
    attempt = start(client, auth, assessment["id"]).json
    url = f"/api/v1/assessment-attempts/{attempt['id']}"
    q = {item["text"]: item["id"] for item in attempt["questions"]}
    clock.advance(minutes=9)
    saved = client.put(
        f"{url}/answers", json={"answers": {q["Satu pilihan"]: 1}}, headers=auth("learner")
    )
    assert saved.status_code == 200
    clock.advance(minutes=2)
    late_save = client.put(
        f"{url}/answers", json={"answers": {q["Benar atau salah"]: True}}, headers=auth("learner")
    )
    assert late_save.status_code == 409
    submitted = client.post(
        f"{url}/submit",
        headers=auth("learner"),
        json={"answers": {q["Benar atau salah"]: True, q["Singkatan"]: "LAN"}},
    )
    # Closed at the deadline by the autosave refusal above: a second close is 409 ...
    assert submitted.status_code == 409
    shown = client.get(url, headers=auth("learner")).json
    # ... and only the answer saved before the deadline counted.
    assert shown["status"] == "expired" and shown["score"] == 20.0
    assert shown["submitted_at"].startswith("2026-03-02T08:10:00")


@pytest.mark.security
def test_submit_after_deadline_ignores_the_late_answers(client, auth, fakes, clock):
    assessment = create(client, auth, time_limit_minutes=10)
    attempt = start(client, auth, assessment["id"]).json
    q = {item["text"]: item["id"] for item in attempt["questions"]}
    url = f"/api/v1/assessment-attempts/{attempt['id']}"
    client.put(
        f"{url}/answers",
        json={"answers": {q["Satu pilihan"]: 1, q["JP minimal"]: 20}},
        headers=auth("learner"),
    )
    clock.advance(minutes=15)
    result = client.post(
        f"{url}/submit",
        headers=auth("learner"),
        json={"answers": {q["Benar atau salah"]: True, q["Singkatan"]: "LAN"}},
    )
    assert result.status_code == 200
    assert result.json["score"] == 40.0
    assert result.json["submitted_at"].startswith("2026-03-02T08:10:00")


def test_job_closes_overdue_attempts_as_of_the_deadline(app, client, auth, fakes, clock):
    assessment = create(client, auth, time_limit_minutes=5, passing_score=20)
    attempt = start(client, auth, assessment["id"]).json
    other = start(client, auth, assessment["id"], who="other_learner").json
    q = {item["text"]: item["id"] for item in attempt["questions"]}
    client.put(
        f"/api/v1/assessment-attempts/{attempt['id']}/answers",
        json={"answers": {q["Satu pilihan"]: 1}},
        headers=auth("learner"),
    )
    clock.advance(minutes=4)
    with app.app_context():
        assert close_overdue_attempts() == 0
    clock.advance(minutes=2)
    with app.app_context():
        assert close_overdue_attempts() == 1 + 1
        assert close_overdue_attempts() == 0
    shown = client.get(f"/api/v1/assessment-attempts/{attempt['id']}", headers=auth("learner"))
    assert (shown.json["status"], shown.json["score"], shown.json["passed"]) == (
        "expired",
        20.0,
        True,
    )
    assert (
        client.get(
            f"/api/v1/assessment-attempts/{other['id']}", headers=auth("other_learner")
        ).json["score"]
        == 0.0
    )
    assert (
        client.post(
            f"/api/v1/assessment-attempts/{attempt['id']}/submit",
            json={"answers": {}},
            headers=auth("learner"),
        ).status_code
        == 409
    )


def test_cli_closes_overdue_attempts(app, client, auth, fakes, clock):
    assessment = create(client, auth, time_limit_minutes=5)
    start(client, auth, assessment["id"])
    clock.advance(hours=1)
    result = app.test_cli_runner().invoke(args=["close-overdue-attempts"])
    assert "closed 1 overdue" in result.output


def test_max_attempts_and_resume_after_deadline(client, auth, fakes, clock):
    assessment = create(client, auth, max_attempts=2, time_limit_minutes=5)
    first = start(client, auth, assessment["id"]).json
    clock.advance(minutes=6)
    second = start(client, auth, assessment["id"])
    assert second.status_code == 201 and second.json["id"] != first["id"]
    assert second.json["number"] == 2
    rules = second.json["assessment"]
    assert (rules["max_attempts"], rules["time_limit_minutes"]) == (2, 5)
    assert rules["passing_score"] == assessment["passing_score"]
    assert set(rules) == {"title", "kind", "passing_score", "max_attempts", "time_limit_minutes"}
    client.post(
        f"/api/v1/assessment-attempts/{second.json['id']}/submit",
        json={"answers": {}},
        headers=auth("learner"),
    )
    exhausted = start(client, auth, assessment["id"])
    assert exhausted.status_code == 409 and exhausted.json["code"] == "attempts-exhausted"


def test_draw_rule_serves_count_questions_from_tags(client, auth, fakes, clock):
    bank = client.post("/api/v1/question-banks", json={"title": "B"}, headers=auth("trainer")).json[
        "id"
    ]
    for i in range(5):
        client.post(
            f"/api/v1/question-banks/{bank}/questions",
            headers=auth("trainer"),
            json={
                "type": "true_false",
                "text": f"S{i}",
                "answer": True,
                "tags": ["TIK"] if i < 4 else ["lain"],
            },
        )
    too_many = client.post(
        "/api/v1/assessments",
        headers=auth("trainer"),
        json={
            "title": "D",
            "kind": "exam",
            "passing_score": 50,
            "draw": {"bank_id": bank, "tags": ["TIK"], "count": 5},
        },
    )
    assert too_many.status_code == 422 and "draw.count" in too_many.json["errors"]
    foreign = client.post(
        "/api/v1/assessments",
        headers=auth("other_trainer"),
        json={
            "title": "D",
            "kind": "exam",
            "passing_score": 50,
            "draw": {"bank_id": bank, "tags": [], "count": 1},
        },
    )
    assert foreign.status_code == 422 and "draw.bank_id" in foreign.json["errors"]
    assessment = create(
        client, auth, questions=[], draw={"bank_id": bank, "tags": ["TIK"], "count": 3}
    )
    attempt = start(client, auth, assessment["id"]).json
    texts = [q["text"] for q in attempt["questions"]]
    assert len(texts) == 3 and "S4" not in texts


# --- rights ---------------------------------------------------------------------------


@pytest.mark.security
def test_attempt_needs_enrolment_and_catalog(client, auth, fakes, clock):
    assessment = create(client, auth)
    fakes.enrol_all = False
    refused = start(client, auth, assessment["id"])
    assert refused.status_code == 403
    fakes.enrolled.add((refused.request.headers and _learner_id(auth), assessment["id"]))
    assert start(client, auth, assessment["id"]).status_code == 201
    fakes.catalog_down = True
    down = start(client, auth, assessment["id"])
    assert down.status_code == 503
    assert down.content_type == "application/problem+json"
    assert start(client, auth, str(uuid.uuid4())).status_code == 404


def _learner_id(auth):
    import jwt

    token = auth("learner")["Authorization"].split()[1]
    return jwt.decode(token, options={"verify_signature": False})["sub"]


@pytest.mark.security
def test_attempt_rights_per_route(client, auth, fakes, clock):
    assessment = create(client, auth)
    attempt = start(client, auth, assessment["id"]).json
    url = f"/api/v1/assessment-attempts/{attempt['id']}"
    assert client.get(url, headers=auth("other_learner")).status_code == 404
    assert client.get(url, headers=auth("other_trainer")).status_code == 404
    assert client.get(url, headers=auth("trainer")).status_code == 200
    assert client.get(url, headers=auth("admin")).status_code == 200
    for who, status in (("other_learner", 404), ("trainer", 403), ("admin", 403)):
        assert (
            client.put(f"{url}/answers", json={"answers": {}}, headers=auth(who)).status_code
            == status
        )
        assert (
            client.post(f"{url}/submit", json={"answers": {}}, headers=auth(who)).status_code
            == status
        )
    assert client.get(url).status_code == 401
    listing = client.get(
        f"/api/v1/assessments/{assessment['id']}/attempts", headers=auth("other_learner")
    ).json
    assert listing["total"] == 0
    assert (
        client.get(
            f"/api/v1/assessments/{assessment['id']}/attempts", headers=auth("trainer")
        ).json["total"]
        == 1
    )
    assert start(client, auth, assessment["id"], who="service").status_code == 403

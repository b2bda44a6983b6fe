"""Learning gain and the L1/L2/L3 summary reports, JSON and CSV."""

import csv as _csv
import io
import uuid

import pytest

CLASS_ID = str(uuid.uuid4())
COURSE_ID = str(uuid.uuid4())
TF = [{"type": "true_false", "text": f"Pernyataan {i}", "answer": True} for i in range(4)]


def make_test(client, auth, kind):
    body = {"title": kind, "kind": kind, "passing_score": 75, "questions": TF}
    return client.post("/api/v1/assessments", json=body, headers=auth("trainer")).json["id"]


def sit(client, auth, assessment_id, who, right):
    attempt = client.post(f"/api/v1/assessments/{assessment_id}/attempts", headers=auth(who)).json
    answers = {q["id"]: i < right for i, q in enumerate(attempt["questions"])}
    result = client.post(
        f"/api/v1/assessment-attempts/{attempt['id']}/submit",
        json={"answers": answers},
        headers=auth(who),
    )
    return result.json["score"]


def complete(client, auth, ids, learner, name=None):
    envelope = {
        "id": str(uuid.uuid4()),
        "type": "enrolment.completed",
        "version": 1,
        "occurred_at": "2026-03-02T09:00:00+00:00",
        "producer": "catalog",
        "aggregate_id": "x",
        "data": {
            "enrolment_id": str(uuid.uuid4()),
            "learner_id": ids[learner],
            "learner_name": name or learner,
            "unit_code": "DISKOMINFO",
            "supervisor_id": ids["supervisor"],
            "course_id": COURSE_ID,
            "course_code": "TIK-101",
            "course_title": "Keamanan Informasi bagi ASN",
            "jp": 12,
            "competencies": [{"code": "TIK-KI", "level": 2}],
            "class_id": CLASS_ID,
            "class_name": "Angkatan 1",
            "trainer_ids": [ids["trainer"]],
            "completed_on": "2026-03-02",
        },
    }
    assert (
        client.post("/internal/events", json=envelope, headers=auth("service")).status_code == 200
    )


def test_learning_gain_and_summary(client, auth, ids, fakes, clock):
    fakes.class_ids, fakes.course_ids = [CLASS_ID], [COURSE_ID]
    fakes.people = {}
    pre, post = make_test(client, auth, "pre_test"), make_test(client, auth, "post_test")
    assert sit(client, auth, pre, "learner", 1) == 25.0
    assert sit(client, auth, post, "learner", 4) == 100.0
    assert sit(client, auth, pre, "other_learner", 2) == 50.0
    assert sit(client, auth, post, "other_learner", 2) == 50.0
    gain = client.get(
        f"/api/v1/reports/learning-gain?pre_test_id={pre}&post_test_id={post}",
        headers=auth("trainer"),
    )
    assert gain.status_code == 200, gain.json
    rows = {r["learner_id"]: r for r in gain.json["learners"]}
    assert (rows[ids["learner"]]["gain"], rows[ids["learner"]]["normalised_gain"]) == (75.0, 1.0)
    assert (rows[ids["other_learner"]]["gain"], rows[ids["other_learner"]]["normalised_gain"]) == (
        0.0,
        0.0,
    )
    [klass] = gain.json["classes"]
    assert klass["class_id"] == CLASS_ID
    assert (klass["pre_avg"], klass["post_avg"], klass["gain_avg"]) == (37.5, 75.0, 37.5)
    assert klass["class_normalised_gain"] == 0.6  # 37.5 / 62.5
    by_class = client.get(
        f"/api/v1/reports/learning-gain?class_id={CLASS_ID}", headers=auth("admin")
    ).json
    assert by_class["overall"]["paired"] == 2
    csv = client.get(
        f"/api/v1/reports/learning-gain?class_id={CLASS_ID}&format=csv", headers=auth("admin")
    )
    assert csv.content_type.startswith("text/csv")
    assert (
        csv.get_data(as_text=True)
        .lstrip("\ufeff")
        .splitlines()[0]
        .startswith("learner_id,pre,post,gain")
    )
    assert (
        client.get(
            f"/api/v1/reports/learning-gain?class_id={CLASS_ID}", headers=auth("other_trainer")
        ).json["learners"]
        == []
    )
    assert (
        client.get("/api/v1/reports/learning-gain?class_id=x", headers=auth("learner")).status_code
        == 403
    )
    assert client.get("/api/v1/reports/learning-gain", headers=auth("admin")).status_code == 422

    complete(client, auth, ids, "learner")
    complete(client, auth, ids, "other_learner")
    survey = client.get("/api/v1/surveys", headers=auth("learner")).json["items"][0]
    ratings = {item["key"]: 4 for item in survey["items"]}
    ratings["trainer_1"] = ratings["trainer_2"] = 5
    client.post(
        f"/api/v1/surveys/{survey['id']}/responses",
        json={"ratings": ratings},
        headers=auth("learner"),
    )
    evaluation = client.get(
        "/api/v1/impact-evaluations?role=supervisor", headers=auth("supervisor")
    ).json["items"][0]
    client.post(
        f"/api/v1/impact-evaluations/{evaluation['id']}/submission",
        headers=auth("supervisor"),
        json={
            "behaviour_ratings": [{"competency_code": "TIK-KI", "rating": 5}],
            "evidence_text": "Menerapkan e-Government",
            "impact_rating": 3,
        },
    )
    for group_by, key in (
        ("course", "TIK-101"),
        ("class", CLASS_ID),
        ("unit", "DISKOMINFO"),
        ("trainer", ids["trainer"]),
    ):
        summary = client.get(
            f"/api/v1/reports/summary?group_by={group_by}", headers=auth("admin")
        ).json
        [row] = summary["items"]
        assert row["key"] == key
        assert row["completions"] == 2 and row["l1_responses"] == 1
        assert (row["l1_trainer"], row["l1_material"], row["l1_overall"]) == (5.0, 4.0, 4.25)
        assert (row["l2_learners_tested"], row["l2_pass_rate"], row["l2_gain_avg"]) == (
            2,
            0.5,
            37.5,
        )
        assert (row["l3_evaluations"], row["l3_done"], row["l3_completion_rate"]) == (2, 1, 0.5)
        assert (row["l3_behaviour_avg"], row["l3_impact_avg"]) == (5.0, 3.0)
    csv = client.get("/api/v1/reports/summary?group_by=unit&format=csv", headers=auth("trainer"))
    lines = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("group_by,key,label,completions") and len(lines) == 2
    assert client.get("/api/v1/reports/summary", headers=auth("other_trainer")).json["items"] == []
    assert client.get("/api/v1/reports/summary", headers=auth("supervisor")).status_code == 403


@pytest.mark.security
def test_a_formula_in_a_learner_name_reaches_the_csv_as_text(client, auth, ids, fakes, clock):
    """A name from personnel (via the completion event) is data, never a spreadsheet formula."""
    fakes.class_ids, fakes.course_ids = [CLASS_ID], [COURSE_ID]
    fakes.people = {}
    pre, post = make_test(client, auth, "pre_test"), make_test(client, auth, "post_test")
    sit(client, auth, pre, "learner", 1)
    sit(client, auth, post, "learner", 4)
    complete(client, auth, ids, "learner", name='=HYPERLINK("http://evil.example","x")')
    csv = client.get(
        f"/api/v1/reports/learning-gain?class_id={CLASS_ID}&format=csv", headers=auth("admin")
    )
    [header, row] = list(_csv.reader(io.StringIO(csv.get_data(as_text=True).lstrip("\ufeff"))))
    name = row[header.index("name")]
    assert name == '\'=HYPERLINK("http://evil.example","x")', name

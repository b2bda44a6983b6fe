"""What leaders read: the overdue reaction surveys of someone in their line (never the
answers) and impact ratings per unit (figures only)."""

from __future__ import annotations

import pytest

from tests.evaluation.test_completion_flow import completion_event, deliver


@pytest.mark.security
def test_overdue_surveys_of_my_line_without_the_answers(client, auth, ids, fakes, clock):
    fakes.people[ids["learner"]] = {"id": ids["learner"], "name": "Nyimas Ayu Lestari"}
    fakes.chains[ids["learner"]] = [{"id": ids["supervisor"]}, {"id": ids["big_boss"]}]
    deliver(client, auth, completion_event(ids))
    deliver(client, auth, completion_event(ids, course_code="TIK-102"))
    mine = client.get("/api/v1/surveys", headers=auth("learner")).json["items"]
    answered = client.post(
        f"/api/v1/surveys/{mine[1]['id']}/responses",
        headers=auth("learner"),
        json={"ratings": {i["key"]: 4 for i in mine[1]["items"]}, "comment": "Rahasia saya"},
    )
    assert answered.status_code in (200, 201), answered.json

    def overdue(who: str, **params):
        query = {"learner_id": ids["learner"], "status": "overdue", **params}
        return client.get("/api/v1/surveys", query_string=query, headers=auth(who))

    assert overdue("supervisor").json["total"] == 0  # sent today: not overdue yet
    clock.advance(days=15)
    for who in ("supervisor", "big_boss"):  # direct and indirect
        [late] = overdue(who).json["items"]
        assert late["id"] == mine[0]["id"] and late["status"] == "pending"
    done = overdue("supervisor", status="done").json["items"]
    assert [d["comment"] for d in done] == [None] and done[0]["ratings"] is None
    assert overdue("other_learner").status_code == 404
    assert overdue("trainer").status_code == 404
    fakes.personnel_down = True
    assert overdue("supervisor").status_code == 503
    assert client.get("/api/v1/surveys", headers=auth("learner")).json["total"] == 2


def test_impact_ratings_per_unit_for_leaders(client, auth, ids, fakes, clock):
    fakes.people[ids["learner"]] = {"id": ids["learner"], "name": "Nyimas Ayu Lestari"}
    deliver(client, auth, completion_event(ids))
    [evaluation] = client.get("/api/v1/impact-evaluations", headers=auth("supervisor")).json[
        "items"
    ]
    form = {"behaviour_ratings": [{"competency_code": "TIK-KI", "rating": 3}],
            "evidence_text": "Diterapkan", "impact_rating": 4}  # fmt: skip
    url = f"/api/v1/impact-evaluations/{evaluation['id']}/submission"
    assert client.post(url, json=form, headers=auth("supervisor")).status_code == 201
    year = clock.now().year
    report = client.get(f"/api/v1/reports/impact-by-unit?year={year}", headers=auth("big_boss"))
    assert report.json["items"] == [
        {"unit_code": "DISKOMINFO", "evaluations": 1, "impact_rating_avg": 4.0,
         "behaviour_avg": 3.0}
    ]  # fmt: skip
    other_year = client.get(
        f"/api/v1/reports/impact-by-unit?year={year - 1}", headers=auth("admin")
    )
    assert other_year.json["items"] == []
    assert client.get("/api/v1/reports/impact-by-unit", headers=auth("learner")).status_code == 403

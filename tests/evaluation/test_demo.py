"""The demo data set loads once and makes the reports show numbers."""

import uuid

NAMESPACE = uuid.UUID("6f1d0d5e-8a51-4a8e-9a34-3c1bb0f0c0de")


def test_demo_data_loads_once_and_reports_show_numbers(app, client, auth, clock):
    runner = app.test_cli_runner()
    assert "loaded" in runner.invoke(args=["seed-demo"]).output
    assert "skipped" in runner.invoke(args=["seed-demo"]).output
    post = str(uuid.uuid5(NAMESPACE, "assessment:post-test-keamanan-informasi"))
    assert client.get(f"/api/v1/assessments/{post}", headers=auth("admin")).json["kind"] == (
        "post_test"
    )
    [row] = client.get("/api/v1/reports/summary?group_by=course", headers=auth("admin")).json[
        "items"
    ]
    assert row["key"] == "TIK-101" and row["completions"] == 5
    assert row["l1_overall"] and row["l2_gain_avg"] and row["l3_done"] == 2
    assert row["l3_overdue"] == 2
    gain = client.get("/api/v1/reports/learning-gain?course_code=TIK-101", headers=auth("admin"))
    assert gain.json["overall"]["paired"] == 5

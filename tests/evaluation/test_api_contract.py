"""What the published OpenAPI promises matches what evaluation sends (found by fuzzing)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest


def test_errors_are_documented_as_the_problem_json_they_are(client):
    spec = client.get("/api/openapi.json").get_json()
    for name in ("DEFAULT_ERROR", "UNPROCESSABLE_ENTITY"):
        assert set(spec["components"]["responses"][name]["content"]) == {"application/problem+json"}
    # RFC 9457 extension members (assessment_id, ...) are allowed.
    assert spec["components"]["schemas"]["Problem"]["additionalProperties"] is True


def test_moments_carry_their_utc_offset(client, auth):
    created = client.post("/api/v1/question-banks", json={"title": "Bank"}, headers=auth("trainer"))
    assert created.status_code == 201, created.get_json()
    bank_id = created.get_json()["id"]
    again = client.get(f"/api/v1/question-banks/{bank_id}", headers=auth("trainer")).get_json()
    for bank in (created.get_json(), again):
        assert datetime.fromisoformat(bank["created_at"]).utcoffset() == timedelta(0)


@pytest.mark.security
def test_nul_in_text_is_refused_and_nothing_is_written(client, auth):
    body = {"title": "Bank\u0000", "description": ""}
    response = client.post("/api/v1/question-banks", json=body, headers=auth("trainer"))
    assert response.status_code == 422 and "title" in response.get_json()["errors"]
    listed = client.get("/api/v1/question-banks", headers=auth("trainer")).get_json()
    assert listed["total"] == 0

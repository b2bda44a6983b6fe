"""What the published OpenAPI promises matches what personnel sends (found by fuzzing)."""

from __future__ import annotations

from datetime import datetime, timedelta


def test_errors_are_documented_as_the_problem_json_they_are(client):
    spec = client.get("/api/openapi.json").get_json()
    for name in ("DEFAULT_ERROR", "UNPROCESSABLE_ENTITY"):
        assert set(spec["components"]["responses"][name]["content"]) == {"application/problem+json"}
    # RFC 9457 extension members (from_person_id, ...) are allowed.
    assert spec["components"]["schemas"]["Problem"]["additionalProperties"] is True
    response = client.post("/api/v1/units", data="{", content_type="application/json")
    assert response.mimetype == "application/problem+json"


def test_moments_carry_their_utc_offset(org):
    created = org.post("/api/v1/people", json={"name": "Tanpa NIP"})
    assert created.status_code == 201, created.get_json()
    again = org.get(f"/api/v1/people/{created.get_json()['id']}").get_json()
    for person in (created.get_json(), again):
        for key in ("created_at", "updated_at"):
            assert datetime.fromisoformat(person[key]).utcoffset() == timedelta(0), person[key]

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


def test_nul_or_lone_surrogate_in_text_is_refused(org):
    for name in ("Dewi\u0000", "Dewi\ud800"):
        response = org.post("/api/v1/people", json={"name": name, "position": "Analis"})
        assert response.status_code == 422, response.get_json()
        assert "name" in response.get_json()["errors"]
    assert org.get("/api/v1/people?q=Dewi").get_json()["total"] == 0


def test_nul_in_text_without_token_is_still_refused_as_unauthenticated(client):
    assert client.post("/api/v1/people", json={"name": "\u0000"}).status_code == 401

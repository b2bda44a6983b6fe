"""What the published OpenAPI promises matches what elearning takes and sends (found by fuzzing)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest


def test_errors_are_documented_as_the_problem_json_they_are(client):
    spec = client.get("/api/openapi.json").get_json()
    for name in ("DEFAULT_ERROR", "UNPROCESSABLE_ENTITY"):
        assert set(spec["components"]["responses"][name]["content"]) == {"application/problem+json"}
    assert spec["components"]["schemas"]["Problem"]["additionalProperties"] is True


def test_upload_is_documented_as_one_multipart_body_with_file_and_title(client):
    spec = client.get("/api/openapi.json").get_json()
    for path in ("/api/v1/modules", "/api/v1/modules/{module_id}/versions"):
        operation = spec["paths"][path]["post"]
        assert "parameters" not in operation or all(
            p["in"] in {"path", "query", "header"} for p in operation["parameters"]
        )
        (content_type,) = operation["requestBody"]["content"]
        assert content_type == "multipart/form-data"
    upload = spec["components"]["schemas"]["Upload"]
    assert set(upload["properties"]) == {"file", "title"} and upload["required"] == ["file"]


def test_upload_without_file_names_the_field(client, as_user):
    response = client.post(
        "/api/v1/modules",
        data={"title": "Tanpa berkas"},
        headers=as_user("trainer"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "file" in response.get_json()["errors"]


def test_upload_with_title_and_moments_with_utc_offset(client, upload, as_user):
    page = b"# Etika Pelayanan\n\nIsi halaman."
    created = upload(page, "etika.md", title="Etika")
    assert created.status_code == 201, created.get_json()
    module = created.get_json()
    assert module["title"] == "Etika"
    again = client.get(f"/api/v1/modules/{module['id']}", headers=as_user("trainer")).get_json()
    for body in (module, again):
        for key in ("created_at", "updated_at"):
            assert datetime.fromisoformat(body[key]).utcoffset() == timedelta(0), body[key]


@pytest.mark.security
def test_nul_in_form_text_is_refused(client, as_user):
    response = client.post(
        "/api/v1/modules",
        data={"title": "Judul\u0000"},
        headers=as_user("trainer"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "title" in response.get_json()["errors"]

"""Every service: health, manifest, OpenAPI, problem+json errors, request ids, auth."""

from __future__ import annotations

import logging

import pytest
from cakap_shared.testing import (
    bearer,
    mint_token,
)


def test_health_live_and_ready(service_app):
    client = service_app.test_client()
    assert client.get("/health/live").status_code == 200
    ready = client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.get_json()["checks"]["database"] == "ok"


def test_ready_is_503_when_the_database_is_unreachable(service_app):
    db = service_app.extensions["sqlalchemy"]
    client = service_app.test_client()
    with service_app.app_context():
        original = db.engines[None]
    from sqlalchemy import create_engine

    bad = create_engine(
        "postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1}
    )
    with service_app.app_context():
        db._app_engines[service_app][None] = bad
    try:
        response = client.get("/health/ready")
        assert response.status_code == 503
        assert response.get_json()["checks"]["database"] == "unavailable"
    finally:
        with service_app.app_context():
            db._app_engines[service_app][None] = original


def test_manifest_names_the_service_and_its_routes(service_app):
    manifest = service_app.test_client().get("/.well-known/service.json").get_json()
    assert manifest["name"] == service_app.config["SERVICE_NAME"]
    assert manifest["version"]
    assert manifest["routes"] and all(r.startswith("/") for r in manifest["routes"])
    assert isinstance(manifest["subscribes"], list)


def test_openapi_document_is_served(service_app):
    doc = service_app.test_client().get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"].startswith("Cakap")


@pytest.mark.security
def test_api_without_token_is_401_problem(service_app):
    response = service_app.test_client().get("/api/v1/_boom")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 401


@pytest.mark.security
def test_unexpected_exception_is_generic_500_with_request_id(service_app, caplog):
    client = service_app.test_client()
    token = mint_token("p1", ["admin"])
    with caplog.at_level(logging.ERROR):
        response = client.get("/api/v1/_boom", headers={**bearer(token), "X-Request-ID": "req-42"})
    assert response.status_code == 500
    body = response.get_json()
    assert "secret internals" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    assert body["request_id"] == "req-42"
    assert "secret internals" in caplog.text  # the trace is in the log only


def test_unknown_route_is_404_problem(service_app):
    response = service_app.test_client().get(
        "/api/v1/does-not-exist", headers=bearer(mint_token("p1", ["admin"]))
    )
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_request_id_is_echoed_or_created(service_app):
    client = service_app.test_client()
    assert (
        client.get("/health/live", headers={"X-Request-ID": "abc-1"}).headers["X-Request-ID"]
        == "abc-1"
    )
    created = client.get("/health/live").headers["X-Request-ID"]
    assert len(created) == 32


def test_request_id_reaches_the_log_lines(service_app, capfd):
    import json

    capfd.readouterr()
    service_app.test_client().get("/api/v1/nothing-here", headers={"X-Request-ID": "trace-me-7"})
    lines = [
        json.loads(line) for line in capfd.readouterr().err.splitlines() if line.startswith("{")
    ]
    access = [r for r in lines if r["logger"] == "cakap.access"]
    assert access and access[-1]["request_id"] == "trace-me-7"
    assert access[-1]["service"] == service_app.config["SERVICE_NAME"]
    assert access[-1]["path"] == "/api/v1/nothing-here" and access[-1]["method"] == "GET"
    assert "upstream" not in access[-1]
    assert access[-1]["status"] == 404


# What each service serves without a token (the gateway lets exactly these through).
EXPECTED_PUBLIC = {
    "personnel": {
        (("POST",), "/api/v1/auth/token"),
        (("GET",), "/.well-known/jwks.json"),
        # Each of these carries its own secret (refresh token, one-time code) or says nothing.
        (("POST",), "/api/v1/auth/refresh"),
        (("POST",), "/api/v1/auth/logout"),
        (("POST",), "/api/v1/auth/activate"),
        (("POST",), "/api/v1/auth/password-reset"),
        (("POST",), "/api/v1/auth/password-reset/confirm"),
    },
    "catalog": set(),
    # The player's commits and navigation carry the launch credential instead of a token.
    "elearning": {
        (("POST", "PUT"), "/api/v1/module-attempts/*/cmi"),
        (("POST",), "/api/v1/module-attempts/*/navigation"),
    },
    "evaluation": {(("GET",), "/api/v1/certificates/*/verification")},
    "notification": set(),
}


def test_manifest_lists_exactly_the_public_routes(service_app):
    name = service_app.config["SERVICE_NAME"]
    manifest = service_app.test_client().get("/.well-known/service.json").get_json()
    public = {(tuple(r["methods"]), r["path"]) for r in manifest["public_routes"]}
    api_public = {route for route in public if route[1].startswith(("/api/", "/.well-known/"))}
    api_public.discard((("POST",), "/api/v1/auth/service-token"))  # blocked at the gateway
    assert api_public == EXPECTED_PUBLIC[name]
    assert not any(path in ("/api/v1/me", "/api/v1/people") for _, path in public)


def test_flatten_errors_drops_only_the_webargs_location():
    from cakap_shared.problems import flatten_errors

    messages = {"json": {"form": ["Must be one of: klasikal."], "items": {"0": {"code": ["No."]}}}}
    assert flatten_errors(messages) == {
        "form": ["Must be one of: klasikal."],
        "items.0.code": ["No."],
    }
    assert flatten_errors({"query": {"page": ["Too small."]}}) == {"page": ["Too small."]}
    assert flatten_errors(["Invalid JSON."]) == {"_body": ["Invalid JSON."]}


@pytest.mark.security
def test_access_logs_mask_the_launch_credential_in_player_paths():
    from cakap_shared.logs import loggable_path

    assert (
        loggable_path("/play/3f2a/eyJhdHRlbXB0Ijo/content/bab1/index.html")
        == "/play/3f2a/***/content/bab1/index.html"
    )
    assert loggable_path("/play/3f2a") == "/play/3f2a"
    assert loggable_path("/api/v1/modules/x") == "/api/v1/modules/x"

"""Own endpoints: liveness, readiness of every service, merged OpenAPI and the docs page."""

from __future__ import annotations

import pytest
from gateway.docs import merge_openapi
from werkzeug.test import Client

PROBLEM = {"type": "object", "properties": {"title": {"type": "string"}}}


def _doc(title: str, paths: dict, schemas: dict) -> dict:
    return {
        "openapi": "3.0.3",
        "info": {"title": title, "version": "v1"},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def _op(summary: str, ref: str) -> dict:
    return {
        "get": {
            "summary": summary,
            "responses": {"200": {"content": {"application/json": {"schema": {"$ref": ref}}}}},
        }
    }


def test_live(client):
    answer = client.get("/health/live")
    assert answer.status_code == 200
    assert answer.json["status"] == "ok"


def test_ready_when_every_service_is_ready(client):
    answer = client.get("/health/ready")
    assert answer.status_code == 200
    assert set(answer.json["services"]) == {"personnel", "catalog", "elearning", "portal"}


def test_not_ready_when_one_service_is_not(client, services):
    services["elearning"].ready_status = 503
    answer = client.get("/health/ready")
    assert answer.status_code == 503
    assert answer.json["services"]["elearning"]["status"] == "unavailable"
    assert answer.json["services"]["catalog"]["status"] == "ok"
    services["elearning"].ready_status = 200
    services["portal"].stop()
    answer = client.get("/health/ready")
    assert answer.status_code == 503
    assert answer.json["services"]["portal"]["status"] == "unreachable"


def test_merged_openapi(fake_service, make_gateway):
    catalog = fake_service(
        "catalog",
        ["/api/v1/courses"],
        openapi=_doc(
            "Cakap catalog",
            {"/api/v1/courses": _op("List courses", "#/components/schemas/Item")},
            {"Problem": PROBLEM, "Item": {"type": "object", "properties": {"code": {}}}},
        ),
    )
    evaluation = fake_service(
        "evaluation",
        ["/api/v1/assessments"],
        openapi=_doc(
            "Cakap evaluation",
            {"/api/v1/assessments": _op("List assessments", "#/components/schemas/Item")},
            {"Problem": PROBLEM, "Item": {"type": "object", "properties": {"score": {}}}},
        ),
    )
    client = Client(make_gateway(catalog, evaluation))
    merged = client.get("/api/openapi.json").json
    assert set(merged["paths"]) == {"/api/v1/courses", "/api/v1/assessments"}
    schemas = merged["components"]["schemas"]
    assert schemas["Problem"] == PROBLEM  # identical: kept once
    assert "code" in schemas["Item"]["properties"]
    assert "score" in schemas["EvaluationItem"]["properties"]  # collision: namespaced
    ref = merged["paths"]["/api/v1/assessments"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]["$ref"]
    assert ref == "#/components/schemas/EvaluationItem"
    assert merged["paths"]["/api/v1/courses"]["get"]["x-service"] == "catalog"
    page = client.get("/api/docs")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "List assessments" in text and "/api/v1/courses" in text
    assert "<script" not in text


@pytest.mark.security
def test_the_public_document_leaves_out_what_the_gateway_blocks(fake_service, make_gateway):
    personnel = fake_service(
        "personnel",
        ["/api/v1/auth", "/internal"],
        openapi=_doc(
            "Cakap personnel",
            {
                "/api/v1/auth/token": _op("Sign in", "#/components/schemas/Item"),
                "/api/v1/auth/service-token": _op("Service token", "#/components/schemas/Item"),
                "/api/v1/auth/service-tokens": _op("Not blocked", "#/components/schemas/Item"),
                "/internal/events": _op("Event inbox", "#/components/schemas/Item"),
            },
            {"Item": {"type": "object"}},
        ),
    )
    client = Client(make_gateway(personnel))
    merged = client.get("/api/openapi.json").json
    assert set(merged["paths"]) == {"/api/v1/auth/token", "/api/v1/auth/service-tokens"}
    page = client.get("/api/docs").get_data(as_text=True)
    assert "Sign in" in page
    assert "/internal" not in page and "/api/v1/auth/service-token<" not in page
    # and the gateway indeed refuses what the document leaves out
    assert client.post("/api/v1/auth/service-token").status_code == 404
    assert client.post("/internal/events").status_code == 404


def test_merge_renames_schemas_that_refer_to_renamed_ones():
    first = _doc(
        "a", {}, {"Item": {"type": "string"}, "Page": {"$ref": "#/components/schemas/Item"}}
    )
    second = _doc(
        "b", {}, {"Item": {"type": "integer"}, "Page": {"$ref": "#/components/schemas/Item"}}
    )
    merged = merge_openapi({"a": first, "b": second})
    schemas = merged["components"]["schemas"]
    assert schemas["BPage"] == {"$ref": "#/components/schemas/BItem"}
    assert schemas["Page"] == {"$ref": "#/components/schemas/Item"}


def test_openapi_lists_services_that_are_down(fake_service, make_gateway):
    up = fake_service("catalog", ["/api/v1/courses"])
    down = fake_service("evaluation", ["/api/v1/assessments"])
    gateway = make_gateway(up, down)
    down.stop()
    merged = Client(gateway).get("/api/openapi.json").json
    assert merged["x-missing-services"] == ["evaluation"]


def test_config_from_environment():
    from gateway.config import GatewayConfig

    config = GatewayConfig.from_env(
        {
            "SERVICE_URLS": "personnel=http://127.0.0.1:8001/, portal=http://127.0.0.1:8080",
            "GATEWAY_CONNECT_TIMEOUT": "0.25",
            "GATEWAY_READ_TIMEOUT": "7",
            "GATEWAY_MANIFEST_TTL": "3",
            "GATEWAY_MAX_BODY": "1000",
            "GATEWAY_BLOCKED_PREFIXES": "/internal/,/admin",
        }
    )
    assert config.service_urls == {
        "personnel": "http://127.0.0.1:8001",
        "portal": "http://127.0.0.1:8080",
    }
    assert config.jwks_url == "http://127.0.0.1:8001/.well-known/jwks.json"
    assert (config.connect_timeout, config.read_timeout, config.manifest_ttl) == (0.25, 7.0, 3.0)
    assert config.max_body == 1000
    assert config.blocked_prefixes == ("/internal", "/admin")
    assert GatewayConfig.from_env({}).service_urls["portal"] == "http://127.0.0.1:8080"

"""Deeply nested JSON is refused with a 400 problem on every JSON endpoint of every
service, login included, instead of a RecursionError (issue 10, item 9)."""

from __future__ import annotations

import json

import pytest
from cakap_shared.json_guard import json_depth
from cakap_shared.testing import bearer, mint_token

pytestmark = pytest.mark.security

DEEP = b"[" * 5000 + b"]" * 5000
DEEP_OBJECT = b'{"a":' * 5000 + b"1" + b"}" * 5000


def _refused(response) -> None:
    assert response.status_code == 400, response.get_data(as_text=True)[:200]
    assert response.mimetype == "application/problem+json"
    assert "deeper than 64 levels" in response.get_json()["detail"]
    assert response.get_json()["code"] == "json-too-deep"


@pytest.mark.parametrize(
    ("body", "mimetype"),
    [
        (DEEP, "application/json"),
        (DEEP_OBJECT, "application/json"),
        (DEEP, "application/merge-patch+json"),
    ],
)
def test_every_service_refuses_deep_json_on_its_event_inbox(service_app, body, mimetype):
    name = service_app.config["SERVICE_NAME"]
    token = mint_token(f"service:{name}", ["service"], audience=name)
    response = service_app.test_client().post(
        "/internal/events", data=body, content_type=mimetype, headers=bearer(token)
    )
    _refused(response)


def test_every_service_refuses_deep_json_on_its_api(service_app):
    """An authenticated API call of each service, and the public ones (login, player)."""
    name = service_app.config["SERVICE_NAME"]
    client = service_app.test_client()
    admin = bearer(mint_token("a0000000-0000-4000-8000-000000000001", ["admin"]))
    calls = {
        "personnel": [("post", "/api/v1/auth/token", {}), ("post", "/api/v1/units", admin)],
        "catalog": [("post", "/api/v1/courses", admin)],
        "elearning": [("put", "/api/v1/module-attempts/x/cmi", {})],
        "evaluation": [("post", "/api/v1/question-banks", admin)],
        "notification": [("put", "/api/v1/notification-preferences", admin)],
        "planning": [("post", "/api/v1/plans", admin)],
    }[name]
    for method, path, headers in calls:
        response = getattr(client, method)(
            path, data=DEEP, content_type="application/json", headers=headers
        )
        _refused(response)


def test_shallow_nesting_reaches_the_endpoint(service_app):
    name = service_app.config["SERVICE_NAME"]
    token = mint_token(f"service:{name}", ["service"], audience=name)
    shallow = json.dumps({"id": [[[["x"]]]], "type": {"a": {"b": [1]}}})
    answer = service_app.test_client().post(
        "/internal/events", data=shallow, content_type="application/json", headers=bearer(token)
    )
    assert answer.status_code == 422  # the envelope check's answer, not the depth guard's


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        (b"1", 0),
        (b"[]", 1),
        (b'{"a": [1, {"b": []}]}', 4),
        (b'["[[[[[[", "\\"[[[["]', 1),  # brackets inside strings, escaped quotes
        (b"[" * 64 + b"]" * 64, 64),
        (b"[" * 65 + b"]" * 65, 65),
        (b"[]" * 1000, 1),
    ],
)
def test_json_depth(text, depth):
    assert json_depth(text) == depth

"""Calls to catalog and personnel, behind small replaceable functions.

`app.extensions["evaluation_clients"]` holds a `Clients` whose attributes are plain
callables; tests swap them for fakes, production uses ServiceClient. Every failure to
get an answer becomes `ServiceUnavailable`, so authorization never fails open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cakap_shared.http import ServiceClient, ServiceUnavailable, quoted_path
from cakap_shared.problems import CakapError
from flask import Flask, current_app

# (learner_id, assessment_id) -> {"allowed": bool, "course_ids": [...], "class_ids": [...]}
AccessCheck = Callable[[str, str], dict[str, Any]]
# person_id -> the person document, or None when personnel does not know them
PersonLookup = Callable[[str], dict[str, Any] | None]
# person_id -> [{"id", "name"}], direct supervisor first
SupervisorsLookup = Callable[[str], list[dict[str, Any]]]
# (learner_id, body, caller's bearer token) -> (status, json body)
AppreciationSender = Callable[[str, dict[str, Any], str], tuple[int, Any]]


def _client(name: str) -> ServiceClient:
    base = current_app.config["SERVICE_URLS"].get(name)
    if not base:
        raise ServiceUnavailable(f"{name}: no URL configured")
    tokens = current_app.extensions.get("cakap_service_tokens")
    cache = current_app.extensions.setdefault("evaluation_http", {})
    if name not in cache:
        cache[name] = ServiceClient(base, name, tokens)
    return cache[name]


def _get(name: str, path: str, **params: Any) -> Any:
    try:
        return _client(name).get_json(path, **params)
    except ServiceUnavailable:
        raise
    except Exception as exc:  # e.g. the service token could not be fetched
        raise ServiceUnavailable(f"{name}: {exc.__class__.__name__}") from exc


def catalog_access(learner_id: str, assessment_id: str) -> dict[str, Any]:
    """Ask catalog whether the learner is enrolled in a course using the assessment."""
    body = _get(
        "catalog", "/api/v1/learning-access", learner_id=learner_id, assessment_id=assessment_id
    )
    if not isinstance(body, dict) or not isinstance(body.get("allowed"), bool):
        raise ServiceUnavailable("catalog: unusable learning-access answer")
    return body


def personnel_person(person_id: str) -> dict[str, Any] | None:
    """The person as personnel stores them (service tokens see everyone)."""
    body = _get("personnel", quoted_path("/api/v1/people/{}", person_id))
    if body is not None and not isinstance(body, dict):
        raise ServiceUnavailable("personnel: unusable person answer")
    return body


def personnel_supervisors(person_id: str) -> list[dict[str, Any]]:
    """The chain of supervisors above a person, direct supervisor first."""
    body = _get("personnel", quoted_path("/api/v1/people/{}/supervisors", person_id))
    if body is None:
        return []
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise ServiceUnavailable("personnel: unusable supervisors answer")
    return body["items"]


def personnel_appreciation(learner_id: str, body: dict[str, Any], bearer: str) -> tuple[int, Any]:
    """Record an apresiasi in personnel as the supervisor (their own token, not ours)."""
    client = ServiceClient(_client("personnel").base_url, "personnel", lambda _aud: bearer)
    response = client.post_json(quoted_path("/api/v1/people/{}/appreciations", learner_id), body)
    try:
        payload = response.json()
    except ValueError:
        payload = None
    return response.status_code, payload


@dataclass
class Clients:
    """The outbound calls evaluation makes; replace attributes in tests."""

    access: AccessCheck = catalog_access
    person: PersonLookup = personnel_person
    supervisors: SupervisorsLookup = personnel_supervisors
    appreciation: AppreciationSender = personnel_appreciation


def init_clients(app: Flask) -> None:
    """Install the production clients (tests overwrite attributes afterwards)."""
    app.extensions["evaluation_clients"] = Clients()


def clients() -> Clients:
    """The clients of the current app."""
    return current_app.extensions["evaluation_clients"]


def unavailable(exc: ServiceUnavailable) -> CakapError:
    """503 problem for a peer that did not answer: we refuse rather than guess."""
    return CakapError(503, f"A service this request needs is unavailable ({exc}). Try again.")

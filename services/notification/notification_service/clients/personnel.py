"""Calls to personnel: the person's name and e-mail when no person.updated told us yet."""

from __future__ import annotations

from typing import Any

from cakap_shared.http import ServiceClient, ServiceUnavailable, path_segment, quoted_path
from flask import current_app


def _client() -> ServiceClient:
    base = current_app.config["SERVICE_URLS"].get("personnel")
    if not base:
        raise ServiceUnavailable("personnel: no URL configured")
    cache = current_app.extensions.setdefault("notification_http", {})
    if "personnel" not in cache:
        tokens = current_app.extensions.get("cakap_service_tokens")
        cache["personnel"] = ServiceClient(base, "personnel", tokens)
    return cache["personnel"]


def person(person_id: str) -> dict[str, Any] | None:
    """{name, email, unit_code, supervisor_id, status} of a person, None when unknown.

    Raises ServiceUnavailable when personnel cannot answer (the caller retries later).
    """
    try:
        body = _client().get_json(quoted_path("/api/v1/people/{}", person_id))
    except ServiceUnavailable:
        raise
    except Exception as exc:  # e.g. no service token now
        raise ServiceUnavailable(f"personnel: {exc.__class__.__name__}") from exc
    if body is None:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("name"), str):
        raise ServiceUnavailable("personnel: unusable person answer")
    return {
        "name": body["name"],
        "email": body.get("email") if isinstance(body.get("email"), str) else None,
        "unit_code": body.get("unit_code"),
        "supervisor_id": body.get("supervisor_id"),
        "status": body.get("status"),
    }


class MailGone(Exception):
    """Personnel no longer wants this account mail sent (expired, used up, account changed)."""


def account_mail_code(mail_id: str) -> dict[str, Any]:
    """A fresh code for an activation or reset mail: {code, expires_at, username, name, link}.

    Raises MailGone when personnel answers 404/410, ServiceUnavailable otherwise (retry later).
    """
    answer = _client().post_json(f"/api/v1/account-mails/{path_segment(mail_id)}/code", {})
    if answer.status_code in (404, 410):
        raise MailGone(f"personnel answered {answer.status_code}")
    if answer.status_code != 201:
        raise ServiceUnavailable(f"personnel answered {answer.status_code}")
    body = answer.json()
    if not isinstance(body, dict) or not all(
        isinstance(body.get(name), str) for name in ("code", "expires_at", "username", "link")
    ):
        raise ServiceUnavailable("personnel: unusable account mail answer")
    return body


def _body(path: str, **params: Any) -> Any:
    try:
        return _client().get_json(path, **params)
    except ServiceUnavailable:
        raise
    except Exception as exc:  # e.g. no service token now
        raise ServiceUnavailable(f"personnel: {exc.__class__.__name__}") from exc


def supervisor_ids(person_id: str) -> list[str] | None:
    """Ids of everyone above the person (direct supervisor first); None when unknown."""
    body = _body(quoted_path("/api/v1/people/{}/supervisors", person_id))
    if body is None:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise ServiceUnavailable("personnel: unusable supervisors answer")
    return [str(p["id"]) for p in body["items"] if isinstance(p, dict) and p.get("id")]


def jp_summary(person_id: str) -> dict[str, int] | None:
    """{year, earned, target, shortfall} of the person this year; None when unknown."""
    body = _body(quoted_path("/api/v1/people/{}/jp", person_id))
    if body is None:
        return None
    try:
        return {k: int(body[k]) for k in ("year", "earned", "target", "shortfall")}
    except (KeyError, TypeError, ValueError):
        raise ServiceUnavailable("personnel: unusable JP answer") from None


def unit_exists(code: str) -> bool:
    """Whether personnel knows the unit."""
    return _body(quoted_path("/api/v1/units/{}", code)) is not None


def people_in(unit_code: str | None, page: int) -> dict[str, Any]:
    """One page of active people: everyone, or a unit with its sub-units."""
    params: dict[str, Any] = {"page": page, "per_page": 100, "status": "active"}
    if unit_code:
        params.update(unit_code=unit_code, include_subunits="true")
    body = _body("/api/v1/people", **params)
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise ServiceUnavailable("personnel: unusable people answer")
    return body

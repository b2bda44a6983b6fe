"""What catalog reads from personnel over HTTP (its own small view of the answers)."""

from __future__ import annotations

from typing import Any

from cakap_shared.http import ServiceClient, ServiceUnavailable, quoted_path
from flask import current_app


def client() -> ServiceClient:
    """The personnel client, made once per app."""
    client = current_app.extensions.get("catalog_personnel_client")
    if client is None:
        url = current_app.config["SERVICE_URLS"].get("personnel")
        if not url:
            raise ServiceUnavailable("personnel: no URL configured")
        client = ServiceClient(url, "personnel", current_app.extensions.get("cakap_service_tokens"))
        current_app.extensions["catalog_personnel_client"] = client
    return client


def _items(answer: Any) -> list[dict[str, Any]]:
    if answer is None:
        return []
    if not isinstance(answer, dict) or not isinstance(answer.get("items"), list):
        raise ServiceUnavailable("personnel: unexpected answer")
    return [i for i in answer["items"] if isinstance(i, dict)]


def competency_gaps(person_id: str) -> list[dict[str, Any]] | None:
    """[{code, required, current, gap}] of the person; None when personnel knows no such person."""
    answer = client().get_json(quoted_path("/api/v1/people/{}/competency-gaps", person_id))
    if answer is None:
        return None
    gaps = []
    for item in _items(answer):
        try:
            gaps.append(
                {
                    "code": str(item["code"]),
                    "required": int(item["required"]),
                    "current": int(item.get("current") or 0),
                    "gap": int(item["gap"]),
                }
            )
        except (KeyError, TypeError, ValueError):
            continue
    return gaps


def supervisor_ids(person_id: str) -> list[str]:
    """Ids of the person's supervisors, direct one first."""
    answer = client().get_json(quoted_path("/api/v1/people/{}/supervisors", person_id))
    return [str(i.get("id")) for i in _items(answer)]

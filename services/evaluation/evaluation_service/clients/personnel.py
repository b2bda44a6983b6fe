"""What evaluation reads from personnel (people, supervisor chains) and records there."""

from __future__ import annotations

from typing import Any

from cakap_shared.http import ServiceClient, ServiceUnavailable, quoted_path

from ._peer import get_json, peer


def person(person_id: str) -> dict[str, Any] | None:
    """The person as personnel stores them (service tokens see everyone)."""
    body = get_json("personnel", quoted_path("/api/v1/people/{}", person_id))
    if body is not None and not isinstance(body, dict):
        raise ServiceUnavailable("personnel: unusable person answer")
    return body


def supervisors(person_id: str) -> list[dict[str, Any]]:
    """The chain of supervisors above a person, direct supervisor first."""
    body = get_json("personnel", quoted_path("/api/v1/people/{}/supervisors", person_id))
    if body is None:
        return []
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise ServiceUnavailable("personnel: unusable supervisors answer")
    return body["items"]


def appreciation(learner_id: str, body: dict[str, Any], bearer: str) -> tuple[int, Any]:
    """Record an apresiasi in personnel as the supervisor (their own token, not ours)."""
    client = ServiceClient(peer("personnel").base_url, "personnel", lambda _aud: bearer)
    response = client.post_json(quoted_path("/api/v1/people/{}/appreciations", learner_id), body)
    try:
        payload = response.json()
    except ValueError:
        payload = None
    return response.status_code, payload

"""What planning reads from and asks of catalog: classes of a year, planned enrolment requests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from cakap_shared.http import ServiceUnavailable

from ._peer import peer

PAGE = 100
BATCH = 500


@dataclass(frozen=True)
class ClassOffer:
    """Planning's view of a class (the few fields it reads)."""

    id: str
    name: str
    course_code: str
    course_title: str
    course_status: str
    starts_on: date
    ends_on: date
    enrolment_closes_on: date
    seats_left: int
    cost: int
    jp: int
    levels: dict[str, int]


def classes_of_year(year: int) -> list[ClassOffer]:
    """Every class starting in `year`, of any course state (planning filters)."""
    offers: list[ClassOffer] = []
    page = 1
    while True:
        answer = peer("catalog").get_json("/api/v1/classes", year=year, page=page, per_page=PAGE)
        if not isinstance(answer, dict) or not isinstance(answer.get("items"), list):
            raise ServiceUnavailable("catalog: unexpected classes answer")
        offers.extend(_offer(item) for item in answer["items"])
        if not answer["items"] or page * PAGE >= int(answer.get("total") or 0):
            return offers
        page += 1


def _offer(item: dict[str, Any]) -> ClassOffer:
    try:
        return ClassOffer(
            id=str(item["id"]),
            name=str(item.get("name") or ""),
            course_code=str(item["course_code"]),
            course_title=str(item.get("course_title") or ""),
            course_status=str(item["course_status"]),
            starts_on=date.fromisoformat(item["starts_on"]),
            ends_on=date.fromisoformat(item["ends_on"]),
            enrolment_closes_on=date.fromisoformat(item["enrolment_closes_on"]),
            seats_left=int(item["seats_left"]),
            cost=int(item["cost_per_participant"]),
            jp=int(item["jp"]),
            levels={str(c["code"]): int(c["level"]) for c in item.get("competencies") or []},
        )
    except (KeyError, TypeError, ValueError) as err:
        raise ServiceUnavailable(f"catalog: unexpected class ({err})") from None


def request_planned(reference: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ask catalog for enrolment requests on the learners' behalf; its answer per item."""
    results: list[dict[str, Any]] = []
    for start in range(0, len(items), BATCH):
        response = peer("catalog").post_json(
            "/api/v1/enrolments/planned",
            {"reference": reference, "items": items[start : start + BATCH]},
        )
        if response.status_code != 200:
            raise ServiceUnavailable(f"catalog answered {response.status_code}")
        body = response.json()
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise ServiceUnavailable("catalog: unexpected planned-requests answer")
        results.extend(body["items"])
    return results

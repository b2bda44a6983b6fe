"""What planning reads from personnel: people's gaps, JP and appointment, page by page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cakap_shared.http import ServiceUnavailable, quoted_path

from ._peer import peer

PAGE = 100


@dataclass(frozen=True)
class PersonNeeds:
    """Planning's own view of one person (the few fields it reads)."""

    id: str
    name: str
    nip: str | None
    unit_code: str | None
    supervisor_id: str | None
    position: str | None
    position_type: str | None
    appointed: str | None  # YYYY-MM
    jp_target: int
    jp_earned: int
    gaps: dict[str, tuple[int, int]]  # code -> (current, required)


def unit_exists(unit_code: str) -> bool:
    """Whether personnel knows the unit."""
    return peer("personnel").get_json(quoted_path("/api/v1/units/{}", unit_code)) is not None


def development_needs(unit_code: str | None, year: int) -> list[PersonNeeds]:
    """Every active ASN of the unit and its sub-units (None: the city) with their needs."""
    people: list[PersonNeeds] = []
    page = 1
    while True:
        params: dict[str, Any] = {"year": year, "page": page, "per_page": PAGE}
        if unit_code:
            params["unit_code"] = unit_code
        answer = peer("personnel").get_json("/api/v1/development-needs", **params)
        if not isinstance(answer, dict) or not isinstance(answer.get("items"), list):
            raise ServiceUnavailable("personnel: unexpected development-needs answer")
        for item in answer["items"]:
            people.append(_person(item))
        if not answer["items"] or page * PAGE >= int(answer.get("total") or 0):
            return people
        page += 1


def _person(item: dict[str, Any]) -> PersonNeeds:
    try:
        return PersonNeeds(
            id=str(item["id"]),
            name=str(item.get("name") or ""),
            nip=item.get("nip"),
            unit_code=item.get("unit_code"),
            supervisor_id=item.get("supervisor_id"),
            position=item.get("position"),
            position_type=item.get("position_type"),
            appointed=item.get("appointed"),
            jp_target=int(item["jp_target"]),
            jp_earned=int(item["jp_earned"]),
            gaps={
                str(g["code"]): (int(g["current"]), int(g["required"]))
                for g in item.get("gaps") or []
                if int(g["required"]) > int(g["current"])
            },
        )
    except (KeyError, TypeError, ValueError) as err:
        raise ServiceUnavailable(f"personnel: unexpected person ({err})") from None

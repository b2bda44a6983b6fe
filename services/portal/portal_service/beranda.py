"""The role parts of the beranda: what a trainer, an admin and a supervisor see first.

Each role names its fetches (`*_fetches`) and builds its cards from what they loaded
(`*_parts`): the page asks every role's fetches at once (load_parts), and one failing
service empties one card, not the page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .auth import User, api_get
from .pages import items_of

Fetches = dict[str, Callable[[], Any]]
Loaded = dict[str, tuple[Any, str | None]]

# The beranda lists a few of each; the full lists live on their own pages or in the API.
HOME_LIST = 5
# Top-level units (OPD) the admin's compliance card lists, largest shortfall first.
COMPLIANCE_UNITS = 10


def _total(data: Any) -> int:
    """The list answer's `total`, else the number of its items."""
    if isinstance(data, dict) and isinstance(data.get("total"), int):
        return data["total"]
    return len(items_of(data))


def trainer_fetches(user: User) -> Fetches:
    """My modules, my assessments and the classes I teach."""
    return {
        "modules": lambda: api_get("/api/v1/modules", params={"per_page": HOME_LIST}),
        "assessments": lambda: api_get("/api/v1/assessments", params={"per_page": HOME_LIST}),
        "classes": lambda: api_get(
            "/api/v1/classes", params={"trainer_id": user.id, "per_page": HOME_LIST}
        ),
    }


def trainer_parts(loaded: Loaded) -> dict[str, Any]:
    """The trainer's cards from what trainer_fetches loaded."""
    parts: dict[str, Any] = {}
    for name in ("modules", "assessments", "classes"):
        data, error = loaded[name]
        parts.update({name: items_of(data), f"{name}_total": _total(data), f"{name}_error": error})
    return parts


def admin_fetches() -> Fetches:
    """JP compliance of the top-level units, largest shortfall first, and the evaluation
    summary per course."""

    def compliance() -> list[dict[str, Any]]:
        # One report of every unit (sub-units counted in their parents), not a call per unit.
        rows = items_of(api_get("/api/v1/jp-compliance"))
        top = [row for row in rows if not row.get("parent_code")][:COMPLIANCE_UNITS]
        return [
            {
                "code": row.get("unit_code"),
                "name": row.get("name") or row.get("unit_code"),
                "people": row.get("people"),
                "below_target": row.get("below_target"),
            }
            for row in top
        ]

    return {
        "compliance": compliance,
        "summary": lambda: api_get("/api/v1/reports/summary", params={"group_by": "course"}),
    }


def admin_parts(loaded: Loaded) -> dict[str, Any]:
    """The admin's cards from what admin_fetches loaded."""
    units, units_error = loaded["compliance"]
    summary, summary_error = loaded["summary"]
    return {
        "compliance": units or [],
        "compliance_error": units_error,
        "summary": items_of(summary)[: HOME_LIST * 2],
        "summary_error": summary_error,
    }


def supervisor_fetches(user: User) -> Fetches:
    """How many requests wait for my decision and how many impact evaluations are due."""

    def waiting() -> int:
        data = api_get(
            "/api/v1/enrolments", params={"scope": "team", "status": "requested", "per_page": 100}
        )
        # My own requests are my supervisor's to approve, not mine.
        return len([e for e in items_of(data) if str(e.get("learner_id")) != user.id])

    def evaluations(status: str) -> Callable[[], int]:
        return lambda: _total(
            api_get("/api/v1/impact-evaluations", params={"status": status, "per_page": 1})
        )

    return {
        "approvals": waiting,
        "impact_due": evaluations("due"),
        "impact_overdue": evaluations("overdue"),
    }


def supervisor_parts(loaded: Loaded) -> dict[str, Any]:
    """The supervisor's cards from what supervisor_fetches loaded."""
    approvals, approvals_error = loaded["approvals"]
    due, due_error = loaded["impact_due"]
    overdue, overdue_error = loaded["impact_overdue"]
    # Overdue evaluations are still to be done: the count includes them, and says how many.
    counted = due is not None and overdue is not None
    return {
        "approvals_waiting": approvals,
        "approvals_error": approvals_error,
        "impact_due": due + overdue if counted else None,
        "impact_overdue": overdue if counted else None,
        "impact_due_error": due_error or overdue_error,
    }

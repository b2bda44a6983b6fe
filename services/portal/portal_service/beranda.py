"""The role parts of the beranda: what a trainer, an admin and a supervisor see first.

Each part loads on its own (load_part): one failing service empties one card, not the page.
"""

from __future__ import annotations

from typing import Any

from .auth import User, api_get
from .gateway import path
from .pages import items_of, load_part

# The beranda lists a few of each; the full lists live on their own pages or in the API.
HOME_LIST = 5
# Compliance is asked per top-level unit (OPD): a sane upper bound of calls per page.
COMPLIANCE_UNITS = 10


def _total(data: Any) -> int:
    """The list answer's `total`, else the number of its items."""
    if isinstance(data, dict) and isinstance(data.get("total"), int):
        return data["total"]
    return len(items_of(data))


def trainer_parts(user: User) -> dict[str, Any]:
    """My modules, my assessments and the classes I teach."""
    modules, modules_error = load_part(
        lambda: api_get("/api/v1/modules", params={"per_page": HOME_LIST})
    )
    assessments, assessments_error = load_part(
        lambda: api_get("/api/v1/assessments", params={"per_page": HOME_LIST})
    )
    classes, classes_error = load_part(
        lambda: api_get("/api/v1/classes", params={"trainer_id": user.id, "per_page": HOME_LIST})
    )
    return {
        "modules": items_of(modules),
        "modules_total": _total(modules),
        "modules_error": modules_error,
        "assessments": items_of(assessments),
        "assessments_total": _total(assessments),
        "assessments_error": assessments_error,
        "classes": items_of(classes),
        "classes_total": _total(classes),
        "classes_error": classes_error,
    }


def admin_parts() -> dict[str, Any]:
    """JP compliance per top-level unit and the evaluation summary per course."""

    def compliance() -> list[dict[str, Any]]:
        rows = []
        for unit in items_of(api_get("/api/v1/units"))[:COMPLIANCE_UNITS]:
            code = str(unit.get("code") or "")
            if not code:
                continue
            report, _error = load_part(
                api_get, path("/api/v1/units/{}/compliance", code), params={"per_page": 1}
            )
            report = report if isinstance(report, dict) else {}
            rows.append(
                {
                    "code": code,
                    "name": unit.get("name") or code,
                    "people": report.get("people"),
                    "below_target": report.get("below_target"),
                }
            )
        return rows

    units, units_error = load_part(compliance)
    summary, summary_error = load_part(
        lambda: api_get("/api/v1/reports/summary", params={"group_by": "course"})
    )
    return {
        "compliance": units or [],
        "compliance_error": units_error,
        "summary": items_of(summary)[: HOME_LIST * 2],
        "summary_error": summary_error,
    }


def supervisor_parts(user: User) -> dict[str, Any]:
    """How many requests wait for my decision and how many impact evaluations are due."""

    def waiting() -> int:
        data = api_get(
            "/api/v1/enrolments", params={"scope": "team", "status": "requested", "per_page": 100}
        )
        # My own requests are my supervisor's to approve, not mine.
        return len([e for e in items_of(data) if str(e.get("learner_id")) != user.id])

    approvals, approvals_error = load_part(waiting)

    def evaluations(status: str) -> int:
        return _total(
            api_get("/api/v1/impact-evaluations", params={"status": status, "per_page": 1})
        )

    # Overdue evaluations are still to be done: the count includes them, and says how many.
    counts, due_error = load_part(lambda: (evaluations("due"), evaluations("overdue")))
    return {
        "approvals_waiting": approvals,
        "approvals_error": approvals_error,
        "impact_due": sum(counts) if counts is not None else None,
        "impact_overdue": counts[1] if counts is not None else None,
        "impact_due_error": due_error,
    }

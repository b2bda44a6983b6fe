"""A class's roster with each learner's progress per module and test, and its learning gain."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from ..auth import api_get
from ..gateway import ApiError, path
from ..pages import load_part
from . import api, messages

STATUS_LABELS = {
    "not_started": lambda: _("Belum mulai"),
    "in_progress": lambda: _("Sedang berjalan"),
    "completed": lambda: _("Selesai"),
    "passed": lambda: _("Lulus"),
    "failed": lambda: _("Tidak lulus"),
    "unknown": lambda: _("Tidak tersedia"),
}


def label(status: str) -> str:
    """The Indonesian word for a progress status."""
    return STATUS_LABELS.get(status, STATUS_LABELS["unknown"])()


def _module_status(item: dict[str, Any] | None) -> str:
    if not item or not item.get("started"):
        return "not_started"
    return "completed" if item.get("completed") else "in_progress"


def _test_status(attempts: list[dict[str, Any]]) -> str:
    if not attempts:
        return "not_started"
    closed = [a for a in attempts if a.get("status") != "open"]
    if any(a.get("passed") for a in closed):
        return "passed"
    if any(a.get("status") == "open" for a in attempts) or any(
        a.get("pending_review") for a in closed
    ):
        return "in_progress"
    return "failed"


def _module_columns(course: dict[str, Any], class_id: str) -> list[dict[str, Any]]:
    columns = []
    for module_id in course.get("module_ids") or []:
        data, error = load_part(
            api_get, path("/api/v1/modules/{}/progress", module_id), params={"class_id": class_id}
        )
        title, _t = load_part(api_get, path("/api/v1/modules/{}", module_id))
        by_learner = {str(i.get("learner_id")): i for i in (data or {}).get("items") or []}
        columns.append(
            {
                "title": (title or {}).get("title") or _("Modul"),
                "status": lambda learner, b=by_learner, e=error: (
                    "unknown" if e else _module_status(b.get(learner))
                ),
            }
        )
    return columns


def _test_columns(course: dict[str, Any]) -> list[dict[str, Any]]:
    columns = []
    for key, title in (("pre_test_id", _("Tes awal")), ("post_test_id", _("Tes akhir"))):
        test_id = course.get(key)
        if not test_id:
            continue
        attempts, error = load_part(api.attempts, test_id)
        by_learner: dict[str, list[dict[str, Any]]] = {}
        for attempt in attempts or []:
            by_learner.setdefault(str(attempt.get("learner_id")), []).append(attempt)
        columns.append(
            {
                "title": title,
                "status": lambda learner, b=by_learner, e=error: (
                    "unknown" if e else _test_status(b.get(learner, []))
                ),
            }
        )
    return columns


def class_progress(class_id: str) -> dict[str, Any]:
    """The class, its course, and one row per learner with a status per module and test."""
    klass = api.taught_class(class_id)
    course = api.call("GET", path("/api/v1/courses/{}", klass["course_id"])).data
    roster = api.all_pages(path("/api/v1/classes/{}/roster", class_id), limit=5)
    columns = _module_columns(course, class_id) + _test_columns(course)
    rows = []
    for entry in roster:
        learner = str(entry.get("learner_id"))
        rows.append(
            {
                "entry": entry,
                "cells": [column["status"](learner) for column in columns],
            }
        )
    gain, gain_error = load_part(
        lambda: api.call("GET", "/api/v1/reports/learning-gain", params={"class_id": class_id}).data
    )
    return {
        "klass": klass,
        "course": course,
        "columns": [c["title"] for c in columns],
        "rows": rows,
        "gain": gain or {},
        "gain_error": gain_error,
    }


def export_rows(progress: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The roster, progress and learning gain as one table for CSV/XLSX."""
    gains = {str(g.get("learner_id")): g for g in progress["gain"].get("learners") or []}
    header = [
        _("Nama"),
        _("Unit"),
        _("Status pendaftaran"),
        *progress["columns"],
        _("Nilai tes awal"),
        _("Nilai tes akhir"),
        _("Peningkatan"),
        _("Peningkatan ternormalisasi"),
    ]
    rows = []
    for row in progress["rows"]:
        entry = row["entry"]
        gain = gains.get(str(entry.get("learner_id")), {})
        rows.append(
            [
                entry.get("learner_name"),
                entry.get("unit_code"),
                entry.get("status"),
                *[label(s) for s in row["cells"]],
                gain.get("pre"),
                gain.get("post"),
                gain.get("gain"),
                gain.get("normalised_gain"),
            ]
        )
    return header, rows


def attendance_sheet(class_id: str) -> dict[str, Any]:
    """The class and catalog's attendance sheet (session days, rule, standings)."""
    klass = api.taught_class(class_id)
    sheet = api.call("GET", path("/api/v1/classes/{}/attendance", class_id)).data
    return {"klass": klass, "sheet": sheet}


def save_attendance(class_id: str, form: Any, today: str) -> tuple[int, list[str]]:
    """PUT each past session day's present list from the grid; returns (saved, problems)."""
    sheet = api.call("GET", path("/api/v1/classes/{}/attendance", class_id)).data
    enrolled = {
        str(row["enrolment_id"])
        for row in sheet.get("learners") or []
        if row["status"] == "enrolled"
    }
    saved, problems = 0, []
    for session in sheet.get("sessions") or []:
        day = str(session.get("day"))
        if day > today:
            continue
        present = [e for e in form.getlist(f"hadir-{day}") if e in enrolled]
        try:
            api.call(
                "PUT",
                path("/api/v1/classes/{}/sessions/{}/attendance", class_id, day),
                json={"present": present},
            )
            saved += 1
        except ApiError as error:
            problems.append(f"{day}: {messages.attendance_problem(error)}")
    return saved, problems


def save_day(class_id: str, day: str, present: list[str]) -> None:
    """PUT one session day's present list (catalog checks the day and every enrolment)."""
    api.call(
        "PUT",
        path("/api/v1/classes/{}/sessions/{}/attendance", class_id, day),
        json={"present": present},
    )

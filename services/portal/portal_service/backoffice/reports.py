"""Reports: JP compliance per unit with drill-down, L1/L2/L3 evaluation, completions and
spending over time. Each is a page with a chart and the same rows as CSV and XLSX, written
by cakap_shared.tabular so a cell can never run as a spreadsheet formula."""

from __future__ import annotations

from typing import Any

from cakap_shared.tabular import csv_response, xlsx_response
from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..auth import api_get, roles_required
from ..forms import page_number
from ..gateway import path
from ..pages import items_of, load_part, pagination
from . import bp
from .people import this_year

# The API allows 100 people a page; an export reads at most this many pages.
EXPORT_PAGES = 100
GROUPS = {
    "course": _l("Pelatihan"),
    "class": _l("Kelas"),
    "unit": _l("Unit"),
    "trainer": _l("Pengajar"),
}


def _year() -> int:
    text = request.args.get("year", "")
    return int(text) if text.isdigit() and 2000 <= int(text) <= 2100 else this_year()


def _file(fmt: str, name: str, header: list[str], rows: list[list[Any]], sheet: str):
    if fmt == "xlsx":
        return xlsx_response(f"{name}.xlsx", header, rows, sheet=sheet)
    return csv_response(f"{name}.csv", header, rows)


@bp.get("/laporan")
@roles_required("admin")
def reports():
    """The list of reports."""
    return render_template("admin/reports.html", year=this_year())


# ---- JP compliance ----

COMPLIANCE_HEADER = ["unit_code", "unit", "people", "below_target", "target_jp", "earned_jp",
                     "shortfall_jp", "compliance_rate"]  # fmt: skip


def _compliance(year: int) -> tuple[list[dict[str, Any]], str | None]:
    data, error = load_part(lambda: api_get("/api/v1/jp-compliance", params={"year": year}))
    return items_of(data), error


def _compliance_row(r: dict[str, Any]) -> list[Any]:
    keys = ("unit_code", "name", "people", "below_target", "target", "earned", "shortfall",
            "compliance_rate")  # fmt: skip
    return [r.get(key) for key in keys]


def _compliance_chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "bar",
        "data": {
            "labels": [r["unit_code"] for r in rows],
            "datasets": [
                {"label": _("Kekurangan JP"), "data": [r["shortfall"] for r in rows],
                 "backgroundColor": "#a4262c"},
                {"label": _("JP tercapai"), "data": [r["earned"] for r in rows],
                 "backgroundColor": "#1e6b34"},
            ],
        },
        "options": {"indexAxis": "y", "scales": {"x": {"stacked": True}, "y": {"stacked": True}}},
    }  # fmt: skip


@bp.get("/laporan/kepatuhan-jp")
@roles_required("admin")
def compliance():
    """JP compliance of each OPD (sub-units included) for a year, largest shortfall first."""
    year = _year()
    every = request.args.get("semua") == "1"
    rows, error = _compliance(year)
    shown = rows if every else [r for r in rows if not r.get("parent_code")]
    return render_template(
        "admin/report_compliance.html",
        year=year,
        rows=shown,
        every=every,
        error=error,
        chart=_compliance_chart(shown[:25]),
    )


@bp.get("/laporan/kepatuhan-jp.<any(csv, xlsx):fmt>")
@roles_required("admin")
def compliance_file(fmt: str):
    """Every unit's compliance as a file."""
    year = _year()
    rows, error = _compliance(year)
    if error:
        abort(503)
    return _file(fmt, f"kepatuhan-jp-{year}", COMPLIANCE_HEADER,
                 [_compliance_row(r) for r in rows], "Kepatuhan JP")  # fmt: skip


@bp.get("/laporan/kepatuhan-jp/unit/<unit_code>")
@roles_required("admin")
def compliance_unit(unit_code: str):
    """One unit: its sub-units, and its people below target, largest shortfall first."""
    year = _year()
    page = page_number(request.args.get("page"))
    rows, error = _compliance(year)
    unit = next((r for r in rows if r["unit_code"] == unit_code), None)
    if unit is None and not error:
        abort(404)
    children = [r for r in rows if r.get("parent_code") == unit_code]
    people = api_get(
        path("/api/v1/units/{}/compliance", unit_code),
        params={"year": year, "page": page, "per_page": 50},
    )
    return render_template(
        "admin/report_compliance_unit.html",
        year=year,
        unit=unit or {"unit_code": unit_code, "name": unit_code},
        children=children,
        people=items_of(people),
        paging=pagination(people, page),
        error=error,
        chart=_compliance_chart(children) if children else None,
    )


@bp.get("/laporan/kepatuhan-jp/unit/<unit_code>.<any(csv, xlsx):fmt>")
@roles_required("admin")
def compliance_unit_file(unit_code: str, fmt: str):
    """Every person of the unit below target, as a file."""
    year = _year()
    people: list[dict[str, Any]] = []
    for page in range(1, EXPORT_PAGES + 1):
        data = api_get(
            path("/api/v1/units/{}/compliance", unit_code),
            params={"year": year, "page": page, "per_page": 100},
        )
        people.extend(items_of(data))
        if len(people) >= int((data or {}).get("total") or 0):
            break
    header = ["name", "unit_code", "position", "target_jp", "earned_jp", "shortfall_jp"]
    rows = [[p.get("name"), p.get("unit_code"), p.get("position"), p.get("target"),
             p.get("earned"), p.get("shortfall")] for p in people]  # fmt: skip
    return _file(fmt, f"di-bawah-target-{unit_code}-{year}", header, rows, "Di bawah target")


# ---- L1 / L2 / L3 ----

EVALUATION_COLUMNS = ["key", "label", "completions", "l1_responses", "l1_overall",
                      "l2_learners_tested", "l2_pass_rate", "l2_pre_avg", "l2_post_avg",
                      "l2_gain_avg", "l2_normalised_gain_avg", "l3_evaluations", "l3_done",
                      "l3_due", "l3_overdue", "l3_behaviour_avg", "l3_impact_avg"]  # fmt: skip


def _evaluation(group_by: str) -> tuple[list[dict[str, Any]], str | None]:
    data, error = load_part(
        lambda: api_get("/api/v1/reports/summary", params={"group_by": group_by})
    )
    rows = items_of(data)
    for row in rows:
        evaluations, done = int(row.get("l3_evaluations") or 0), int(row.get("l3_done") or 0)
        row["l3_due"] = max(evaluations - done - int(row.get("l3_overdue") or 0), 0)
    return rows, error


@bp.get("/laporan/evaluasi")
@roles_required("admin")
def evaluation():
    """Reaction (L1), learning gain (L2) and six-month impact (L3) by course, class, unit
    or trainer."""
    group_by = request.args.get("per", "course")
    group_by = group_by if group_by in GROUPS else "course"
    rows, error = _evaluation(group_by)
    top = sorted(rows, key=lambda r: -(r.get("completions") or 0))[:20]
    chart = {
        "type": "bar",
        "data": {
            "labels": [str(r.get("label") or r.get("key"))[:30] for r in top],
            "datasets": [
                {"label": _("L1 rata-rata (1-5)"), "data": [r.get("l1_overall") for r in top],
                 "backgroundColor": "#0b5d8f"},
                {"label": _("L3 perilaku (1-5)"), "data": [r.get("l3_behaviour_avg") for r in top],
                 "backgroundColor": "#f0b429"},
            ],
        },
        "options": {"scales": {"y": {"min": 0, "max": 5}}},
    }  # fmt: skip
    return render_template(
        "admin/report_evaluation.html",
        rows=rows,
        error=error,
        group_by=group_by,
        groups=GROUPS,
        chart=chart,
    )


@bp.get("/laporan/evaluasi.<any(csv, xlsx):fmt>")
@roles_required("admin")
def evaluation_file(fmt: str):
    """The evaluation rows as a file."""
    group_by = request.args.get("per", "course")
    group_by = group_by if group_by in GROUPS else "course"
    rows, error = _evaluation(group_by)
    if error:
        abort(503)
    return _file(fmt, f"evaluasi-per-{group_by}", EVALUATION_COLUMNS,
                 [[r.get(c) for c in EVALUATION_COLUMNS] for r in rows], "Evaluasi")  # fmt: skip


# ---- completions and spending over time ----

MONTHS = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"]


def _monthly(year: int) -> tuple[list[dict[str, Any]], str | None]:
    data, error = load_part(lambda: api_get("/api/v1/enrolments/monthly", params={"year": year}))
    return items_of(data), error


@bp.get("/laporan/penyelesaian")
@roles_required("admin")
def activity():
    """Completions, JP and spending per month of a year."""
    year = _year()
    rows, error = _monthly(year)
    chart = {
        "type": "bar",
        "data": {
            "labels": MONTHS,
            "datasets": [
                {"type": "bar", "label": _("Penyelesaian"), "yAxisID": "y",
                 "data": [r.get("completions") for r in rows], "backgroundColor": "#0b5d8f"},
                {"type": "line", "label": _("Belanja (Rp)"), "yAxisID": "y1",
                 "data": [r.get("spent") for r in rows], "borderColor": "#a4262c"},
            ],
        },
        "options": {"scales": {"y": {"beginAtZero": True, "position": "left"},
                               "y1": {"beginAtZero": True, "position": "right",
                                      "grid": {"drawOnChartArea": False}}}},
    }  # fmt: skip
    totals = {k: sum(int(r.get(k) or 0) for r in rows) for k in ("completions", "jp", "spent")}
    return render_template(
        "admin/report_activity.html",
        year=year,
        rows=rows,
        months=MONTHS,
        totals=totals,
        error=error,
        chart=chart,
    )


@bp.get("/laporan/penyelesaian.<any(csv, xlsx):fmt>")
@roles_required("admin")
def activity_file(fmt: str):
    """The monthly figures as a file."""
    year = _year()
    rows, error = _monthly(year)
    if error:
        abort(503)
    return _file(fmt, f"penyelesaian-{year}", ["year", "month", "completions", "jp", "spent"],
                 [[year, r.get("month"), r.get("completions"), r.get("jp"), r.get("spent")]
                  for r in rows], "Penyelesaian")  # fmt: skip

"""Training budgets per unit and year: allocated, reserved, spent, left; set and change them."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..auth import api_get, roles_required
from ..forms import ActionForm
from ..gateway import ApiError, path
from ..pages import items_of, load_part
from . import bp
from .api import call, field_errors, problem_message
from .people import this_year, unit_options


def _year(raw: str | None) -> int:
    text = (raw or "").strip()
    return int(text) if text.isdigit() and 2000 <= int(text) <= 2100 else this_year()


def _amount(raw: str | None) -> int | None:
    text = (raw or "").strip().replace(".", "").replace(" ", "")
    return int(text) if text.isdigit() else None


def budget_rows(year: int) -> tuple[list[dict[str, Any]], str | None]:
    """Every unit's budget of the year, largest first, with spent and left."""
    data, error = load_part(
        lambda: api_get("/api/v1/budgets", params={"year": year, "per_page": 100})
    )
    names = {u["code"]: u["name"] for u in unit_options()}
    rows = []
    for budget in items_of(data):
        amount, reserved = int(budget.get("amount") or 0), int(budget.get("reserved") or 0)
        spent = int(budget.get("spent") or 0)
        rows.append(
            {**budget, "unit_name": names.get(budget.get("unit_code"), budget.get("unit_code")),
             "amount": amount, "reserved": reserved, "spent": spent,
             "held": reserved - spent, "left": amount - reserved}
        )  # fmt: skip
    rows.sort(key=lambda r: (-r["amount"], str(r["unit_code"])))
    return rows, error


@bp.get("/anggaran")
@roles_required("admin")
def budgets():
    """The year's budgets with a chart, and a form to set a unit's budget."""
    return _page({}, {}, 200)


def _page(errors: dict[str, str], values: Any, status: int):
    """The budgets page, with a refused form's values and messages when there are any."""
    year = _year(request.args.get("year") or request.form.get("year"))
    rows, error = budget_rows(year)
    chart = {
        "type": "bar",
        "data": {
            "labels": [r["unit_code"] for r in rows],
            "datasets": [
                {"label": _("Terpakai"), "data": [r["spent"] for r in rows], "stack": "a",
                 "backgroundColor": "#1e6b34"},
                {"label": _("Dicadangkan"), "data": [r["held"] for r in rows], "stack": "a",
                 "backgroundColor": "#f0b429"},
                {"label": _("Sisa"), "data": [max(r["left"], 0) for r in rows], "stack": "a",
                 "backgroundColor": "#9fb3c8"},
            ],
        },
        "options": {"scales": {"x": {"stacked": True}, "y": {"stacked": True}}},
    }  # fmt: skip
    totals = {key: sum(r[key] for r in rows) for key in ("amount", "reserved", "spent", "left")}
    return render_template(
        "admin/budgets.html",
        year=year,
        rows=rows,
        totals=totals,
        error=error,
        chart=chart,
        units=unit_options(),
        errors=errors,
        values=values,
        form=ActionForm(),
    ), status


@bp.post("/anggaran")
@roles_required("admin")
def set_budget():
    """Set a unit's budget for a year (a new one), or change the amount of an existing one."""
    year = _year(request.form.get("year"))
    if not ActionForm().validate():
        flash(_("Formulir kedaluwarsa. Silakan kirim ulang."), "error")
        return redirect(url_for("backoffice.budgets", year=year), code=303)
    amount = _amount(request.form.get("amount"))
    if amount is None:
        return _page({"amount": _("Isi jumlah rupiah tanpa tanda lain.")}, request.form, 422)
    budget_id = (request.form.get("budget_id") or "").strip()
    try:
        if budget_id:
            call("PATCH", path("/api/v1/budgets/{}", budget_id), json={"amount": amount})
        else:
            unit = (request.form.get("unit_code") or "").strip()
            call(
                "POST", "/api/v1/budgets", json={"unit_code": unit, "year": year, "amount": amount}
            )
    except ApiError as error:
        if error.unavailable:
            raise
        found = field_errors(error)
        if error.status == 409 and not budget_id:
            found = {"unit_code": _("Unit ini sudah punya anggaran tahun ini; ubah jumlahnya.")}
        if not found:
            flash(problem_message(error), "error")
        return _page(found, request.form, error.status)
    flash(_("Anggaran disimpan."), "success")
    return redirect(url_for("backoffice.budgets", year=year), code=303)

"""Decisions on a class's enrolments: approve (over budget with a reason), reject, withdraw."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..auth import api_get, roles_required
from ..forms import ActionForm
from ..gateway import ApiError, path
from ..pages import items_of, load_part
from . import bp
from .api import call, problem_message


def _enrolment(enrolment_id: str) -> dict[str, Any]:
    data = api_get(path("/api/v1/enrolments/{}", enrolment_id))
    return data if isinstance(data, dict) else {}


def _back(enrolment: dict[str, Any]):
    return redirect(url_for("backoffice.course_class", class_id=enrolment["class_id"]), code=303)


def _over_budget(error: ApiError) -> bool:
    return error.status == 409 and "budget" in error.field_errors


@bp.post("/pendaftaran/<enrolment_id>/setujui")
@roles_required("admin")
def approve(enrolment_id: str):
    """Approve; when the unit's budget would be overspent, show the figures and ask why."""
    enrolment = _enrolment(enrolment_id)
    if not ActionForm().validate():
        flash(_("Formulir kedaluwarsa. Silakan kirim ulang."), "error")
        return _back(enrolment)
    try:
        done = call("POST", path("/api/v1/enrolments/{}/approve", enrolment_id), json={})
    except ApiError as error:
        if error.unavailable:
            raise
        if _over_budget(error):
            return redirect(url_for("backoffice.override", enrolment_id=enrolment_id), code=303)
        flash(problem_message(error), "error")
        return _back(enrolment)
    _flash_approved(done)
    return _back(enrolment)


def _flash_approved(done: Any) -> None:
    if isinstance(done, dict) and done.get("status") == "waitlisted":
        flash(_("Disetujui; kelas penuh sehingga peserta masuk daftar tunggu."), "success")
    else:
        flash(_("Disetujui; peserta terdaftar di kelas."), "success")


def budget_figures(enrolment: dict[str, Any]) -> dict[str, Any]:
    """What an approval would cost the learner's unit, and what its budget has left."""
    course_class = api_get(path("/api/v1/classes/{}", enrolment["class_id"])) or {}
    course = api_get(path("/api/v1/courses/{}", enrolment["course_id"])) or {}
    year = int(str(course_class.get("starts_on", "0000"))[:4] or 0)
    budgets, _error = load_part(
        lambda: api_get(
            "/api/v1/budgets", params={"unit_code": enrolment.get("unit_code"), "year": year}
        )
    )
    budget = next(iter(items_of(budgets)), None)
    cost = int(course.get("cost_per_participant") or 0)
    available = int(budget.get("available", 0)) if budget else 0
    return {
        "year": year,
        "unit_code": enrolment.get("unit_code"),
        "cost": cost,
        "budget": budget,
        "available": available,
        "short": max(cost - available, 0),
        "course": course,
        "course_class": course_class,
    }


@bp.route("/pendaftaran/<enrolment_id>/lampaui-anggaran", methods=["GET", "POST"])
@roles_required("admin")
def override(enrolment_id: str):
    """Approve beyond the unit's budget: the figures, and the reason the audit keeps."""
    enrolment = _enrolment(enrolment_id)
    figures = budget_figures(enrolment)
    reason = (request.form.get("override_reason") or "").strip()
    error_text = None
    if request.method == "POST":
        if not ActionForm().validate():
            flash(_("Formulir kedaluwarsa. Silakan kirim ulang."), "error")
        elif len(reason) < 3:
            error_text = _("Tuliskan alasan (paling sedikit 3 karakter).")
        else:
            try:
                done = call(
                    "POST",
                    path("/api/v1/enrolments/{}/approve", enrolment_id),
                    json={"override_reason": reason[:1000]},
                )
            except ApiError as error:
                if error.unavailable:
                    raise
                flash(problem_message(error), "error")
            else:
                _flash_approved(done)
                return _back(enrolment)
    return render_template(
        "admin/override.html",
        enrolment=enrolment,
        figures=figures,
        reason=reason,
        error_text=error_text,
        form=ActionForm(),
    ), (422 if error_text else 200)


@bp.post("/pendaftaran/<enrolment_id>/<any(tolak, batalkan):action>")
@roles_required("admin")
def decide(enrolment_id: str, action: str):
    """Reject a request (reason required) or withdraw a learner (reason optional)."""
    enrolment = _enrolment(enrolment_id)
    if not ActionForm().validate():
        flash(_("Formulir kedaluwarsa. Silakan kirim ulang."), "error")
        return _back(enrolment)
    reason = (request.form.get("reason") or "").strip()[:1000]
    if action == "tolak" and not reason:
        flash(_("Tuliskan alasan penolakan."), "error")
        return _back(enrolment)
    verb = "reject" if action == "tolak" else "withdraw"
    body = {"reason": reason} if reason else {}
    try:
        call("POST", path("/api/v1/enrolments/{}/" + verb, enrolment_id), json=body)
    except ApiError as error:
        if error.unavailable:
            raise
        flash(problem_message(error), "error")
    else:
        flash(
            _("Ditolak.") if verb == "reject" else _("Peserta dikeluarkan dari kelas."), "success"
        )
    return _back(enrolment)

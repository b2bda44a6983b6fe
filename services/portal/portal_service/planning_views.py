"""Perencanaan: from the training needs analysis to the plan to enrolment requests (admin)."""

from __future__ import annotations

import contextlib
import re
from datetime import date
from typing import Any
from uuid import UUID

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .auth import access_token, api_get, api_post, roles_required
from .gateway import ApiError, gateway, path
from .pages import items_of

bp = Blueprint("planning", __name__)

CITY = "*"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UNIT_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,50}$")
MARGIN_LIMIT = 30  # rows of unmet gaps and of the needs tables shown; the XLSX has all


def _field_names() -> dict[str, str]:
    return {
        "unit_code": _("unit"),
        "year": _("tahun"),
        "budget": _("anggaran"),
        "class_ids": _("kelas"),
        "max_classes_per_person": _("batas kelas per pegawai"),
        "person_id": _("pegawai"),
        "class_id": _("kelas"),
    }


def _message(error: ApiError) -> str:
    """The portal's own words for what went wrong (never the API's English detail)."""
    if error.unavailable:
        return _("Layanan perencanaan atau data pegawai dan kelas sedang tidak dapat dihubungi. "
                 "Silakan coba lagi nanti.")  # fmt: skip
    if error.status == 404:
        return _("Rencana tidak ditemukan.")
    if error.status == 403:
        return _("Anda tidak berhak melakukan ini.")
    if error.status == 409:
        return _("Rencana ini sudah dijadikan permintaan pendaftaran sehingga tidak dapat diubah.")
    if error.status == 422 and error.field_errors:
        names = _field_names()
        fields = ", ".join(names.get(f, f) for f in error.field_errors)
        return _("Periksa kembali isian berikut: %(fields)s.", fields=fields)
    return _("Permintaan tidak dapat diproses.")


def _scope_args() -> tuple[str | None, int]:
    unit = (request.args.get("unit") or "").strip() or None
    if unit is not None and unit != CITY and not UNIT_CODE.match(unit):
        unit = None
    try:
        year = int(request.args.get("tahun") or date.today().year + 1)
    except ValueError:
        year = date.today().year + 1
    return unit, min(max(year, 2000), 2100)


def _flatten(tree: list[dict[str, Any]], depth: int = 0) -> list[dict[str, Any]]:
    """The unit tree as one list, sub-units after their parent (two levels: OPD and bidang)."""
    found = []
    for unit in tree:
        found.append({"code": unit.get("code"), "name": unit.get("name"), "depth": depth})
        if depth < 1:
            found.extend(_flatten(items_of(unit.get("children")), depth + 1))
    return found


@bp.get("/perencanaan")
@roles_required("admin")
def needs():
    """The needs analysis of a unit or the city, and the form that plans it."""
    unit, year = _scope_args()
    units, analysis, error = [], None, None
    try:
        units = _flatten(items_of(api_get("/api/v1/units")))
        if unit:
            analysis = api_get("/api/v1/needs", params={"unit_code": unit, "year": year})
    except ApiError as err:
        error = _message(err)
    plans = []
    with contextlib.suppress(ApiError):  # the latest plans are a shortcut: the page works without
        plans = items_of(api_get("/api/v1/plans", params={"per_page": 10}))
    return render_template(
        "planning_needs.html",
        units=units,
        unit=unit,
        year=year,
        analysis=analysis,
        error=error,
        plans=plans,
        limit=MARGIN_LIMIT,
    )


@bp.get("/perencanaan/unduh")
@roles_required("admin")
def export():
    """The needs as the API's XLSX file."""
    unit, year = _scope_args()
    if not unit:
        abort(404)
    try:
        upstream = (
            gateway()
            .request(
                "GET",
                "/api/v1/needs/export",
                token=access_token(),
                params={"unit_code": unit, "year": year},
                headers={"Accept": XLSX},
            )
            .raw
        )
    except ApiError as err:
        flash(_message(err), "error")
        return redirect(url_for("planning.needs", unit=unit, tahun=year))
    if upstream.headers.get("Content-Type", "").split(";")[0].strip() != XLSX:
        abort(502)
    name = f"kebutuhan-pelatihan-{'kota' if unit == CITY else unit}-{year}.xlsx"
    return Response(
        upstream.content,
        mimetype=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _rupiah(text: str | None) -> int | None:
    digits = re.sub(r"[.\s]|^Rp", "", (text or "").strip(), flags=re.IGNORECASE)
    return int(digits) if digits.isdigit() and len(digits) <= 16 else None


@bp.post("/perencanaan/rencana")
@roles_required("admin")
def create_plan():
    """Solve a plan for the chosen scope and budget."""
    unit = (request.form.get("unit") or "").strip()
    try:
        year = int(request.form.get("tahun") or 0)
    except ValueError:
        year = 0
    budget = _rupiah(request.form.get("anggaran"))
    back = url_for("planning.needs", unit=unit or None, tahun=year or None)
    if budget is None:
        flash(_("Isi anggaran dalam rupiah, misalnya 50.000.000."), "error")
        return redirect(back)
    body: dict[str, Any] = {"unit_code": unit, "year": year, "budget": budget}
    limit = request.form.get("batas")
    if limit and limit.isdigit():
        body["max_classes_per_person"] = int(limit)
    try:
        plan = api_post("/api/v1/plans", json=body) or {}
    except ApiError as err:
        flash(_message(err), "error")
        return redirect(back)
    return redirect(url_for("planning.plan", plan_id=plan.get("id")))


@bp.get("/perencanaan/rencana/<uuid:plan_id>")
@roles_required("admin")
def plan(plan_id: UUID):
    """The plan: status, assignments with their reasons, unmet gaps, the value of more budget."""
    try:
        found = api_get(path("/api/v1/plans/{}", plan_id))
    except ApiError as err:
        if err.status == 404:
            abort(404)
        flash(_message(err), "error")
        return redirect(url_for("planning.needs"))
    if not isinstance(found, dict):
        abort(502)
    return render_template("planning_plan.html", plan=found, limit=MARGIN_LIMIT)


@bp.post("/perencanaan/rencana/<uuid:plan_id>/keputusan")
@roles_required("admin")
def decide(plan_id: UUID):
    """Pin, forbid or release one assignment; the plan is solved again keeping the pins."""
    choice = request.form.get("keputusan")
    decision = {"kunci": "pin", "larang": "forbid", "lepas": None}.get(choice or "", "invalid")
    if decision == "invalid":
        abort(400)
    body = {
        "person_id": request.form.get("person_id", ""),
        "class_id": request.form.get("class_id", ""),
        "decision": decision,
    }
    try:
        api_post(path("/api/v1/plans/{}/decisions", plan_id), json=body)
        flash(_("Rencana disusun ulang dengan keputusan Anda."), "success")
    except ApiError as err:
        flash(_message(err), "error")
    return redirect(url_for("planning.plan", plan_id=plan_id))


@bp.post("/perencanaan/rencana/<uuid:plan_id>/pendaftaran")
@roles_required("admin")
def enrol(plan_id: UUID):
    """Turn the plan into enrolment requests (twice makes none new)."""
    try:
        result = api_post(path("/api/v1/plans/{}/enrolments", plan_id)) or {}
    except ApiError as err:
        flash(_message(err), "error")
        return redirect(url_for("planning.plan", plan_id=plan_id))
    created, refused = int(result.get("created") or 0), int(result.get("refused") or 0)
    if created:
        flash(_("%(n)s permintaan pendaftaran dibuat.", n=created), "success")
    else:
        flash(_("Tidak ada permintaan baru: semuanya sudah dibuat sebelumnya."), "success")
    if refused:
        flash(_("%(n)s penugasan tidak dapat didaftarkan (kelas ditutup atau syarat belum "
                "dipenuhi).", n=refused), "warning")  # fmt: skip
    return redirect(url_for("planning.plan", plan_id=plan_id))

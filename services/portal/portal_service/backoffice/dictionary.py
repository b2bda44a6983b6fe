"""The competency dictionary, position standards and training providers."""

from __future__ import annotations

import re
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..auth import api_get, roles_required
from ..forms import ActionForm
from ..gateway import ApiError
from ..pages import items_of, load_part
from . import bp
from .api import call, field_errors, problem_message

COMPETENCY_TYPES = {
    "teknis": _l("Teknis"),
    "manajerial": _l("Manajerial"),
    "sosial_kultural": _l("Sosial kultural"),
}
PROVIDER_KINDS = {
    "internal_unit": _l("Unit internal"),
    "national_agency": _l("Instansi pusat"),
    "provincial_agency": _l("Instansi provinsi"),
    "university": _l("Perguruan tinggi"),
    "professional_body": _l("Asosiasi profesi"),
    "private": _l("Swasta"),
}
STANDARD_LINE = re.compile(r"^\s*([A-Za-z0-9._-]+)\s*[:=]\s*(\d)\s*$")


def _saved(method: str, api_path: str, body: dict[str, Any]) -> tuple[bool, dict[str, str]]:
    """Send a form's body; (saved, field errors). Unreachable services end the page."""
    try:
        call(method, api_path, json=body)
    except ApiError as error:
        if error.unavailable:
            raise
        errors = field_errors(error)
        if error.status == 409:
            errors.setdefault("code", _("Kode ini sudah dipakai."))
        if not errors:
            flash(problem_message(error), "error")
        return False, errors
    return True, {}


@bp.route("/kompetensi", methods=["GET", "POST"])
@roles_required("admin")
def competencies():
    """The dictionary, by type, with a form to add a competency and its level indicators."""
    errors: dict[str, str] = {}
    values: Any = {}
    if request.method == "POST":
        values = request.form
        if not ActionForm().validate():
            flash(_("Formulir kedaluwarsa. Silakan kirim ulang."), "error")
        else:
            body = {
                "code": values.get("code", "").strip(),
                "name": values.get("name", "").strip(),
                "type": values.get("type", ""),
                "description": values.get("description", "").strip(),
                "indicators": {
                    str(level): values.get(f"level_{level}", "").strip()
                    for level in range(1, 6)
                    if values.get(f"level_{level}", "").strip()
                },
            }
            saved, errors = _saved("POST", "/api/v1/competencies", body)
            if saved:
                flash(_("Kompetensi ditambahkan."), "success")
                return redirect(url_for("backoffice.competencies"), code=303)
    data, error = load_part(lambda: api_get("/api/v1/competencies", params={"per_page": 100}))
    return render_template(
        "admin/competencies.html",
        competencies=items_of(data),
        error=error,
        types=COMPETENCY_TYPES,
        errors=errors,
        values=values,
    ), (422 if errors else 200)


@bp.route("/standar-jabatan", methods=["GET", "POST"])
@roles_required("admin")
def standards():
    """Required competency levels per position name or position type."""
    errors: dict[str, str] = {}
    values: Any = {}
    if request.method == "POST":
        values = request.form
        if not ActionForm().validate():
            flash(_("Formulir kedaluwarsa. Silakan kirim ulang."), "error")
        else:
            levels = []
            for line in values.get("competencies", "").replace(",", "\n").splitlines():
                if not line.strip():
                    continue
                match = STANDARD_LINE.match(line)
                if not match:
                    errors["competencies"] = _("Tulis satu kompetensi per baris: KODE:level (1-5).")
                    break
                levels.append({"code": match.group(1), "level": int(match.group(2))})
            if not errors:
                body = {"position": values.get("position", "").strip(), "competencies": levels}
                saved, errors = _saved("POST", "/api/v1/position-standards", body)
                if saved:
                    flash(_("Standar jabatan disimpan."), "success")
                    return redirect(url_for("backoffice.standards"), code=303)
    data, error = load_part(lambda: api_get("/api/v1/position-standards"))
    return render_template(
        "admin/standards.html",
        standards=items_of(data),
        error=error,
        errors=errors,
        values=values,
    ), (422 if errors else 200)


@bp.route("/penyelenggara", methods=["GET", "POST"])
@roles_required("admin")
def providers():
    """Training providers (agencies, universities such as Universitas Sriwijaya, ...)."""
    errors: dict[str, str] = {}
    values: Any = {}
    if request.method == "POST":
        values = request.form
        if not ActionForm().validate():
            flash(_("Formulir kedaluwarsa. Silakan kirim ulang."), "error")
        else:
            body = {
                key: values.get(key, "").strip() or None
                for key in ("code", "name", "kind", "contact_name", "contact_email",
                            "contact_phone", "address")
            }  # fmt: skip
            saved, errors = _saved("POST", "/api/v1/providers", body)
            if saved:
                flash(_("Penyelenggara ditambahkan."), "success")
                return redirect(url_for("backoffice.providers"), code=303)
    data, error = load_part(lambda: api_get("/api/v1/providers", params={"per_page": 100}))
    return render_template(
        "admin/providers.html",
        providers=items_of(data),
        error=error,
        kinds=PROVIDER_KINDS,
        errors=errors,
        values=values,
    ), (422 if errors else 200)

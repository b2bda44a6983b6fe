"""People and units: the unit tree, the people list, a person's page, create/edit, export."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..auth import api_get, now, roles_required
from ..forms import ActionForm, page_number
from ..gateway import ApiError, path
from ..pages import items_of, load_part, pagination
from . import bp
from .api import call, field_errors, passthrough_file, problem_message

POSITION_TYPES = {
    "jpt_madya": _l("JPT Madya"),
    "jpt_pratama": _l("JPT Pratama"),
    "administrator": _l("Administrator"),
    "pengawas": _l("Pengawas"),
    "fungsional": _l("Fungsional"),
    "pelaksana": _l("Pelaksana"),
}
STATUSES = {"active": _l("Aktif"), "on_leave": _l("Cuti"), "retired": _l("Pensiun")}
SORTS = {
    "name": _l("Nama (A-Z)"),
    "-name": _l("Nama (Z-A)"),
    "nip": _l("NIP"),
    "grade": _l("Golongan (terendah dulu)"),
    "-grade": _l("Golongan (tertinggi dulu)"),
    "unit_code": _l("Unit kerja"),
    "-updated_at": _l("Terakhir diubah"),
}
PNS_GRADES = [f"{g}/{r}" for g in ("I", "II", "III", "IV") for r in "abcde" if not (
    g in ("I", "II", "III") and r == "e")]  # fmt: skip
PPPK_GRADES = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII",
               "XIV", "XV", "XVI", "XVII"]  # fmt: skip
# Fields of the person form, in the order they are shown.
PERSON_FIELDS = ("nip", "name", "employment_type", "grade", "unit_code", "position",
                 "position_type", "supervisor_nip", "status", "email")  # fmt: skip


def this_year() -> int:
    """The year the portal's clock is in."""
    return date.fromtimestamp(now()).year


def unit_options() -> list[dict[str, Any]]:
    """Every unit as (code, name, depth), tree order, for selects and the tree page."""
    data, _error = load_part(lambda: api_get("/api/v1/units"))
    flat: list[dict[str, Any]] = []

    def walk(nodes: list[dict[str, Any]], depth: int) -> None:
        for node in nodes:
            flat.append({"code": node.get("code"), "name": node.get("name"), "depth": depth})
            walk([c for c in node.get("children") or [] if isinstance(c, dict)], depth + 1)

    walk(items_of(data), 0)
    return flat


@bp.get("/unit")
@roles_required("admin")
def units():
    """The unit tree, each unit linking to its people."""
    data, error = load_part(lambda: api_get("/api/v1/units"))
    return render_template("admin/units.html", units=items_of(data), error=error)


def _list_filters(args: Any) -> dict[str, Any]:
    """The people list's filters from the query string, bad values dropped."""
    year = args.get("year", "")
    sort = args.get("sort", "name")
    filters = {
        "q": args.get("q", "").strip()[:100],
        "unit_code": args.get("unit_code", "").strip()[:50],
        "include_subunits": "1" if args.get("include_subunits") else "",
        "grade": args.get("grade", "") if args.get("grade", "") in PNS_GRADES + PPPK_GRADES else "",
        "position_type": args.get("position_type", "")
        if args.get("position_type") in POSITION_TYPES
        else "",
        "status": args.get("status", "") if args.get("status") in STATUSES else "",
        "below_target": "1" if args.get("below_target") else "",
        "year": year if year.isdigit() and 2000 <= int(year) <= 2100 else "",
        "sort": sort if sort in SORTS else "name",
    }
    return filters


@bp.get("/pegawai")
@roles_required("admin")
def people():
    """People: search, filters, sorting, pages."""
    filters = _list_filters(request.args)
    page = page_number(request.args.get("page"))
    params = {
        **filters,
        "include_subunits": "true" if filters["include_subunits"] else None,
        "below_target": "true" if filters["below_target"] else None,
        "page": page,
        "per_page": current_app.config["PER_PAGE"],
    }
    data, error = load_part(lambda: api_get("/api/v1/people", params=params))
    return render_template(
        "admin/people.html",
        people=items_of(data),
        error=error,
        filters=filters,
        filtered=any(v for k, v in filters.items() if k != "sort"),
        link_filters={k: v for k, v in filters.items() if v},
        paging=pagination(data, page),
        units=unit_options(),
        grades=PNS_GRADES + PPPK_GRADES,
        position_types=POSITION_TYPES,
        statuses=STATUSES,
        sorts=SORTS,
        year=this_year(),
    )


@bp.get("/pegawai/ekspor.<any(csv, xlsx):fmt>")
@roles_required("admin")
def export_people(fmt: str):
    """The people file in the import's shape (the API writes it, formulas escaped)."""
    return passthrough_file("/api/v1/people/export", params={"format": fmt})


@bp.get("/pegawai/<person_id>")
@roles_required("admin")
def person(person_id: str):
    """A person's record, unit history, competencies, JP ledger and enrolments."""
    record = api_get(path("/api/v1/people/{}", person_id))
    asked = request.args.get("year", "")
    year = int(asked) if asked.isdigit() and 2000 <= int(asked) <= 2100 else this_year()
    jp, jp_error = load_part(
        lambda: api_get(path("/api/v1/people/{}/jp", person_id), params={"year": year})
    )
    competencies, competencies_error = load_part(
        lambda: api_get(path("/api/v1/people/{}/competencies", person_id))
    )
    enrolments, enrolments_error = load_part(
        lambda: api_get(
            "/api/v1/enrolments",
            params={"scope": "all", "learner_id": person_id, "per_page": 100},
        )
    )
    return render_template(
        "admin/person.html",
        person=record if isinstance(record, dict) else {},
        jp=jp if isinstance(jp, dict) else None,
        jp_error=jp_error,
        year=year,
        competencies=items_of(competencies),
        competencies_error=competencies_error,
        enrolments=items_of(enrolments),
        enrolments_error=enrolments_error,
        position_types=POSITION_TYPES,
        statuses=STATUSES,
    )


def _person_body(form: Any, creating: bool) -> dict[str, Any]:
    """The API body from the form: empty optional fields are left out (or null on edit)."""
    body: dict[str, Any] = {}
    for field in PERSON_FIELDS:
        value = (form.get(field) or "").strip()
        if creating:
            if value:
                body[field] = value
        elif field == "nip":
            continue  # a NIP is never changed: it is who the person is
        elif value:
            body[field] = value
        elif field in ("supervisor_nip", "email", "position_type"):
            body[field] = None
    return body


def _person_form(person: dict[str, Any] | None, values: dict[str, Any], errors: dict[str, str]):
    return render_template(
        "admin/person_form.html",
        person=person,
        values=values,
        errors=errors,
        units=unit_options(),
        grades={"PNS": PNS_GRADES, "PPPK": PPPK_GRADES},
        position_types=POSITION_TYPES,
        statuses=STATUSES,
        form=ActionForm(),
    )


@bp.route("/pegawai/baru", methods=["GET", "POST"])
@roles_required("admin")
def create_person():
    """A new person; a refused field shows its message next to it."""
    form = ActionForm()
    if request.method == "GET":
        return _person_form(None, {"status": "active", "employment_type": "PNS"}, {})
    if not form.validate():
        flash(_("Formulir kedaluwarsa. Silakan kirim ulang."), "error")
        return _person_form(None, request.form, {}), 400
    try:
        created = call("POST", "/api/v1/people", json=_person_body(request.form, creating=True))
    except ApiError as error:
        return _refused(None, error)
    flash(_("Pegawai %(name)s ditambahkan.", name=created.get("name", "")), "success")
    return redirect(url_for("backoffice.person", person_id=created["id"]), code=303)


@bp.route("/pegawai/<person_id>/ubah", methods=["GET", "POST"])
@roles_required("admin")
def edit_person(person_id: str):
    """Change a person's record (the NIP stays)."""
    record = api_get(path("/api/v1/people/{}", person_id)) or {}
    if request.method == "GET":
        values = {field: record.get(field) or "" for field in PERSON_FIELDS}
        values["supervisor_nip"] = _supervisor_nip(record)
        return _person_form(record, values, {})
    if not ActionForm().validate():
        flash(_("Formulir kedaluwarsa. Silakan kirim ulang."), "error")
        return _person_form(record, request.form, {}), 400
    try:
        call(
            "PATCH",
            path("/api/v1/people/{}", person_id),
            json=_person_body(request.form, creating=False),
        )
    except ApiError as error:
        return _refused(record, error)
    flash(_("Data pegawai disimpan."), "success")
    return redirect(url_for("backoffice.person", person_id=person_id), code=303)


def _supervisor_nip(record: dict[str, Any]) -> str:
    if not record.get("supervisor_id"):
        return ""
    boss, _error = load_part(lambda: api_get(path("/api/v1/people/{}", record["supervisor_id"])))
    return str(boss.get("nip") or "") if isinstance(boss, dict) else ""


def _refused(record: dict[str, Any] | None, error: ApiError):
    """The form again with the API's refusals next to their fields."""
    if error.unavailable:
        raise error
    errors = field_errors(error)
    if error.status == 409:
        errors.setdefault("nip", _("NIP atau nama pengguna ini sudah terdaftar."))
    if not errors:
        flash(problem_message(error), "error")
    return _person_form(record, request.form, errors), error.status

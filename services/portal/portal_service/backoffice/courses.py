"""Courses and classes: create, edit, publish, archive; classes with their roster and decisions."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..auth import api_get, roles_required
from ..forms import ActionForm, page_number
from ..gateway import ApiError, path
from ..labels import COURSE_FORMS
from ..pages import coded_message, items_of, load_part, pagination
from . import bp
from .api import call, field_errors, problem_message

COURSE_STATUSES = {"draft": _l("Draf"), "published": _l("Terbit"), "archived": _l("Diarsipkan")}
# What a published course may still change (the catalog refuses the rest).
EDITABLE_WHEN_PUBLISHED = ("title", "description", "provider_id", "cost_per_participant")
COMPETENCY_LINE = re.compile(r"^\s*([A-Za-z0-9._-]+)\s*[:=]\s*(\d)\s*$")


@bp.get("/pelatihan")
@roles_required("admin")
def courses():
    """Every course, drafts included: search, status filter, pages."""
    q = request.args.get("q", "").strip()[:200]
    status = request.args.get("status", "")
    status = status if status in COURSE_STATUSES else ""
    page = page_number(request.args.get("page"))
    data, error = load_part(
        lambda: api_get(
            "/api/v1/courses",
            params={"q": q, "status": status, "page": page,
                    "per_page": current_app.config["PER_PAGE"]},
        )
    )  # fmt: skip
    return render_template(
        "admin/courses.html",
        courses=items_of(data),
        error=error,
        q=q,
        status=status,
        statuses=COURSE_STATUSES,
        forms=COURSE_FORMS,
        paging=pagination(data, page),
    )


def _course_body(form: Any, course: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, str]]:
    """The API body from the form, and the portal's own refusals (unreadable numbers, lines)."""
    body: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in ("code", "title", "description", "form", "provider_id"):
        value = (form.get(field) or "").strip()
        if field == "provider_id":
            body[field] = value or None
        elif value or field == "description":
            body[field] = value
    for field in ("jp", "cost_per_participant"):
        raw = (form.get(field) or "").strip().replace(".", "")
        if raw:
            if raw.isdigit():
                body[field] = int(raw)
            else:
                errors[field] = _("Isi dengan bilangan bulat.")
    # The classroom completion rule: empty on a new course takes catalog's default (80 for
    # klasikal and blended); emptied on an existing one, attendance is not required.
    attendance = (form.get("min_attendance_percent") or "").strip()
    if attendance.isdigit() and int(attendance) <= 100:
        body["min_attendance_percent"] = int(attendance)
    elif attendance:
        errors["min_attendance_percent"] = _("Isi dengan bilangan bulat 0 sampai 100.")
    elif course is not None:
        body["min_attendance_percent"] = None
    competencies = []
    for line in (form.get("competencies") or "").replace(",", "\n").splitlines():
        if not line.strip():
            continue
        match = COMPETENCY_LINE.match(line)
        if not match:
            errors["competencies"] = _("Tulis satu kompetensi per baris: KODE:level (1-5).")
            break
        competencies.append({"code": match.group(1), "level": int(match.group(2))})
    body["competencies"] = competencies
    body["prerequisites"] = [
        c.strip() for c in (form.get("prerequisites") or "").replace("\n", ",").split(",")
        if c.strip()
    ]  # fmt: skip
    # Picked from the lists (form order is the course's module order); duplicates dropped.
    body["module_ids"] = list(dict.fromkeys(m for m in form.getlist("module_ids") if m))
    for field in ("pre_test_id", "post_test_id"):
        body[field] = (form.get(field) or "").strip() or None
    if course is not None and course.get("status") == "published":
        body = {k: v for k, v in body.items() if k in EDITABLE_WHEN_PUBLISHED}
    elif course is not None:
        body.pop("code", None)
    return body, errors


def _course_values(course: dict[str, Any]) -> dict[str, Any]:
    values = dict(course)
    values["competencies"] = "\n".join(
        f"{c.get('code')}:{c.get('level')}" for c in course.get("competencies") or []
    )
    values["prerequisites"] = ", ".join(course.get("prerequisites") or [])
    values["module_ids"] = list(course.get("module_ids") or [])
    return values


def _picked_modules(values: Any) -> list[str]:
    """The module ids the form holds, in order (a resent form or the course's own)."""
    if hasattr(values, "getlist"):
        return [m for m in values.getlist("module_ids") if m]
    return list(values.get("module_ids") or [])


def _module_choices(values: Any) -> tuple[list[dict[str, Any]], list[str], str | None]:
    """Modules to pick from (the chosen first, in course order), chosen ids the list does not
    show (kept as they are), and the message when e-learning could not be read."""
    data, error = load_part(lambda: api_get("/api/v1/modules", params={"per_page": 100}))
    modules = [m for m in items_of(data) if isinstance(m, dict) and m.get("id")]
    picked = _picked_modules(values)
    by_id = {m["id"]: m for m in modules}
    first = [by_id[m] for m in picked if m in by_id]
    rest = [m for m in modules if m["id"] not in set(picked)]
    unlisted = [m for m in picked if m not in by_id]
    return first + rest, unlisted, error


def _tests(kind: str) -> tuple[list[dict[str, Any]], str | None]:
    data, error = load_part(
        lambda: api_get("/api/v1/assessments", params={"kind": kind, "per_page": 100})
    )
    return [a for a in items_of(data) if isinstance(a, dict) and a.get("id")], error


def _course_form(course: dict[str, Any] | None, values: Any, errors: dict[str, str]):
    providers, _error = load_part(lambda: api_get("/api/v1/providers", params={"per_page": 100}))
    competencies, _error = load_part(
        lambda: api_get("/api/v1/competencies", params={"per_page": 100})
    )
    modules, unlisted_modules, modules_error = _module_choices(values)
    pre_tests, pre_error = _tests("pre_test")
    post_tests, post_error = _tests("post_test")
    return render_template(
        "admin/course_form.html",
        course=course,
        values=values,
        errors=errors,
        forms=COURSE_FORMS,
        providers=items_of(providers),
        competencies=items_of(competencies),
        modules=modules,
        picked_modules=set(_picked_modules(values)),
        unlisted_modules=unlisted_modules,
        modules_error=modules_error,
        pre_tests=pre_tests,
        post_tests=post_tests,
        tests_error=pre_error or post_error,
        locked=course is not None and course.get("status") == "published",
        editable=EDITABLE_WHEN_PUBLISHED,
    )


@bp.route("/pelatihan/baru", methods=["GET", "POST"])
@roles_required("admin")
def create_course():
    """A new draft course."""
    if request.method == "GET":
        return _course_form(None, {"form": "klasikal", "cost_per_participant": 0}, {})
    return _save_course(None)


@bp.route("/pelatihan/<course_id>/ubah", methods=["GET", "POST"])
@roles_required("admin")
def edit_course(course_id: str):
    """Edit a draft freely, a published course in the fields the catalog allows."""
    course = api_get(path("/api/v1/courses/{}", course_id)) or {}
    if request.method == "GET":
        return _course_form(course, _course_values(course), {})
    return _save_course(course)


def _save_course(course: dict[str, Any] | None):
    if not ActionForm().validate():
        flash(_("Formulir kedaluwarsa. Silakan kirim ulang."), "error")
        return _course_form(course, request.form, {}), 400
    body, errors = _course_body(request.form, course)
    if errors:
        return _course_form(course, request.form, errors), 422
    try:
        if course is None:
            saved = call("POST", "/api/v1/courses", json=body)
        else:
            saved = call("PATCH", path("/api/v1/courses/{}", course["id"]), json=body)
    except ApiError as error:
        if error.unavailable:
            raise
        found = field_errors(error)
        if error.status == 409 and course is None:
            found.setdefault("code", _("Kode pelatihan ini sudah dipakai."))
        if not found:
            flash(problem_message(error), "error")
        return _course_form(course, request.form, found), error.status
    flash(_("Pelatihan disimpan."), "success")
    return redirect(url_for("backoffice.course", course_id=saved["id"]), code=303)


@bp.get("/pelatihan/<course_id>")
@roles_required("admin")
def course(course_id: str):
    """A course with its classes and the actions its status allows."""
    data = api_get(path("/api/v1/courses/{}", course_id)) or {}
    classes, classes_error = load_part(
        lambda: api_get(path("/api/v1/courses/{}/classes", course_id), params={"per_page": 100})
    )
    return render_template(
        "admin/course.html",
        course=data,
        classes=items_of(classes),
        classes_error=classes_error,
        forms=COURSE_FORMS,
        statuses=COURSE_STATUSES,
    )


@bp.post("/pelatihan/<course_id>/<any(terbitkan, arsipkan):action>")
@roles_required("admin")
def change_course_status(course_id: str, action: str):
    """Publish a draft, or archive a course."""
    if not ActionForm().validate():
        flash(_("Formulir kedaluwarsa. Silakan kirim ulang."), "error")
        return redirect(url_for("backoffice.course", course_id=course_id), code=303)
    verb = "publish" if action == "terbitkan" else "archive"
    try:
        call("POST", path("/api/v1/courses/{}/" + verb, course_id))
    except ApiError as error:
        if error.unavailable:
            raise
        flash(problem_message(error), "error")
    else:
        done = _("Pelatihan diterbitkan.") if verb == "publish" else _("Pelatihan diarsipkan.")
        flash(done, "success")
    return redirect(url_for("backoffice.course", course_id=course_id), code=303)


def _trainers() -> list[dict[str, Any]]:
    data, _error = load_part(
        lambda: api_get("/api/v1/people", params={"role": "trainer", "per_page": 100})
    )
    return items_of(data)


@bp.route("/pelatihan/<course_id>/kelas/baru", methods=["GET", "POST"])
@roles_required("admin")
def create_class(course_id: str):
    """Open a class: dates, capacity, enrolment window, trainers."""
    course = api_get(path("/api/v1/courses/{}", course_id)) or {}
    if request.method == "GET":
        return _class_form(course, None, {}, {})
    return _save_class(course, None)


@bp.route("/kelas/<class_id>/ubah", methods=["GET", "POST"])
@roles_required("admin")
def edit_class(class_id: str):
    """Change a class: name, dates, capacity, enrolment window, place, trainers."""
    course_class = api_get(path("/api/v1/classes/{}", class_id)) or {}
    course = {"id": course_class.get("course_id"), "title": course_class.get("course_title")}
    if request.method == "GET":
        values = {**course_class, "capacity": str(course_class.get("capacity") or "")}
        return _class_form(course, course_class, values, {})
    return _save_class(course, course_class)


def _class_form(
    course: dict[str, Any],
    course_class: dict[str, Any] | None,
    values: Any,
    errors: dict[str, str],
    status: int = 200,
):
    if hasattr(values, "getlist"):
        chosen = set(values.getlist("trainer_ids"))
    else:
        chosen = set(values.get("trainer_ids") or [])
    return render_template(
        "admin/class_form.html",
        course=course,
        course_class=course_class,
        values=values,
        errors=errors,
        trainers=_trainers(),
        chosen=chosen,
    ), status


def _save_class(course: dict[str, Any], course_class: dict[str, Any] | None):
    """Create (course_class None) or change a class; the form again with the refusals."""
    if not ActionForm().validate():
        flash(_("Formulir kedaluwarsa. Silakan kirim ulang."), "error")
        return _class_form(course, course_class, request.form, {}, 400)
    body, errors = _class_body(request.form)
    if errors:
        return _class_form(course, course_class, request.form, errors, 422)
    try:
        if course_class is None:
            saved = call("POST", path("/api/v1/courses/{}/classes", course["id"]), json=body)
        else:
            saved = call("PATCH", path("/api/v1/classes/{}", course_class["id"]), json=body)
    except ApiError as error:
        if error.unavailable:
            raise
        errors = field_errors(error)
        coded = coded_message(error)
        if coded and errors:
            # A conflict with the class's state (seats taken, attendance): say which.
            errors = dict.fromkeys(errors, coded)
        if not errors:
            flash(problem_message(error), "error")
        return _class_form(course, course_class, request.form, errors, error.status)
    flash(_("Kelas dibuka.") if course_class is None else _("Kelas disimpan."), "success")
    return redirect(url_for("backoffice.course_class", class_id=saved["id"]), code=303)


def _class_body(form: Any) -> tuple[dict[str, Any], dict[str, str]]:
    body: dict[str, Any] = {"name": (form.get("name") or "").strip()}
    errors: dict[str, str] = {}
    for field in ("starts_on", "ends_on", "enrolment_opens_on", "enrolment_closes_on"):
        value = (form.get(field) or "").strip()
        if value:
            body[field] = value
    capacity = (form.get("capacity") or "").strip()
    if capacity.isdigit():
        body["capacity"] = int(capacity)
    else:
        errors["capacity"] = _("Isi dengan bilangan bulat.")
    place = (form.get("place") or "").strip()
    body["place"] = place or None
    body["online"] = bool(form.get("online"))
    body["trainer_ids"] = [t for t in form.getlist("trainer_ids") if t]
    return body, errors


@bp.get("/kelas/<class_id>")
@roles_required("admin")
def course_class(class_id: str):
    """A class: its figures and every enrolment with the decisions still open."""
    data = api_get(path("/api/v1/classes/{}", class_id)) or {}
    status = request.args.get("status", "")
    enrolments, error = load_part(
        lambda: api_get(
            "/api/v1/enrolments",
            params={"scope": "all", "class_id": class_id, "status": status, "per_page": 100},
        )
    )
    return render_template(
        "admin/class.html",
        course_class=data,
        enrolments=items_of(enrolments),
        total=(enrolments or {}).get("total") if isinstance(enrolments, dict) else None,
        error=error,
        status=status,
        form=ActionForm(),
    )

"""My development (an ASN's competencies, gaps, recommendations, JP, certificates and
apresiasi) and the supervisor's apresiasi form.

Each part of the development page loads on its own (load_parts, all at once): one failing
service empties one card, not the page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .auth import access_token, api_get, api_post, current_user, roles_required
from .gateway import ApiError, gateway, path
from .learner_views import _this_year
from .notification_views import unread_notifications
from .pages import (
    competency_names,
    field_messages,
    friendly,
    items_of,
    load_part,
    load_parts,
)

bp = Blueprint("development", __name__)

# The development page shows this many recommended courses (biggest gaps first).
RECOMMENDATIONS_SHOWN = 6
# Years a learner may pick for the JP ledger: the API's own bounds are wider.
FIRST_YEAR = 2000


def _year(raw: str | None, default: int) -> int:
    """The chosen year, or this year for anything that is not a sane year."""
    try:
        year = int(raw or default)
    except ValueError:
        return default
    return year if FIRST_YEAR <= year <= default + 1 else default


def jp_chart(jp: dict[str, Any]) -> dict[str, Any] | None:
    """Chart.js spec: JP earned per month (bars) and the running total against the target."""
    entries = [e for e in jp.get("entries") or [] if isinstance(e, dict)]
    if not entries:
        return None
    per_month = [0] * 12
    for entry in entries:
        month = str(entry.get("completed_on") or "")[5:7]
        if month.isdigit() and 1 <= int(month) <= 12:
            per_month[int(month) - 1] += int(entry.get("jp") or 0)
    running, total = [], 0
    for value in per_month:
        total += value
        running.append(total)
    months = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"]
    target = int(jp.get("target") or 0)
    return {
        "type": "bar",
        "data": {
            "labels": months,
            "datasets": [
                {"type": "bar", "label": _("JP per bulan"), "data": per_month},
                {"type": "line", "label": _("JP kumulatif"), "data": running},
                {"type": "line", "label": _("Target"), "data": [target] * 12, "pointRadius": 0},
            ],
        },
        "options": {"scales": {"y": {"beginAtZero": True}}},
    }


def _gaps(person_id: str, target: str) -> tuple[dict[str, Any] | None, str | None, str | None]:
    """Gaps for my position and the target; (gaps, part error, target field error)."""
    params = {"target_position": target} if target else {}
    try:
        data = api_get(path("/api/v1/people/{}/competency-gaps", person_id), params=params)
    except ApiError as error:
        if error.status == 422 and target:
            # An unknown target: show my own gaps and say what is wrong with the target.
            own, own_error = load_part(
                lambda: api_get(path("/api/v1/people/{}/competency-gaps", person_id))
            )
            message = field_messages(error).get("target_position") or friendly(error)
            return (own if isinstance(own, dict) else None), own_error, message
        return None, friendly(error), None
    return (data if isinstance(data, dict) else None), None, None


def recommended(data: Any) -> list[dict[str, Any]]:
    """Catalog's ranking (most gaps closed first), open classes ahead of the rest."""
    ranked = items_of(data)
    ranked.sort(key=lambda r: not r.get("has_open_class"))
    return ranked[:RECOMMENDATIONS_SHOWN]


@bp.get("/pengembangan")
@roles_required("asn")
def mine():
    """My competencies, gaps (my position and a target I pick), recommended courses, JP
    ledger for a year, certificates and the apresiasi I received; every part asked at once."""
    user = current_user()
    assert user is not None
    this_year = _this_year()
    year = _year(request.args.get("tahun"), this_year)
    target = (request.args.get("target") or "").strip()[:200]
    search = (request.args.get("cari") or "").strip()[:200]
    fetches = {
        "me": lambda: api_get(path("/api/v1/people/{}", user.id)),
        "plan": lambda: _my_plan(this_year),
        "names": competency_names,
        "bell": unread_notifications,
        **_competency_fetches(user.id, target),
        **_record_fetches(user.id, year),
    }
    if search:
        fetches["found"] = lambda: items_of(
            api_get("/api/v1/courses", params={"q": search, "per_page": 10})
        )
    loaded = load_parts(**fetches)
    me, me_error = loaded["me"]
    plan, plan_error = loaded["plan"]
    found, found_error = loaded.get("found", ([], None))
    return render_template(
        "development.html",
        me=me if isinstance(me, dict) else {},
        me_error=me_error,
        **_competency_parts(loaded, target),
        **_record_parts(loaded, year, this_year),
        names=loaded["names"][0],
        plan=plan,
        plan_error=plan_error,
        plan_year=this_year,
        search=search,
        found=found or [],
        found_error=found_error,
    )


def _competency_fetches(person_id: str, target: str) -> dict[str, Callable[[], Any]]:
    """Levels, self-assessments, gaps (against my position or `target`), recommendations."""
    return {
        "profile": lambda: api_get(path("/api/v1/people/{}/competencies", person_id)),
        "gaps": lambda: _gaps(person_id, target),
        "recommendations": lambda: api_get(
            "/api/v1/recommendations", params={"person_id": person_id, "per_page": 20}
        ),
        "standards": lambda: items_of(api_get("/api/v1/position-standards")),
    }


def _competency_parts(loaded: dict[str, tuple[Any, str | None]], target: str) -> dict[str, Any]:
    """The competency cards from what _competency_fetches loaded."""
    profile, profile_error = loaded["profile"]
    gaps, gaps_error, target_error = loaded["gaps"][0]
    recommendations, recommendations_error = loaded["recommendations"]
    standards, _error = loaded["standards"]
    profile = profile if isinstance(profile, dict) else {}
    return {
        "levels": items_of(profile.get("items")),
        "own": {str(a.get("code")): a for a in items_of(profile.get("self_assessments"))},
        "profile_error": profile_error,
        "gaps": gaps,
        "gaps_error": gaps_error,
        "target": target,
        "target_error": target_error,
        "positions": sorted({str(s.get("position")) for s in standards or [] if s.get("position")}),
        "recommendations": recommended(recommendations),
        "recommendations_error": recommendations_error,
    }


def _record_fetches(person_id: str, year: int) -> dict[str, Callable[[], Any]]:
    """The JP ledger of `year`, my certificates and the apresiasi I received."""
    return {
        "jp": lambda: api_get(path("/api/v1/people/{}/jp", person_id), params={"year": year}),
        "certificates": lambda: items_of(api_get("/api/v1/certificates")),
        "appreciations": lambda: items_of(
            api_get(path("/api/v1/people/{}/appreciations", person_id))
        ),
    }


def _record_parts(
    loaded: dict[str, tuple[Any, str | None]], year: int, this_year: int
) -> dict[str, Any]:
    """The JP ledger with its chart, certificates and apresiasi from _record_fetches."""
    jp, jp_error = loaded["jp"]
    certificates, certificates_error = loaded["certificates"]
    appreciations, appreciations_error = loaded["appreciations"]
    jp = jp if isinstance(jp, dict) else None
    return {
        "jp": jp,
        "jp_error": jp_error,
        "chart": jp_chart(jp) if jp else None,
        "year": year,
        "years": list(range(this_year, this_year - 5, -1)),
        "certificates": [c for c in certificates or [] if not c.get("revoked")],
        "certificates_error": certificates_error,
        "appreciations": appreciations or [],
        "appreciations_error": appreciations_error,
    }


# --- the development plan (catalog): the ASN's courses for the year ---------------


def _my_plan(year: int) -> dict[str, Any] | None:
    """My plan for the year, or None before I put a first course in it."""
    found = items_of(api_get("/api/v1/development-plans", params={"year": year}))
    return found[0] if found else None


def _back_to_plan():
    return redirect(url_for("development.mine", _anchor="rencana-h"), code=303)


def _plan_refused(error: ApiError, to: str = "development.mine"):
    """Flash the portal's own message for a refusal (never the API's detail)."""
    if error.unavailable:
        raise error
    flash(friendly(error), "error")
    return redirect(url_for(to), code=303)


@bp.post("/pengembangan/rencana")
@roles_required("asn")
def plan_add():
    """Put a course in my plan for this year (the plan starts with its first course)."""
    course_id = (request.form.get("course_id") or "").strip()[:36]
    note = (request.form.get("note") or "").strip()[:500] or None
    if not course_id:
        flash(_("Pilih pelatihan yang akan dimasukkan ke rencana."), "error")
        return _back_to_plan()
    try:
        plan = _my_plan(_this_year()) or api_post(
            "/api/v1/development-plans", json={"year": _this_year()}
        )
        api_post(
            path("/api/v1/development-plans/{}/items", plan["id"]),
            json={"course_id": course_id, "note": note},
        )
    except ApiError as error:
        return _plan_refused(error)
    flash(_("Pelatihan dimasukkan ke rencana pengembangan."), "success")
    return _back_to_plan()


@bp.post("/pengembangan/rencana/<uuid:plan_id>/hapus/<uuid:course_id>")
@roles_required("asn")
def plan_remove(plan_id: UUID, course_id: UUID):
    """Take a course out of my plan."""
    try:
        gateway().request(
            "DELETE",
            path("/api/v1/development-plans/{}/items/{}", plan_id, course_id),
            token=access_token(),
        )
    except ApiError as error:
        return _plan_refused(error)
    flash(_("Pelatihan dikeluarkan dari rencana."), "info")
    return _back_to_plan()


@bp.post("/pengembangan/rencana/<uuid:plan_id>/ajukan")
@roles_required("asn")
def plan_submit(plan_id: UUID):
    """Send my plan to my supervisor."""
    try:
        api_post(path("/api/v1/development-plans/{}/submit", plan_id), json={})
    except ApiError as error:
        return _plan_refused(error)
    flash(_("Rencana pengembangan diajukan ke atasan."), "success")
    return _back_to_plan()


@bp.get("/tim/rencana")
@roles_required("supervisor")
def team_plans():
    """My team's development plans waiting for my decision."""
    data = api_get("/api/v1/development-plans", params={"scope": "team", "status": "submitted"})
    return render_template("team_plans.html", plans=items_of(data))


@bp.post("/tim/rencana/<uuid:plan_id>/setujui")
@roles_required("supervisor")
def plan_approve(plan_id: UUID):
    """Approve a plan."""
    try:
        api_post(path("/api/v1/development-plans/{}/approve", plan_id), json={})
    except ApiError as error:
        return _plan_refused(error, "development.team_plans")
    flash(_("Rencana pengembangan disetujui."), "success")
    return redirect(url_for("development.team_plans"), code=303)


@bp.post("/tim/rencana/<uuid:plan_id>/kembalikan")
@roles_required("supervisor")
def plan_return(plan_id: UUID):
    """Return a plan with what the person should change (the comment is required)."""
    comment = (request.form.get("comment") or "").strip()[:2000]
    if not comment:
        flash(_("Tuliskan catatan untuk pegawai sebelum mengembalikan rencana."), "error")
        return redirect(url_for("development.team_plans"), code=303)
    try:
        api_post(path("/api/v1/development-plans/{}/return", plan_id), json={"comment": comment})
    except ApiError as error:
        return _plan_refused(error, "development.team_plans")
    flash(_("Rencana dikembalikan kepada pegawai dengan catatan."), "info")
    return redirect(url_for("development.team_plans"), code=303)


# The apresiasi form's fields, by the API's names.
_APRESIASI_FIELDS = {"reason": "reason", "basis": "basis", "course_code": "course_code"}


@bp.route("/tim/<uuid:person_id>/apresiasi", methods=["GET", "POST"])
@roles_required("supervisor")
def give_apresiasi(person_id: UUID):
    """Recognise someone in my line for a training they completed or a shown improvement."""
    person = api_get(path("/api/v1/people/{}", person_id)) or {}
    user = current_user()
    assert user is not None
    if str(person.get("id")) == user.id:
        abort(403)
    trainings = _completed_trainings(person_id)
    errors: dict[str, str] = {}
    values = request.form
    if request.method == "POST":
        body, errors = _apresiasi_input(values, trainings)
        if not errors:
            try:
                api_post(path("/api/v1/people/{}/appreciations", person_id), json=body)
            except ApiError as error:
                if error.unavailable:
                    raise
                flash(friendly(error), "error")
                for field, message in field_messages(error).items():
                    errors[_APRESIASI_FIELDS.get(field, field)] = message
            else:
                flash(_("Apresiasi untuk %(name)s tersimpan.", name=person.get("name")), "success")
                return redirect(url_for("supervisor.team"), code=303)
    page = render_template(
        "apresiasi_form.html", person=person, trainings=trainings, errors=errors, values=values
    )
    return page, (400 if errors else 200)


def _completed_trainings(person_id: UUID) -> list[dict[str, Any]]:
    """Trainings the person completed (their JP ledger, this year and the four before)."""
    this_year = _this_year()
    seen: dict[str, dict[str, Any]] = {}
    for year in range(this_year, this_year - 5, -1):
        jp, _error = load_part(
            api_get, path("/api/v1/people/{}/jp", person_id), params={"year": year}
        )
        for entry in items_of((jp or {}).get("entries") if isinstance(jp, dict) else None):
            code = entry.get("course_code")
            if code and code not in seen:
                seen[str(code)] = {"code": str(code), "title": entry.get("title") or code}
    return list(seen.values())


def _apresiasi_input(form: Any, trainings: list[dict[str, Any]]) -> tuple[dict[str, Any], dict]:
    """The API body from the posted form, and the problems found (by field)."""
    errors: dict[str, str] = {}
    basis = form.get("basis", "")
    reason = (form.get("reason") or "").strip()
    body: dict[str, Any] = {"reason": reason[:2000]}
    if basis not in ("training", "improvement"):
        errors["basis"] = _("Pilih dasar apresiasi.")
    else:
        body["basis"] = basis
    if basis == "training":
        code = form.get("course_code", "")
        if code not in {t["code"] for t in trainings}:
            errors["course_code"] = _("Pilih pelatihan yang sudah diselesaikan.")
        else:
            body["course_code"] = code
    if len(reason) < 3:
        errors["reason"] = _("Tuliskan alasan apresiasi (minimal 3 karakter).")
    return body, errors


def unit_rows(units: Any, impact: Any) -> list[dict[str, Any]]:
    """Personnel's unit figures with evaluation's impact ratings added up over each unit's
    sub-units (an average weighted by the number of evaluations)."""
    by_unit = {str(i.get("unit_code")): i for i in items_of(impact)}
    rows = []
    for unit in items_of(units):
        done = [by_unit[c] for c in unit.get("unit_codes") or [] if c in by_unit]
        count = sum(int(d.get("evaluations") or 0) for d in done)
        rated = [d for d in done if d.get("impact_rating_avg") is not None]
        weight = sum(int(d.get("evaluations") or 0) for d in rated)
        average = (
            round(sum(d["impact_rating_avg"] * int(d["evaluations"]) for d in rated) / weight, 2)
            if weight
            else None
        )
        small = not unit.get("enough_people")
        rows.append(
            {
                **unit,
                "evaluations": None if small else count,
                "impact_rating_avg": None if small else average,
            }
        )
    return rows


def share_chart(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Chart.js spec: the share at the JP target per unit, in percent."""
    shown = [r for r in rows if r.get("at_target_share") is not None]
    if not shown:
        return None
    return {
        "type": "bar",
        "data": {
            "labels": [r["name"] for r in shown],
            "datasets": [
                {
                    "label": _("Pegawai mencapai target JP (%)"),
                    "data": [round(r["at_target_share"] * 100) for r in shown],
                }
            ],
        },
        "options": {"indexAxis": "y", "scales": {"x": {"min": 0, "max": 100}}},
    }


@bp.get("/unit")
@roles_required("supervisor", "admin")
def units():
    """Units side by side (the top-level ones, or those under `induk`): share of people at
    the JP target, trainings completed, impact ratings; figures only, nobody named."""
    this_year = _this_year()
    year = _year(request.args.get("tahun"), this_year)
    parent = (request.args.get("induk") or "").strip()[:50]
    params: dict[str, Any] = {"year": year}
    if parent:
        params["parent_code"] = parent
    figures, error = load_part(lambda: api_get("/api/v1/unit-development", params=params))
    impact, impact_error = load_part(
        lambda: api_get("/api/v1/reports/impact-by-unit", params={"year": year})
    )
    rows = unit_rows(figures, impact)
    return render_template(
        "units.html",
        rows=rows,
        error=error,
        impact_error=impact_error,
        chart=share_chart(rows),
        parent=parent,
        year=year,
        years=list(range(this_year, this_year - 5, -1)),
        min_people=(figures or {}).get("min_people") if isinstance(figures, dict) else None,
    )

"""The supervisor's pages: approvals, the team, impact evaluations."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .auth import api_get, api_post, current_user, roles_required
from .forms import ActionForm, RejectForm
from .gateway import ApiError, path
from .pages import competency_names, field_messages, friendly, items_of, load_part

bp = Blueprint("supervisor", __name__)

# A team page asks personnel once per person for their JP: a sane upper bound.
TEAM_JP_LIMIT = 50


@bp.get("/persetujuan")
@roles_required("supervisor", "admin")
def approvals():
    """Requests waiting for my decision (a supervisor's team; an admin's: everyone's)."""
    user = current_user()
    assert user is not None
    scope = "team" if user.has("supervisor") else "all"
    data = api_get(
        "/api/v1/enrolments", params={"scope": scope, "status": "requested", "per_page": 100}
    )
    # A supervisor is also a learner: their own requests are not theirs to approve.
    pending = [e for e in items_of(data) if str(e.get("learner_id")) != user.id]
    return render_template(
        "approvals.html", enrolments=pending, form=ActionForm(), reject_form=RejectForm()
    )


@bp.post("/persetujuan/<uuid:enrolment_id>/setujui")
@roles_required("supervisor", "admin")
def approve(enrolment_id: UUID):
    """Approve a request: enrolled, or waitlisted when the class is full."""
    try:
        result = api_post(path("/api/v1/enrolments/{}/approve", enrolment_id), json={}) or {}
    except ApiError as error:
        return _refused(error)
    if isinstance(result, dict) and result.get("status") == "waitlisted":
        flash(_("Disetujui. Kelas sudah penuh: peserta masuk daftar tunggu."), "warning")
    else:
        flash(_("Permintaan disetujui."), "success")
    return redirect(url_for("supervisor.approvals"), code=303)


@bp.post("/persetujuan/<uuid:enrolment_id>/tolak")
@roles_required("supervisor", "admin")
def reject(enrolment_id: UUID):
    """Reject a request; the API requires a reason, so the page does too."""
    form = RejectForm()
    reason = (form.reason.data or "").strip() if form.validate() else ""
    if not reason:
        flash(_("Tuliskan alasan penolakan."), "error")
        return redirect(url_for("supervisor.approvals"), code=303)
    try:
        api_post(path("/api/v1/enrolments/{}/reject", enrolment_id), json={"reason": reason})
    except ApiError as error:
        return _refused(error)
    flash(_("Permintaan ditolak."), "info")
    return redirect(url_for("supervisor.approvals"), code=303)


def _refused(error: ApiError):
    if error.unavailable:
        raise error
    flash(friendly(error), "error")
    return redirect(url_for("supervisor.approvals"), code=303)


@bp.get("/tim")
@roles_required("supervisor")
def team():
    """Everyone below me (direct subordinates first): JP against the target, competency
    gaps, current enrolments and their progress, their overdue reaction surveys and the
    impact evaluations overdue with me;
    `bawah_target=1` keeps only those below the JP target."""
    user = current_user()
    assert user is not None
    below_only = request.args.get("bawah_target") == "1"
    people, error = load_part(lambda: items_of(api_get("/api/v1/people", params={"per_page": 100})))
    # Personnel answers me and everyone below me: the page is about the others.
    members = [p for p in people or [] if str(p.get("id")) != user.id]
    members.sort(key=lambda p: (str(p.get("supervisor_id")) != user.id, str(p.get("name"))))
    enrolments, enrolments_error = load_part(
        lambda: items_of(api_get("/api/v1/enrolments", params={"scope": "team", "per_page": 100}))
    )
    overdue, overdue_error = load_part(
        lambda: items_of(
            api_get("/api/v1/impact-evaluations", params={"status": "overdue", "per_page": 100})
        )
    )
    rows = []
    for index, person in enumerate(members):
        in_detail = index < TEAM_JP_LIMIT
        row = _member_row(person, in_detail, user.id, enrolments, overdue, below_only)
        if row is not None:
            rows.append(row)
    unit_apresiasi, unit_apresiasi_error = load_part(lambda: _unit_appreciations())
    # Members I already reminded this week get no second button (the API refuses it anyway).
    sent, _error = load_part(lambda: items_of(api_get("/api/v1/nudges")))
    nudged = {str(n.get("person_id")) for n in sent or []}
    return render_template(
        "team.html",
        nudged=nudged,
        form=ActionForm(),
        unit_apresiasi=unit_apresiasi or [],
        unit_apresiasi_error=unit_apresiasi_error,
        rows=rows,
        error=error,
        enrolments_error=enrolments_error,
        overdue_error=overdue_error,
        me=user.id,
        below_only=below_only,
        names=competency_names(),
    )


def _member_row(
    person: dict[str, Any],
    in_detail: bool,
    me: str,
    enrolments: list[dict[str, Any]] | None,
    overdue: list[dict[str, Any]] | None,
    below_only: bool,
) -> dict[str, Any] | None:
    """One team member's row, None when `below_only` and they are not below the JP target.
    JP, gaps, surveys and indirect reports' enrolments are read one by one, so only for
    the first TEAM_JP_LIMIT members (`in_detail`)."""
    pid = str(person.get("id"))
    jp = gaps = surveys = None
    theirs: list[dict[str, Any]] | None = [
        e for e in enrolments or [] if str(e.get("learner_id")) == pid
    ]
    if in_detail and person.get("id"):
        surveys, _error = load_part(
            lambda: items_of(
                api_get(
                    "/api/v1/surveys",
                    params={"learner_id": pid, "status": "overdue", "per_page": 100},
                )
            )
        )
        jp, _error = load_part(lambda: api_get(path("/api/v1/people/{}/jp", pid)))
        gaps, _error = load_part(lambda: api_get(path("/api/v1/people/{}/competency-gaps", pid)))
    jp = jp if isinstance(jp, dict) else None
    if below_only and not (jp and jp.get("shortfall")):
        return None
    if in_detail and person.get("id") and str(person.get("supervisor_id")) != me:
        # My team list holds my direct reports' enrolments; the others', one by one.
        theirs, _error = load_part(
            lambda: items_of(
                api_get(
                    "/api/v1/enrolments",
                    params={"scope": "team", "learner_id": pid, "per_page": 100},
                )
            )
        )
    return {
        "person": person,
        "jp": jp,
        "gaps": [g for g in items_of(gaps) if g.get("gap")],
        "enrolments": [
            e for e in theirs or [] if e.get("status") in ("requested", "waitlisted", "enrolled")
        ],
        "overdue": [e for e in overdue or [] if str(e.get("learner_id")) == pid],
        "overdue_surveys": surveys or [],
    }


def _unit_appreciations() -> list[dict[str, Any]]:
    """The latest apresiasi in my unit (its sub-units too) among the people I lead."""
    me = api_get("/api/v1/me") or {}
    if not me.get("unit_code"):
        return []
    return items_of(
        api_get(path("/api/v1/units/{}/appreciations", me["unit_code"]), params={"per_page": 10})
    )


@bp.get("/evaluasi-dampak")
@roles_required("supervisor", "asn")
def impact_evaluations():
    """Impact evaluations assigned to me: open ones first, then those already done."""
    data, error = load_part(
        lambda: items_of(api_get("/api/v1/impact-evaluations", params={"per_page": 100}))
    )
    evaluations = data or []
    open_ones = [e for e in evaluations if e.get("status") != "done"]
    done = [e for e in evaluations if e.get("status") == "done"]
    return render_template("impact_list.html", open_ones=open_ones, done=done, error=error)


def _impact_input(evaluation: dict[str, Any], form: Any) -> tuple[dict[str, Any], dict]:
    """The API body from the posted form, and the problems found (by field)."""
    errors: dict[str, str] = {}
    ratings = []
    for competency in evaluation.get("competencies") or []:
        code = str(competency.get("code", ""))
        raw = form.get(f"rating-{code}", "")
        if not (raw.isdigit() and 1 <= int(raw) <= 5):
            errors[f"rating-{code}"] = _("Pilih nilai 1 sampai 5.")
            continue
        rating: dict[str, Any] = {"competency_code": code, "rating": int(raw)}
        note = (form.get(f"note-{code}") or "").strip()[:2000]
        if note:
            rating["note"] = note
        ratings.append(rating)
    impact = form.get("impact_rating", "")
    if not (impact.isdigit() and 1 <= int(impact) <= 5):
        errors["impact_rating"] = _("Pilih nilai 1 sampai 5.")
    evidence = (form.get("evidence_text") or "").strip()[:10_000]
    if not evidence:
        errors["evidence_text"] = _("Wajib diisi.")
    body: dict[str, Any] = {
        "behaviour_ratings": ratings,
        "evidence_text": evidence,
        "impact_rating": int(impact) if impact.isdigit() else None,
    }
    evidence_url = (form.get("evidence_url") or "").strip()
    if evidence_url:
        body["evidence_url"] = evidence_url
    notes = (form.get("notes") or "").strip()[:5000]
    if notes:
        body["notes"] = notes
    title = (form.get("appreciation_title") or "").strip()[:200]
    if title and evaluation.get("evaluator_role") == "supervisor":
        description = (form.get("appreciation_description") or "").strip()[:5000]
        body["appreciation"] = {"title": title, "description": description or None}
    return body, errors


# The API's field names, as the form's.
_API_FIELDS = {
    "evidence_text": "evidence_text",
    "evidence_url": "evidence_url",
    "impact_rating": "impact_rating",
    "notes": "notes",
    "appreciation.title": "appreciation_title",
}


@bp.route("/evaluasi-dampak/<uuid:evaluation_id>", methods=["GET", "POST"])
@roles_required("supervisor", "asn")
def impact_evaluation(evaluation_id: UUID):
    """The evaluation form: behaviour change per competency, evidence, impact on work."""
    evaluation = api_get(path("/api/v1/impact-evaluations/{}", evaluation_id)) or {}
    user = current_user()
    assert user is not None
    submission = None
    if evaluation.get("status") == "done":
        submission, _error = load_part(
            lambda: api_get(path("/api/v1/impact-evaluations/{}/submission", evaluation_id))
        )
    errors: dict[str, str] = {}
    if request.method == "POST" and evaluation.get("status") != "done":
        body, errors = _impact_input(evaluation, request.form)
        if not errors:
            try:
                api_post(path("/api/v1/impact-evaluations/{}/submission", evaluation_id), json=body)
            except ApiError as error:
                if error.unavailable:
                    raise
                flash(friendly(error), "error")
                for field, message in field_messages(error).items():
                    errors[_API_FIELDS.get(field, field)] = message
            else:
                flash(_("Evaluasi dampak tersimpan. Terima kasih."), "success")
                return redirect(url_for("supervisor.impact_evaluations"), code=303)
    page = render_template(
        "impact_form.html",
        evaluation=evaluation,
        submission=submission if isinstance(submission, dict) else None,
        may_submit=evaluation.get("evaluator_id") == user.id,
        names=competency_names() if evaluation.get("competencies") else {},
        errors=errors,
        values=request.form,
    )
    return page, (400 if errors else 200)

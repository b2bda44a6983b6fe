"""The supervisor's pages: approvals, the team, impact evaluations due."""

from __future__ import annotations

from uuid import UUID

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from .auth import api_get, api_post, current_user, roles_required
from .forms import ActionForm, ImpactEvaluationForm, RejectForm
from .gateway import ApiError, path
from .pages import friendly, items_of, load_part

bp = Blueprint("supervisor", __name__)


@bp.get("/persetujuan")
@roles_required("supervisor", "admin")
def approvals():
    """Requests waiting for my decision."""
    user = current_user()
    assert user is not None
    data = api_get("/api/v1/enrolments", params={"status": "requested", "per_page": 100})
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
        result = api_post(path("/api/v1/enrolments/{}/approve", enrolment_id)) or {}
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
    """Reject a request, with an optional reason."""
    form = RejectForm()
    reason = (form.reason.data or "").strip() if form.validate() else ""
    try:
        api_post(path("/api/v1/enrolments/{}/reject", enrolment_id), json={"reason": reason})
    except ApiError as error:
        return _refused(error)
    flash(_("Permintaan ditolak."), "info")
    return redirect(url_for("supervisor.approvals"), code=303)


def _refused(error: ApiError):
    if error.status == 401 or error.unavailable:
        raise error
    flash(friendly(error), "error")
    return redirect(url_for("supervisor.approvals"), code=303)


@bp.get("/tim")
@roles_required("supervisor")
def team():
    """My direct subordinates and their JP this year."""
    user = current_user()
    assert user is not None
    people, error = load_part(
        lambda: items_of(
            api_get("/api/v1/people", params={"supervisor_id": user.id, "per_page": 100})
        )
    )
    return render_template("team.html", people=people or [], error=error)


@bp.get("/evaluasi-dampak")
@roles_required("supervisor")
def impact_evaluations():
    """Impact evaluations due from me."""
    data, error = load_part(
        lambda: items_of(
            api_get("/api/v1/impact-evaluations", params={"status": "due", "per_page": 100})
        )
    )
    return render_template("impact_list.html", evaluations=data or [], error=error)


@bp.route("/evaluasi-dampak/<uuid:evaluation_id>", methods=["GET", "POST"])
@roles_required("supervisor")
def impact_evaluation(evaluation_id: UUID):
    """The evaluation form: behaviour change, impact on work, evidence."""
    evaluation = api_get(path("/api/v1/impact-evaluations/{}", evaluation_id))
    form = ImpactEvaluationForm()
    if form.validate_on_submit():
        body = {
            "behaviour_rating": int(form.behaviour_rating.data),
            "impact_rating": int(form.impact_rating.data),
            "evidence": (form.evidence.data or "").strip(),
        }
        try:
            api_post(path("/api/v1/impact-evaluations/{}/submit", evaluation_id), json=body)
        except ApiError as error:
            if error.status == 401 or error.unavailable:
                raise
            flash(friendly(error), "error")
        else:
            flash(_("Evaluasi dampak tersimpan. Terima kasih."), "success")
            return redirect(url_for("supervisor.impact_evaluations"), code=303)
    return render_template(
        "impact_form.html",
        evaluation=evaluation if isinstance(evaluation, dict) else {},
        form=form,
    )

"""My classes: roster with progress, learning gain, CSV/XLSX; attendance and completion."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from cakap_shared.tabular import csv_response, xlsx_response
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..auth import roles_required
from ..forms import ActionForm
from ..gateway import ApiError, path
from ..i18n import display_day
from ..pages import load_part
from . import api, bp, messages, progress


@bp.get("/kelas")
@roles_required("trainer")
def classes():
    """The classes the trainer teaches."""
    items, error = load_part(api.my_classes)
    return render_template("trainer/classes.html", classes=items or [], error=error)


@bp.get("/kelas/<class_id>")
@roles_required("trainer")
def klass(class_id: str):
    """Roster with each learner's progress per module and test, and the learning gain."""
    data = progress.class_progress(class_id)
    return render_template("trainer/class.html", label=progress.label, **data)


@bp.get("/kelas/<class_id>/ekspor.<fmt>")
@roles_required("trainer")
def export_class(class_id: str, fmt: str):
    """The roster, progress and learning gain as CSV or XLSX (formulas escaped)."""
    if fmt not in ("csv", "xlsx"):
        return redirect(url_for(".klass", class_id=class_id))
    header, rows = progress.export_rows(progress.class_progress(class_id))
    name = f"kelas-{class_id[:8]}"
    if fmt == "csv":
        return csv_response(f"{name}.csv", header, rows)
    return xlsx_response(f"{name}.xlsx", header, rows, sheet="Kelas")


def _today() -> str:
    """Today where the city is: session days after it cannot be recorded yet."""
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Jakarta")
    return datetime.now(zone).date().isoformat()


@bp.route("/kelas/<class_id>/kehadiran", methods=["GET", "POST"])
@roles_required("trainer")
def attendance(class_id: str):
    """Attendance per session day, and who meets the course's completion rule."""
    form = ActionForm()
    if request.method == "POST" and form.validate_on_submit():
        saved, problems = progress.save_attendance(class_id, request.form, _today())
        for problem in problems:
            flash(problem, "error")
        if saved:
            flash(_("Kehadiran %(n)s hari sesi disimpan.", n=saved), "success")
        return redirect(url_for(".attendance", class_id=class_id))
    data = progress.attendance_sheet(class_id)
    return render_template(
        "trainer/attendance.html",
        form=form,
        today=_today(),
        unmet_text=messages.unmet_text,
        **data,
    )


@bp.post("/kelas/<class_id>/selesaikan")
@roles_required("trainer")
def complete_class(class_id: str):
    """Complete every learner who meets the rule, in one step."""
    if not ActionForm().validate_on_submit():
        return redirect(url_for(".attendance", class_id=class_id))
    api.taught_class(class_id)
    try:
        result = api.call("POST", path("/api/v1/classes/{}/completions", class_id)).data
    except ApiError as error:
        flash(messages.completion_problem(error), "error")
        return redirect(url_for(".attendance", class_id=class_id))
    done = result.get("completed") or []
    left = result.get("not_completed") or []
    flash(
        _(
            "%(done)s peserta diselesaikan; JP dan sertifikat mereka diproses. "
            "%(left)s peserta belum memenuhi syarat.",
            done=len(done),
            left=len(left),
        ),
        "success" if done else "warning",
    )
    return redirect(url_for(".attendance", class_id=class_id))


@bp.post("/kelas/<class_id>/selesaikan/<enrolment_id>")
@roles_required("trainer")
def complete_learner(class_id: str, enrolment_id: str):
    """Complete one learner; catalog refuses (and the page says why in Indonesian)."""
    back = request.form.get("back") == "kelas"
    target = url_for(".klass" if back else ".attendance", class_id=class_id)
    if not ActionForm().validate_on_submit():
        return redirect(target)
    api.taught_class(class_id)
    try:
        done = api.call("POST", path("/api/v1/enrolments/{}/complete", enrolment_id)).data
    except ApiError as error:
        flash(messages.completion_problem(error), "error")
    else:
        flash(
            _(
                "%(name)s diselesaikan; JP dan sertifikat diproses.",
                name=done.get("learner_name", ""),
            ),
            "success",
        )
    return redirect(target)


@bp.post("/kelas/<class_id>/sesi")
@roles_required("trainer")
def add_session(class_id: str):
    """Add a session day between the class's start and end."""
    if ActionForm().validate_on_submit():
        api.taught_class(class_id)
        day = (request.form.get("day") or "").strip()
        try:
            api.call("POST", path("/api/v1/classes/{}/sessions", class_id), json={"day": day})
        except ApiError as error:
            flash(messages.session_problem(error), "error")
        else:
            flash(_("Hari sesi %(day)s ditambahkan.", day=display_day(day)), "success")
    return redirect(url_for(".attendance", class_id=class_id) + "#hari-sesi")


@bp.post("/kelas/<class_id>/sesi/<day>/hapus")
@roles_required("trainer")
def remove_session(class_id: str, day: str):
    """Remove a session day and the attendance recorded on it."""
    if ActionForm().validate_on_submit():
        api.taught_class(class_id)
        try:
            api.call("DELETE", path("/api/v1/classes/{}/sessions/{}", class_id, day))
        except ApiError as error:
            flash(messages.session_problem(error), "error")
        else:
            flash(_("Hari sesi %(day)s dihapus.", day=display_day(day)), "success")
    return redirect(url_for(".attendance", class_id=class_id) + "#hari-sesi")


@bp.route("/kelas/<class_id>/kehadiran/<day>", methods=["GET", "POST"])
@roles_required("trainer")
def attendance_day(class_id: str, day: str):
    """Attendance of one session day: one tick per learner, easy on a phone."""
    form = ActionForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            progress.save_day(class_id, day, request.form.getlist("hadir"))
        except ApiError as error:
            flash(messages.attendance_problem(error), "error")
        else:
            flash(_("Kehadiran %(day)s disimpan.", day=display_day(day)), "success")
            return redirect(url_for(".attendance", class_id=class_id))
    data = progress.attendance_sheet(class_id)
    if day not in [str(s.get("day")) for s in data["sheet"].get("sessions") or []]:
        raise ApiError(404, None)
    return render_template(
        "trainer/attendance_day.html", form=form, day=day, today=_today(), **data
    )

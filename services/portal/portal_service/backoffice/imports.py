"""People import: upload, a progress page that polls the background job, the result."""

from __future__ import annotations

from typing import Any

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..account_views import SHEET_TYPES, issued_sheet_file
from ..auth import roles_required
from ..forms import ActionForm
from ..gateway import ApiError, path
from . import bp
from .api import call, passthrough_file, problem_message

# At most this many row errors are shown on the page; the file holds them all.
SHOWN_ERRORS = 500
FIELD_LABELS = {
    "nip": _l("NIP"),
    "name": _l("Nama"),
    "unit_code": _l("Unit kerja"),
    "position": _l("Jabatan"),
    "grade": _l("Golongan"),
    "supervisor_nip": _l("NIP atasan"),
    "employment_type": _l("Jenis kepegawaian"),
    "position_type": _l("Jenis jabatan"),
    "status": _l("Status"),
    "email": _l("Surel"),
    "row": _l("Baris"),
}
# What each column's row error means, in the portal's words (the API's English sentence,
# with the offending value, stays in the downloadable file).
ROW_MESSAGES = {
    "nip": _l("NIP tidak valid, kosong, atau ganda di berkas ini."),
    "name": _l("Nama kosong atau tidak berisi huruf."),
    "unit_code": _l("Unit kerja tidak dikenal di Cakap."),
    "position": _l("Jabatan kosong atau terlalu panjang."),
    "grade": _l("Golongan tidak dikenal untuk jenis kepegawaian ini."),
    "supervisor_nip": _l(
        "Atasan tidak ditemukan (di berkas atau di Cakap), atasan diri sendiri, atau "
        "rantai atasan berputar."
    ),
    "employment_type": _l("Jenis kepegawaian harus PNS atau PPPK."),
    "position_type": _l("Jenis jabatan tidak dikenal."),
    "status": _l("Status tidak dikenal (aktif, cuti, pensiun)."),
    "email": _l("Alamat surel tidak valid."),
    "row": _l("Baris tidak dapat disimpan karena data berubah selama impor; impor ulang berkas."),
}
STAGES = {
    "queued": _l("Menunggu giliran"),
    "reading": _l("Membaca berkas"),
    "checking": _l("Memeriksa baris"),
    "writing": _l("Menyimpan"),
    "done": _l("Selesai"),
    "failed": _l("Gagal"),
}


@bp.get("/pegawai/impor")
@roles_required("admin")
def import_people():
    """The upload form, with the columns the file needs."""
    return render_template("admin/import.html", form=ActionForm())


@bp.post("/pegawai/impor")
@roles_required("admin")
def start_import():
    """Hand the file to personnel as a background job and show its progress page."""
    form = ActionForm()
    upload = request.files.get("file")
    if not form.validate() or upload is None or not upload.filename:
        flash(_("Pilih berkas CSV atau XLSX terlebih dahulu."), "error")
        return redirect(url_for("backoffice.import_people"), code=303)
    try:
        job = call(
            "POST",
            "/api/v1/people/import-jobs",
            files={"file": (upload.filename, upload.stream, upload.mimetype or "text/csv")},
        )
    except ApiError as error:
        if error.unavailable:
            raise
        flash(problem_message(error), "error")
        return redirect(url_for("backoffice.import_people"), code=303)
    return redirect(url_for("backoffice.import_job", job_id=job["id"]), code=303)


def _stage_label(stage: Any) -> str:
    """The job's stage in the portal's words; one it does not know, as the API names it."""
    return str(STAGES.get(stage, stage)) if isinstance(stage, str) else str(stage)


def _job(job_id: str) -> dict[str, Any]:
    data = call("GET", path("/api/v1/people/import-jobs/{}", job_id))
    return data if isinstance(data, dict) else {}


@bp.get("/pegawai/impor/<job_id>")
@roles_required("admin")
def import_job(job_id: str):
    """Progress while the job runs; counts and row errors when it is done."""
    job = _job(job_id)
    errors = [
        {
            "row": e.get("row"),
            "label": str(FIELD_LABELS.get(e.get("field"), e.get("field"))),
            "message": str(ROW_MESSAGES.get(e.get("field")) or _("Isian ini tidak valid.")),
        }
        for e in (job.get("errors") or [])[:SHOWN_ERRORS]
    ]
    return render_template(
        "admin/import_job.html",
        job=job,
        errors=errors,
        stage=_stage_label(job.get("stage")),
        shown=SHOWN_ERRORS,
    )


@bp.get("/pegawai/impor/<job_id>/status")
@roles_required("admin")
def import_job_status(job_id: str):
    """What the progress bar needs (the page polls this)."""
    job = _job(job_id)
    return jsonify(
        status=job.get("status"),
        stage=_stage_label(job.get("stage")),
        rows_done=job.get("rows_done", 0),
        rows_total=job.get("rows_total", 0),
    )


@bp.get("/pegawai/impor/<job_id>/galat.<any(csv, xlsx):fmt>")
@roles_required("admin")
def import_errors_file(job_id: str, fmt: str):
    """Every row error of the job as CSV or XLSX."""
    return passthrough_file(
        path("/api/v1/people/import-jobs/{}/errors", job_id), params={"format": fmt}
    )


@bp.post("/pegawai/impor/<job_id>/aktivasi")
@roles_required("admin")
def import_activations(job_id: str):
    """Activation codes for exactly the people this import created: on screen or as a sheet."""
    form = ActionForm()
    if not form.validate():
        return redirect(url_for("backoffice.import_job", job_id=job_id), code=303)
    api = path("/api/v1/people/import-jobs/{}/activations", job_id)
    kind = request.form.get("format", "html")
    try:
        if kind in SHEET_TYPES:
            return issued_sheet_file(api, kind)
        rows = call("POST", api)
    except ApiError as error:
        if error.unavailable:
            raise
        flash(problem_message(error), "error")
        return redirect(url_for("backoffice.import_job", job_id=job_id), code=303)
    items = rows.get("items", []) if isinstance(rows, dict) else []
    return render_template("admin/import_activations.html", job_id=job_id, rows=items)

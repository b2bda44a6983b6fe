"""The trainer's page: upload a module."""

from __future__ import annotations

import logging

from flask import Blueprint, flash, render_template
from flask_babel import gettext as _

from .auth import api_post, roles_required
from .forms import ModuleUploadForm
from .gateway import ApiError
from .pages import field_messages, friendly

bp = Blueprint("trainer", __name__)
log = logging.getLogger("portal.trainer")


@bp.route("/modul/unggah", methods=["GET", "POST"])
@roles_required("trainer", "admin")
def upload_module():
    """Upload a SCORM package, PDF or video; elearning checks it and says what is wrong."""
    form = ModuleUploadForm()
    module = None
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        upload = form.file.data
        data = {"title": form.title.data.strip()} if form.title.data else {}
        try:
            module = api_post(
                "/api/v1/modules",
                data=data,
                files={
                    "file": (
                        upload.filename or "module",
                        upload.stream,
                        upload.mimetype or "application/octet-stream",
                    )
                },
            )
        except ApiError as error:
            if error.unavailable:
                raise
            if error.status == 413:
                flash(_("Berkas terlalu besar."), "error")
            else:
                flash(friendly(error), "error")
            errors = field_messages(error)
        else:
            flash(_("Modul berhasil diunggah."), "success")
    status = 400 if form.errors else 200
    return (
        render_template(
            "upload.html",
            form=form,
            module=module if isinstance(module, dict) else None,
            api_errors=errors,
        ),
        status,
    )

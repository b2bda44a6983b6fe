"""My modules: list, upload with a progress bar, new version, where each is used."""

from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..auth import roles_required
from ..forms import ModuleUploadForm
from ..gateway import ApiError, path
from ..learner_views import open_player
from ..pages import load_part
from . import api, bp, messages


def _go(target: str) -> Response:
    """A redirect, or its address as JSON for the upload script (it navigates itself)."""
    if request.headers.get("X-Requested-With") == "XMLHttpRequest":
        return jsonify(location=target)
    return redirect(target)


@bp.get("/modul")
@roles_required("trainer")
def modules():
    """The trainer's modules with their versions and the courses holding them."""
    items, error = load_part(api.my_modules)
    return render_template(
        "trainer/modules.html", modules=items or [], error=error, form=ModuleUploadForm()
    )


@bp.post("/modul")
@roles_required("trainer")
def upload_module():
    """A new module; the browser shows the upload's progress (static/trainer.js)."""
    form = ModuleUploadForm()
    if not form.validate_on_submit():
        flash(_("Pilih berkas yang akan diunggah."), "error")
        return _go(url_for(".modules"))
    try:
        created = api.upload("/api/v1/modules", form.title.data, form.file.data)
    except ApiError as error:
        flash(messages.upload_problem(error), "error")
        return _go(url_for(".modules"))
    flash(_("Modul “%(title)s” berhasil diunggah.", title=created.get("title", "")), "success")
    return _go(url_for(".module", module_id=created["id"]))


@bp.get("/modul/<module_id>")
@roles_required("trainer")
def module(module_id: str):
    """One module: its items, where it is used, and a new version."""
    found = api.module(module_id)
    used, used_error = load_part(lambda: api.courses_using(module_id=module_id))
    return render_template(
        "trainer/module.html",
        module=found,
        used=used or [],
        used_error=used_error,
        form=ModuleUploadForm(),
    )


@bp.post("/modul/<module_id>/versi")
@roles_required("trainer")
def new_version(module_id: str):
    """A new version of one of the trainer's modules (attempts in progress keep theirs)."""
    api.module(module_id)
    form = ModuleUploadForm()
    if not form.validate_on_submit():
        flash(_("Pilih berkas yang akan diunggah."), "error")
        return _go(url_for(".module", module_id=module_id))
    try:
        updated = api.upload(
            path("/api/v1/modules/{}/versions", module_id), form.title.data, form.file.data
        )
    except ApiError as error:
        flash(messages.upload_problem(error), "error")
    else:
        flash(
            _("Versi %(n)s diunggah.", n=updated.get("version") or ""),
            "success",
        )
    return _go(url_for(".module", module_id=module_id))


@bp.post("/modul/<module_id>/pratinjau")
@roles_required("trainer")
def preview_module(module_id: str):
    """Pratinjau: open the module in the player as a learner sees it, counting nothing.
    Elearning decides who may (the module's owner); the page only passes its answer on."""
    return open_player(module_id, "preview", url_for(".modules"))

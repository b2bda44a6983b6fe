"""Announcements: BKPSDM writes one to everyone or to a unit and its sub-units."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..auth import api_get, roles_required
from ..forms import ActionForm, page_number
from ..gateway import ApiError
from ..pages import coded_message, items_of, load_part, pagination
from . import bp
from .api import call, field_errors
from .people import unit_options


def _page(values: dict[str, Any], errors: dict[str, str]):
    page = page_number(request.args.get("page"))
    params = {"scope": "all", "page": page, "per_page": current_app.config["PER_PAGE"]}
    data, error = load_part(lambda: api_get("/api/v1/announcements", params=params))
    return render_template(
        "admin/announcements.html",
        sent=items_of(data),
        paging=pagination(data, page),
        error=error,
        units=unit_options(),
        values=values,
        errors=errors,
        form=ActionForm(),
    )


@bp.get("/pengumuman")
@roles_required("admin")
def announcements():
    """The form for a new announcement and the ones sent, newest first."""
    return _page({}, {})


@bp.post("/pengumuman")
@roles_required("admin")
def announce():
    """Send an announcement; a refused one comes back with the form as it was written."""
    values = {k: request.form.get(k, "") for k in ("title", "body", "unit_code", "expires_on")}
    if not ActionForm().validate_on_submit():
        flash(_("Sesi formulir habis. Silakan coba lagi."), "error")
        return _page(values, {}), 400
    body = {
        **values,
        "unit_code": values["unit_code"].strip() or None,
        "expires_on": values["expires_on"].strip() or None,
    }
    try:
        sent = call("POST", "/api/v1/announcements", json=body)
    except ApiError as error:
        if error.unavailable:
            raise
        errors = field_errors(error)
        for field in ("unit_code", "expires_on"):  # the code says which refusal it was
            if field in errors:
                errors[field] = coded_message(error) or errors[field]
        if not errors:
            flash(coded_message(error) or _("Pengumuman tidak dapat dikirim."), "error")
        return _page(values, errors), 422
    flash(
        _("Pengumuman terkirim kepada %(n)s pegawai.", n=(sent or {}).get("recipients", 0)),
        "success",
    )
    return redirect(url_for("backoffice.announcements"), code=303)

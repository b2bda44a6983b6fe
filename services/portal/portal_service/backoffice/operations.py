"""Operations: each service's event delivery (pending, failing, dead letters) and retry."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..auth import api_get, roles_required
from ..forms import ActionForm
from ..gateway import ApiError, path
from ..pages import items_of, load_part
from . import bp
from .api import call, problem_message

# Services that publish events through an outbox (the gateway routes /api/v1/outbox/<name>).
PRODUCERS = ("personnel", "catalog", "elearning", "evaluation")


@bp.get("/operasi")
@roles_required("admin")
def operations():
    """Delivery state per service, and the dead letters of the one asked for."""
    shown = request.args.get("layanan", "")
    services: list[dict[str, Any]] = []
    for name in PRODUCERS:
        stats, error = load_part(lambda n=name: api_get(path("/api/v1/outbox/{}", n)))
        services.append({"name": name, "stats": stats if isinstance(stats, dict) else None,
                         "error": error})  # fmt: skip
    letters, letters_error = [], None
    if shown in PRODUCERS:
        data, letters_error = load_part(
            lambda: api_get(path("/api/v1/outbox/{}/dead-letters", shown))
        )
        letters = items_of(data)
    return render_template(
        "admin/operations.html",
        services=services,
        shown=shown if shown in PRODUCERS else "",
        letters=letters,
        letters_error=letters_error,
        form=ActionForm(),
    )


@bp.post("/operasi/<service>/<int:delivery_id>/ulang")
@roles_required("admin")
def retry(service: str, delivery_id: int):
    """Put one dead letter back in its service's queue."""
    if service not in PRODUCERS or not ActionForm().validate():
        flash(_("Permintaan tidak dapat diproses."), "error")
        return redirect(url_for("backoffice.operations"), code=303)
    try:
        call("POST", path("/api/v1/outbox/{}/dead-letters/{}/retry", service, delivery_id))
    except ApiError as error:
        if error.status == 401 or error.unavailable:
            raise
        flash(problem_message(error), "error")
    else:
        flash(_("Peristiwa dijadwalkan untuk dikirim ulang."), "success")
    return redirect(url_for("backoffice.operations", layanan=service), code=303)

"""Operations: each service's health and version, its event delivery (pending, failing, dead
letters) and retry; the services come from the gateway's registry of manifests."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..auth import api_get, roles_required
from ..forms import ActionForm
from ..gateway import ApiError, path
from ..pages import items_of, load_part
from . import bp
from .api import call, problem_message

HEALTH = {
    "ok": _l("Sehat"),
    "unavailable": _l("Tidak siap"),
    "unreachable": _l("Tidak terjangkau"),
}


def _registry() -> tuple[list[dict[str, Any]], str | None]:
    """Every service the gateway routes to, from its manifest registry (no list of our own:
    a new service shows up here once the gateway knows it)."""
    data, error = load_part(lambda: api_get("/api/v1/services"))
    return [s for s in items_of(data) if isinstance(s, dict) and s.get("name")], error


@bp.get("/operasi")
@roles_required("admin")
def operations():
    """Health and version per service, delivery state of those with an outbox, dead letters."""
    shown = request.args.get("layanan", "")
    registry, registry_error = _registry()
    services: list[dict[str, Any]] = []
    for entry in registry:
        stats, error = None, None
        if entry.get("outbox"):
            stats, error = load_part(api_get, path("/api/v1/outbox/{}", entry["name"]))
        services.append({**entry, "stats": stats if isinstance(stats, dict) else None,
                         "error": error})  # fmt: skip
    producers = {s["name"] for s in services if s.get("outbox")}
    letters, letters_error = [], None
    if shown in producers:
        data, letters_error = load_part(
            lambda: api_get(path("/api/v1/outbox/{}/dead-letters", shown))
        )
        letters = items_of(data)
    return render_template(
        "admin/operations.html",
        services=services,
        registry_error=registry_error,
        health=HEALTH,
        shown=shown if shown in producers else "",
        letters=letters,
        letters_error=letters_error,
        form=ActionForm(),
    )


@bp.post("/operasi/<service>/<int:delivery_id>/ulang")
@roles_required("admin")
def retry(service: str, delivery_id: int):
    """Put one dead letter back in its service's queue."""
    producers = {s["name"] for s in _registry()[0] if s.get("outbox")}
    if service not in producers or not ActionForm().validate():
        flash(_("Permintaan tidak dapat diproses."), "error")
        return redirect(url_for("backoffice.operations"), code=303)
    try:
        call("POST", path("/api/v1/outbox/{}/dead-letters/{}/retry", service, delivery_id))
    except ApiError as error:
        if error.unavailable:
            raise
        flash(problem_message(error), "error")
    else:
        flash(_("Peristiwa dijadwalkan untuk dikirim ulang."), "success")
    return redirect(url_for("backoffice.operations", layanan=service), code=303)

"""Announcements for everyone (the list and the banner on the beranda) and supervisors'
nudges to team members below the JP target (a button on the team page)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .auth import api_get, api_post, current_user, login_required, roles_required
from .forms import ActionForm, page_number
from .gateway import ApiError, path
from .pages import friendly, items_of, pagination

bp = Blueprint("broadcast", __name__)

BANNER_SIZE = 3  # the beranda shows the newest unread few; the rest are on /pengumuman


@bp.app_template_global("unread_announcements")
def unread_announcements() -> list[dict[str, Any]]:
    """The newest unread announcements not past their expiry day, for the beranda's banner;
    none when the notification service does not answer (the beranda never fails for it)."""
    if current_user() is None:
        return []
    if "unread_announcements" not in g:
        try:
            data = api_get(
                "/api/v1/announcements",
                params={"unread": "true", "current": "true", "per_page": BANNER_SIZE},
            )
            g.unread_announcements = items_of(data)
        except ApiError:
            g.unread_announcements = []
    return g.unread_announcements


@bp.get("/pengumuman")
@login_required
def announcements():
    """The announcements sent to me, newest first."""
    page = page_number(request.args.get("page"))
    try:
        data = api_get("/api/v1/announcements", params={"page": page})
        error = None
    except ApiError as exc:
        data, error = {}, friendly(exc)
    return render_template(
        "announcements.html",
        items=items_of(data),
        paging=pagination(data, page),
        error=error,
        form=ActionForm(),
    )


@bp.post("/pengumuman/<uuid:notification_id>/baca")
@login_required
def announcement_read(notification_id):
    """Mark one announcement read (through its inbox item); back to where it was shown."""
    back = url_for("learner.home") if request.form.get("dari") == "beranda" else None
    if not ActionForm().validate_on_submit():
        flash(_("Sesi formulir habis. Silakan coba lagi."), "error")
    else:
        try:
            api_post(path("/api/v1/notifications/{}/read", str(notification_id)))
        except ApiError as exc:
            flash(friendly(exc), "error")
    return redirect(back or url_for("broadcast.announcements"), code=303)


@bp.post("/tim/<uuid:person_id>/ingatkan")
@roles_required("supervisor")
def nudge(person_id):
    """Remind a team member below the JP target (inbox and e-mail), once a week."""
    if not ActionForm().validate_on_submit():
        flash(_("Sesi formulir habis. Silakan coba lagi."), "error")
        return redirect(url_for("supervisor.team"), code=303)
    try:
        api_post("/api/v1/nudges", json={"person_id": str(person_id)})
    except ApiError as exc:
        flash(friendly(exc), "error")
    else:
        flash(_("Pengingat terkirim. Pegawai ini dapat diingatkan lagi minggu depan."), "success")
    return redirect(url_for("supervisor.team"), code=303)

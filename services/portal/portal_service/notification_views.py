"""Pemberitahuan: the bell in the header and the page of one's notifications (read/unread)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .auth import api_get, api_post, current_user, login_required
from .forms import ActionForm, page_number
from .gateway import ApiError, path
from .pages import friendly, items_of, pagination

bp = Blueprint("notifications", __name__)


@bp.app_template_global("unread_notifications")
def unread_notifications() -> int | None:
    """The bell's count; None when signed out or the notification service does not answer,
    so a page never fails because of the bell."""
    if current_user() is None:
        return None
    if "unread_notifications" not in g:
        try:
            data = api_get("/api/v1/notifications", params={"unread": "true", "per_page": 1})
            g.unread_notifications = int(data.get("unread") or 0)
        except (ApiError, AttributeError, TypeError, ValueError):
            g.unread_notifications = None
    return g.unread_notifications


def _safe_link(link: Any) -> str:
    """Only a path inside the portal (never another site)."""
    text = str(link or "")
    if text.startswith("/") and not text.startswith("//") and "\\" not in text:
        return text
    return url_for("notifications.index")


@bp.get("/pemberitahuan")
@login_required
def index():
    """My notifications, newest first; ?belum=1 shows only the unread."""
    unread_only = request.args.get("belum") == "1"
    page = page_number(request.args.get("page"))
    params: dict[str, Any] = {"page": page}
    if unread_only:
        params["unread"] = "true"
    try:
        data = api_get("/api/v1/notifications", params=params)
        error = None
    except ApiError as exc:
        if exc.status == 401:
            raise
        data, error = {}, friendly(exc)
    items = [{**item, "link": _safe_link(item.get("link"))} for item in items_of(data)]
    return render_template(
        "notifications.html",
        items=items,
        unread_only=unread_only,
        paging=pagination(data, page),
        error=error,
        form=ActionForm(),
    )


@bp.post("/pemberitahuan/<uuid:notification_id>/baca")
@login_required
def mark_read(notification_id):
    """Mark one read; `buka` also opens the page it links to."""
    form = ActionForm()
    if not form.validate_on_submit():
        flash(_("Sesi formulir habis. Silakan coba lagi."), "error")
        return redirect(url_for("notifications.index"))
    try:
        item = api_post(path("/api/v1/notifications/{}/read", str(notification_id)))
    except ApiError as exc:
        if exc.status == 401:
            raise
        flash(friendly(exc), "error")
        return redirect(url_for("notifications.index"))
    if request.form.get("buka") == "1" and isinstance(item, dict):
        return redirect(_safe_link(item.get("link")))
    return redirect(url_for("notifications.index", belum=request.args.get("belum")))


@bp.post("/pemberitahuan/baca-semua")
@login_required
def mark_all_read():
    """Mark every notification read."""
    form = ActionForm()
    if form.validate_on_submit():
        try:
            api_post("/api/v1/notifications/read-all")
            flash(_("Semua pemberitahuan ditandai sudah dibaca."), "success")
        except ApiError as exc:
            if exc.status == 401:
                raise
            flash(friendly(exc), "error")
    return redirect(url_for("notifications.index"))

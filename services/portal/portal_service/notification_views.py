"""Pemberitahuan: the bell in the header and the page of one's notifications (read/unread)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .auth import access_token, api_get, api_post, current_user, login_required
from .forms import ActionForm, page_number
from .gateway import ApiError, gateway, path
from .pages import friendly, items_of, pagination

bp = Blueprint("notifications", __name__)

# What each kind is about, from the reader's side (the API names the kinds).
KIND_LABELS = {
    "enrolment_requested": _l("Permintaan pelatihan yang menunggu persetujuan saya"),
    "enrolment_approved": _l("Pendaftaran saya disetujui"),
    "enrolment_waitlisted": _l("Pendaftaran saya masuk daftar tunggu"),
    "enrolment_rejected": _l("Pendaftaran saya ditolak"),
    "enrolment_promoted": _l("Saya mendapat kursi dari daftar tunggu"),
    "survey_due": _l("Survei pelatihan untuk diisi"),
    "impact_evaluation_reminded": _l("Pengingat evaluasi dampak"),
    "impact_evaluation_escalated": _l("Evaluasi dampak yang diteruskan kepada saya"),
    "certificate_issued": _l("Sertifikat terbit"),
    "impact_evaluation_due": _l("Evaluasi dampak yang jatuh tempo"),
    "supervisor_nudge": _l("Pengingat dari atasan tentang target JP"),
    "announcement": _l("Pengumuman dari BKPSDM"),
}
MODE_LABELS = {
    "instant": _l("Langsung"),
    "digest": _l("Ringkasan harian"),
    "off": _l("Tidak dikirim"),
}


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
        data, error = {}, friendly(exc)
    if isinstance(data, dict) and isinstance(data.get("unread"), int):
        g.unread_notifications = data["unread"]  # the bell's count came with the page
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
            flash(friendly(exc), "error")
    return redirect(url_for("notifications.index"))


def _hour(raw: str | None) -> int | None:
    try:
        hour = int(raw or "")
    except ValueError:
        return None
    return hour if 0 <= hour <= 23 else None


@bp.route("/pemberitahuan/pengaturan", methods=["GET", "POST"])
@login_required
def settings():
    """Which notices also come by e-mail (instantly, in a daily digest, or not) and quiet hours."""
    form = ActionForm()
    if form.validate_on_submit():
        email = {k: v for k in KIND_LABELS if (v := request.form.get(k)) in MODE_LABELS}
        start, end = _hour(request.form.get("quiet_start")), _hour(request.form.get("quiet_end"))
        quiet = {"start": start, "end": end} if start is not None and end is not None else None
        try:
            gateway().request(
                "PUT",
                "/api/v1/notification-preferences",
                token=access_token(),
                json={"email": email, "quiet_hours": quiet},
            )
            flash(_("Pengaturan pemberitahuan disimpan."), "success")
            return redirect(url_for("notifications.settings"))
        except ApiError as exc:
            flash(friendly(exc), "error")
    try:
        chosen = api_get("/api/v1/notification-preferences")
        error = None
    except ApiError as exc:
        chosen, error = {}, friendly(exc)
    modes = chosen.get("email") if isinstance(chosen, dict) else None
    quiet = chosen.get("quiet_hours") if isinstance(chosen, dict) else None
    return render_template(
        "notification_settings.html",
        kinds=[(k, label, (modes or {}).get(k)) for k, label in KIND_LABELS.items()],
        modes=MODE_LABELS,
        quiet=quiet if isinstance(quiet, dict) else None,
        error=error,
        form=form,
    )

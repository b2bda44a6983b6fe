"""Sign-in and sign-out."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .auth import current_user, safe_next, sign_in, sign_out, take_resumed_form
from .forms import ActionForm, LoginForm
from .gateway import ApiError, gateway
from .pages import friendly

bp = Blueprint("auth", __name__)
log = logging.getLogger("portal.auth")


@bp.route("/masuk", methods=["GET", "POST"])
def login():
    """The sign-in form; on success a fresh session and the page asked for."""
    form = LoginForm()
    target = safe_next(request.values.get("next"))
    if request.method == "GET" and current_user() is not None:
        return redirect(target or url_for("learner.home"))
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("login.html", form=form, next=target), status
    try:
        issued, me = signed_in_pair(form.username.data.strip(), form.password.data)
    except ApiError as error:
        return _login_failed(form, target, error)
    sign_in(issued, me)
    if issued.get("password_change_required"):
        flash(_("Kata sandi Anda diatur ulang oleh admin. Buat kata sandi baru dahulu."), "info")
        return redirect(url_for("account.change_password"), code=303)
    resumed = take_resumed_form(target)
    if resumed is not None:
        # What was typed before the session ended, sent again with this session's CSRF token.
        return render_template("resume.html", action=resumed["path"], fields=resumed["fields"])
    return redirect(target or url_for("learner.home"), code=303)


def signed_in_pair(username: str, password: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Sign in through the API: the token pair and /me; ApiError when refused."""
    issued = gateway().post("/api/v1/auth/token", json={"username": username, "password": password})
    if not isinstance(issued, dict) or not issued.get("access_token"):
        log.warning("sign-in answer without access_token")
        raise ApiError(502)
    me = gateway().get("/api/v1/me", token=issued["access_token"])
    return issued, me if isinstance(me, dict) else {}


def _login_failed(form: LoginForm, target: str | None, error: ApiError):
    """Explain a refused sign-in without saying which part was wrong."""
    if error.status == 401:
        message = _("NIP/nama pengguna atau kata sandi salah.")
        status = 401
    elif error.status == 403:
        message = _("Akun Anda dinonaktifkan. Hubungi admin BKPSDM atau admin OPD Anda.")
        status = 403
    elif error.status == 429:
        message = _(
            "Terlalu banyak percobaan masuk yang gagal. "
            "Silakan tunggu beberapa menit lalu coba lagi."
        )
        status = 429
    elif error.unavailable:
        message = _("Layanan masuk sedang tidak dapat dihubungi. Silakan coba lagi nanti.")
        status = 502
    else:
        message = friendly(error)
        status = error.status
    form.password.data = ""
    headers: dict[str, str] = {"Retry-After": error.retry_after} if error.retry_after else {}
    page = render_template("login.html", form=form, next=target, error=message)
    return page, status, headers


@bp.post("/keluar")
def logout():
    """Sign out (POST with a CSRF token only: a link or an image cannot sign anyone out)."""
    form = ActionForm()
    if form.validate_on_submit():
        sign_out()
        flash(_("Anda telah keluar."), "info")
    return redirect(url_for("auth.login"), code=303)

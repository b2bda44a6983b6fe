"""Sign-in and sign-out."""

from __future__ import annotations

import logging

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .auth import current_user, safe_next, sign_in, sign_out
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
        issued = gateway().post(
            "/api/v1/auth/token",
            json={"username": form.username.data.strip(), "password": form.password.data},
        )
        token = issued["access_token"]
        me = gateway().get("/api/v1/me", token=token)
    except ApiError as error:
        return _login_failed(form, target, error)
    except (KeyError, TypeError):
        log.warning("sign-in answer without access_token")
        return _login_failed(form, target, ApiError(502))
    sign_in(token, int(issued.get("expires_in") or 900), me if isinstance(me, dict) else {})
    return redirect(target or url_for("learner.home"), code=303)


def _login_failed(form: LoginForm, target: str | None, error: ApiError):
    """Explain a refused sign-in without saying which part was wrong."""
    if error.status == 401:
        message = _("NIP/nama pengguna atau kata sandi salah.")
        status = 401
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
    headers = {"Retry-After": error.retry_after} if error.retry_after else {}
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

"""Account pages: activation, change password, forgotten password, and the admin's account tools."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .auth import (
    access_token,
    api_get,
    api_post,
    current_user,
    login_required,
    roles_required,
    sign_in,
)
from .auth_views import signed_in_pair
from .forms import (
    ActionForm,
    ActivationForm,
    ForgotForm,
    PasswordChangeForm,
    ResetForm,
    UnitActivationForm,
)
from .gateway import ApiError, gateway, path
from .pages import coded_message, friendly

bp = Blueprint("account", __name__)
CSV = "text/csv"


def password_message(error: ApiError) -> str:
    """The Indonesian words for a refused password, code or request (never the API's)."""
    if error.status == 429:
        return _("Terlalu banyak percobaan. Silakan tunggu beberapa menit lalu coba lagi.")
    if error.unavailable:
        return _("Layanan sedang tidak dapat dihubungi. Silakan coba lagi nanti.")
    return coded_message(error) or friendly(error)


@bp.route("/aktivasi", methods=["GET", "POST"])
def activate():
    """Activate an account with the code from the sheet (anyone: the code is the key)."""
    form = ActivationForm()
    if request.method == "GET":
        form.username.data = form.username.data or request.args.get("u", "")[:64]
        form.code.data = form.code.data or request.args.get("kode", "")[:40]
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("activate.html", form=form), status
    try:
        gateway().post(
            "/api/v1/auth/activate",
            json={
                "username": form.username.data.strip(),
                "code": form.code.data.strip(),
                "password": form.password.data,
            },
        )
    except ApiError as error:
        form.password.data = form.confirm.data = ""
        page = render_template("activate.html", form=form, error=password_message(error))
        return page, error.status if error.status < 500 else 502
    flash(_("Akun Anda sudah aktif. Silakan masuk dengan NIP dan kata sandi baru."), "info")
    return redirect(url_for("auth.login"), code=303)


@bp.route("/akun/kata-sandi", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password; the session starts anew with the new one."""
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("change_password.html", form=form), status
    user = current_user()
    try:
        api_post(
            "/api/v1/auth/password",
            json={"old_password": form.old_password.data, "new_password": form.new_password.data},
        )
        # Personnel ended every session of the old password, this one too: sign in afresh.
        issued, me = signed_in_pair(user.username, form.new_password.data)  # type: ignore[union-attr]
    except ApiError as error:
        page = render_template("change_password.html", form=form, error=password_message(error))
        return page, error.status if error.status < 500 else 502
    sign_in(issued, me)
    flash(_("Kata sandi Anda sudah diganti."), "info")
    return redirect(url_for("learner.home"), code=303)


@bp.route("/lupa-sandi", methods=["GET", "POST"])
def forgot():
    """Ask for a reset code by e-mail; the same answer whether the NIP exists or not."""
    form = ForgotForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("forgot.html", form=form), status
    try:
        gateway().post("/api/v1/auth/password-reset", json={"username": form.username.data.strip()})
    except ApiError as error:
        return render_template("forgot.html", form=form, error=password_message(error)), (
            error.status if error.status < 500 else 502
        )
    flash(
        _(
            "Jika akun itu ada dan memiliki alamat surel, kode pengaturan ulang telah dikirim. "
            "Periksa surel Anda."
        ),
        "info",
    )
    return redirect(url_for("account.reset", u=form.username.data.strip()), code=303)


@bp.route("/lupa-sandi/atur", methods=["GET", "POST"])
def reset():
    """Set a new password with the mailed code."""
    form = ResetForm()
    if request.method == "GET":
        form.username.data = form.username.data or request.args.get("u", "")[:64]
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("reset.html", form=form), status
    try:
        gateway().post(
            "/api/v1/auth/password-reset/confirm",
            json={
                "username": form.username.data.strip(),
                "code": form.code.data.strip(),
                "new_password": form.new_password.data,
            },
        )
    except ApiError as error:
        page = render_template("reset.html", form=form, error=password_message(error))
        return page, error.status if error.status < 500 else 502
    flash(_("Kata sandi baru sudah disimpan. Silakan masuk."), "info")
    return redirect(url_for("auth.login"), code=303)


# ---- admin ----


def _person_and_account(person_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    person = api_get(path("/api/v1/people/{}", person_id))
    account = api_get(path("/api/v1/people/{}/account", person_id))
    return person, account


@bp.get("/admin/pegawai/<person_id>/akun")
@roles_required("admin")
def person_account(person_id: str):
    """A person's account: state, and buttons to issue activation, reset or deactivate."""
    person, account = _person_and_account(person_id)
    return render_template("person_account.html", person=person, account=account, form=ActionForm())


@bp.post("/admin/pegawai/<person_id>/akun/<action>")
@roles_required("admin")
def person_account_action(person_id: str, action: str):
    """Issue an activation code, reset the password, or deactivate; the result shown once."""
    endpoints = {
        "aktivasi": "/api/v1/people/{}/activation",
        "atur-ulang": "/api/v1/people/{}/password-reset",
        "nonaktifkan": "/api/v1/people/{}/deactivate",
    }
    form = ActionForm()
    if action not in endpoints or not form.validate_on_submit():
        return redirect(url_for("account.person_account", person_id=person_id), code=303)
    result, error = None, None
    try:
        result = api_post(path(endpoints[action], person_id))
    except ApiError as failure:
        error = coded_message(failure) or {
            409: _("Tindakan ini tidak dapat dilakukan pada keadaan akun sekarang."),
            403: _("Anda tidak berhak melakukan ini."),
            404: _("Pegawai tidak ditemukan."),
        }.get(failure.status, _("Layanan sedang tidak dapat dihubungi. Silakan coba lagi nanti."))
    person, account = _person_and_account(person_id)
    page = render_template(
        "person_account.html",
        person=person,
        account=account,
        form=ActionForm(),
        action=action,
        result=result,
        error=error,
    )
    return page, 200 if error is None else 409


# The activation sheet's file types, by the button pressed.
SHEET_TYPES = {"csv": CSV, "pdf": "application/pdf"}


def issued_sheet_file(api: str, kind: str) -> Response:
    """Issue the codes and hand the API's file (CSV or PDF sheet) to the browser as it came."""
    answer = gateway().request(
        "POST", api, token=access_token(), headers={"Accept": SHEET_TYPES[kind]}
    )
    return Response(
        answer.raw.content,
        mimetype=SHEET_TYPES[kind],
        headers={"Content-Disposition": answer.raw.headers.get("Content-Disposition", "")},
    )


@bp.route("/admin/aktivasi-unit", methods=["GET", "POST"])
@roles_required("admin", "opd_admin")
def unit_activations():
    """Activation for a unit's people not yet activated: on screen, CSV, PDF slips or e-mail.

    An OPD admin may use it for their own units; the API refuses any other unit.
    """
    form = UnitActivationForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("unit_activations.html", form=form), status
    code = form.unit_code.data.strip()
    kind = request.form.get("format", "html")
    try:
        if kind in SHEET_TYPES:
            return issued_sheet_file(path("/api/v1/units/{}/activations", code), kind)
        if kind == "email":
            mailed = api_post(path("/api/v1/units/{}/activation-mails", code))
            return render_template("unit_activations.html", form=form, mailed=mailed)
        if kind == "states":
            states = api_get(path("/api/v1/units/{}/accounts", code), params={"per_page": 100})
            return render_template("unit_activations.html", form=form, states=states)
        rows = api_post(path("/api/v1/units/{}/activations", code))
    except ApiError as error:
        message = _("Unit tidak ditemukan.") if error.status == 404 else friendly(error)
        status = error.status if error.status < 500 else 502
        return render_template("unit_activations.html", form=form, error=message), status
    items = rows.get("items", []) if isinstance(rows, dict) else []
    return render_template("unit_activations.html", form=form, rows=items, issued=True)

"""Pages anyone may open without signing in: certificate verification."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from .gateway import ApiError, gateway, path
from .pages import CERTIFICATE_CODE

bp = Blueprint("public", __name__)


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page says: the SVG icon answers."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.get("/verifikasi")
def verify_form():
    """A box to type the code printed on a certificate (or reached by its QR code)."""
    code = request.args.get("kode", "").strip()
    if code:
        return redirect(url_for("public.verify", code=code[:128]), code=303)
    return render_template("verify.html", code=None, certificate=None, asked=False)


@bp.get("/verifikasi/<code>")
def verify(code: str):
    """Whether a certificate code is genuine, and what the certificate says."""
    result = None
    if CERTIFICATE_CODE.match(code):
        try:
            result = gateway().get(path("/api/v1/certificates/{}/verification", code))
        except ApiError as error:
            if error.status != 404:
                raise
    found = isinstance(result, dict) and bool(result.get("valid"))
    return (
        render_template(
            "verify.html", code=code, certificate=result if found else None, asked=True
        ),
        200 if found else 404,
    )

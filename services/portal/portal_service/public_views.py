"""Pages anyone may open without signing in: certificate verification."""

from __future__ import annotations

from flask import Blueprint, render_template

from .gateway import ApiError, gateway, path
from .pages import CERTIFICATE_CODE

bp = Blueprint("public", __name__)


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
        render_template("verify.html", code=code, certificate=result if found else None),
        200 if found else 404,
    )

"""Certificates: listed, shown, downloaded as PDF, verified publicly."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.auth import current_principal, public
from cakap_shared.schemas import PageArgsSchema, page_schema
from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from ..domain import certificates
from ..models import Certificate

blp = Blueprint("certificates", __name__, url_prefix="/api/v1", description="Certificates")

F = ma.fields


class CertificateSchema(ma.Schema):
    """A certificate as its holder and admins see it."""

    code = F.String()
    number = F.String()
    learner_id = F.String()
    name = F.String()
    nip = F.String(allow_none=True)
    grade = F.String(allow_none=True)
    position = F.String(allow_none=True)
    agency = F.String(allow_none=True)
    course_id = F.String()
    course_code = F.String()
    course_title = F.String()
    class_name = F.String(allow_none=True)
    jp = F.Integer()
    starts_on = F.Date(allow_none=True)
    ends_on = F.Date(allow_none=True)
    completed_on = F.Date()
    issued_on = F.Date()
    verification_url = F.String()

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        """`verification_url` is the public page for the code, printed on the certificate."""
        if attr == "verification_url":
            return certificates.verification_url(obj.code)
        return super().get_attribute(obj, attr, default)


class CertificateQueryArgsSchema(PageArgsSchema):
    """Filters for certificates (admins)."""

    learner_id = F.String()
    course_code = F.String()


class VerificationSchema(ma.Schema):
    """What anyone holding the code may learn: no more than the certificate shows."""

    valid = F.Boolean()
    number = F.String(metadata={"description": "The number printed on the certificate"})
    name = F.String()
    course_title = F.String()
    jp = F.Integer()
    issued_on = F.Date()

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        """A certificate found by its code is valid (unknown codes are 404)."""
        if attr == "valid":
            return True
        return super().get_attribute(obj, attr, default)


@blp.route("/certificates")
class Certificates(MethodView):
    """Certificates of completion."""

    @blp.arguments(CertificateQueryArgsSchema, location="query")
    @blp.response(200, page_schema(CertificateSchema))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """My certificates (admins: all, filterable by learner and course)."""
        return certificates.certificate_page(current_principal(), args)


@blp.route("/certificates/<code>")
class CertificatesByCode(MethodView):
    """One certificate."""

    @blp.response(200, CertificateSchema)
    def get(self, code: str) -> Certificate:
        """Show a certificate (its holder, admins)."""
        return certificates.show(code)


@blp.route("/certificates/<code>/pdf")
class CertificatePdf(MethodView):
    """The printable certificate."""

    @blp.response(200, content_type="application/pdf")
    def get(self, code: str) -> Response:
        """Download the certificate as PDF with a QR code to its verification page."""
        pdf = certificates.pdf(code)
        response = Response(pdf.body, mimetype="application/pdf")
        response.headers["Content-Disposition"] = f'attachment; filename="{pdf.filename}"'
        return response


@blp.route("/certificates/<code>/verification")
@public
class CertificateVerification(MethodView):
    """Public verification of a certificate by its code."""

    @blp.response(200, VerificationSchema)
    def get(self, code: str) -> Certificate:
        """Verify a certificate without signing in; reveals only what it shows."""
        return certificates.verify(code)

"""Certificates: issued on completion, numbered per year, shown to holders, verified by code."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from cakap_shared.auth import Principal, current_principal
from cakap_shared.db import paginate
from cakap_shared.logs import audit
from flask import current_app
from sqlalchemy import func, select

from .. import clock
from ..clients import clients
from ..extensions import db, events
from ..models import Certificate, Completion
from . import certificate_pdf
from .access import not_found


def _agency(person: dict[str, Any]) -> str | None:
    unit = person.get("unit")
    return (
        person.get("agency")
        or person.get("unit_name")
        or (unit.get("name") if isinstance(unit, dict) else None)
        or person.get("unit_code")
    )


def issue(completion: Completion) -> Certificate:
    """Issue the certificate of a completed enrolment, with the learner's data from personnel.

    Raises a 503 problem while personnel is unavailable, so the event is delivered again.
    """
    person = clients().person(completion.learner_id) or {}
    today = clock.today()
    serial = (
        db.session.scalar(
            select(func.max(Certificate.serial)).where(Certificate.year == today.year)
        )
        or 0
    ) + 1
    prefix = current_app.config["CERTIFICATE_NUMBER_PREFIX"]
    certificate = Certificate(
        code=secrets.token_urlsafe(12),
        number=f"{prefix}/{today.year}/{serial:06d}",
        year=today.year,
        serial=serial,
        enrolment_id=completion.enrolment_id,
        learner_id=completion.learner_id,
        name=person.get("name") or completion.learner_name,
        nip=person.get("nip"),
        grade=person.get("grade"),
        position=person.get("position"),
        agency=_agency(person) or completion.unit_code,
        course_id=completion.course_id,
        course_code=completion.course_code,
        course_title=completion.course_title,
        class_name=completion.class_name,
        jp=completion.jp,
        starts_on=completion.starts_on,
        ends_on=completion.ends_on,
        completed_on=completion.completed_on,
        issued_on=today,
    )
    db.session.add(certificate)
    events.publish(
        "certificate.issued",
        {
            "certificate_code": certificate.code,
            "number": certificate.number,
            "learner_id": certificate.learner_id,
            "enrolment_id": certificate.enrolment_id,
            "course_code": certificate.course_code,
            "course_title": certificate.course_title,
            "issued_on": today.isoformat(),
        },
        certificate.enrolment_id,
    )
    return certificate


def verification_url(code: str) -> str:
    """The public page printed (and QR-coded) on the certificate: the portal's verification
    page, which a person can read; it asks GET /api/v1/certificates/{code}/verification."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/verifikasi/{code}"


def show(code: str) -> Certificate:
    """A certificate its holder (or an admin) asks for; 404 for anyone else."""
    principal = current_principal()
    certificate = db.session.scalar(select(Certificate).where(Certificate.code == code))
    if certificate is None or not (principal.is_admin or certificate.learner_id == principal.id):
        raise not_found("certificate")
    return certificate


def certificate_page(principal: Principal, args: dict[str, Any]) -> dict[str, Any]:
    """The caller's certificates, newest first (admins: all, by learner and course)."""
    query = select(Certificate).order_by(Certificate.issued_on.desc(), Certificate.number)
    if not principal.is_admin:
        query = query.where(Certificate.learner_id == principal.id)
    elif args.get("learner_id"):
        query = query.where(Certificate.learner_id == args["learner_id"])
    if args.get("course_code"):
        query = query.where(Certificate.course_code == args["course_code"])
    return paginate(db, query, args["page"], args["per_page"])


def verify(code: str) -> Certificate:
    """The certificate with this code, for anyone holding it; 404 for an unknown code."""
    certificate = db.session.scalar(select(Certificate).where(Certificate.code == code))
    if certificate is None:
        raise not_found("certificate")
    return certificate


@dataclass(frozen=True)
class Pdf:
    """A printable certificate and the file name it downloads as."""

    body: bytes
    filename: str


def pdf(code: str) -> Pdf:
    """The certificate as PDF with a QR code to its verification page (audited)."""
    certificate = show(code)
    body = certificate_pdf.render(
        certificate,
        verification_url(certificate.code),
        current_app.config.get("CERTIFICATE_FONT_PATH"),
        current_app.config["CERTIFICATE_ISSUER"],
    )
    audit("certificate.downloaded", certificate=certificate.number)
    return Pdf(body, f"{certificate.number.replace('/', '-')}.pdf")

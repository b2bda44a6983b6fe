"""The certificate as a one-page landscape PDF (fpdf2), with a QR code of its verification URL."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import segno
from cakap_shared.indonesian import tanggal

from ..models import Certificate

if TYPE_CHECKING:
    from fpdf import FPDF


def _latin1(text: str) -> str:
    # Helvetica only knows latin-1: replace what it cannot draw instead of failing.
    return text.encode("latin-1", "replace").decode("latin-1")


def render(
    certificate: Certificate, verification_url: str, font_path: str | None, issuer: str
) -> bytes:
    """The PDF bytes; the code also goes into the document metadata."""
    # fpdf2 with Pillow and fontTools is about 40 MB of a process: only the processes that
    # draw a PDF pay for it, not every web worker and delivery loop.
    from fpdf import FPDF

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_title(f"Sertifikat {certificate.number}")
    pdf.set_subject(f"Kode verifikasi {certificate.code}")
    pdf.set_keywords(certificate.code)
    pdf.set_creator("Cakap")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    if font_path and Path(font_path).is_file():
        pdf.add_font("Body", "", font_path)
        family, clean = "Body", (lambda s: s)
    else:
        family, clean = "Helvetica", _latin1

    def line(text: str, size: float, height: float, style: str = "") -> None:
        pdf.set_font(family, "" if family == "Body" else style, size)
        pdf.cell(0, height, clean(text), align="C", new_x="LMARGIN", new_y="NEXT")

    pdf.set_draw_color(20, 70, 120)
    pdf.set_line_width(1.2)
    pdf.rect(8, 8, 281, 194)
    pdf.set_y(22)
    line(issuer, 12, 8)
    line("SERTIFIKAT", 30, 16, "B")
    line(f"Nomor: {certificate.number}", 11, 8)
    pdf.ln(4)
    line("diberikan kepada", 12, 8)
    line(certificate.name, 22, 12, "B")
    details = [
        f"NIP {certificate.nip}" if certificate.nip else "",
        f"Golongan {certificate.grade}" if certificate.grade else "",
        certificate.position or "",
    ]
    line(
        "  •  ".join(d for d in details if d)
        if family == "Body"
        else "  -  ".join(d for d in details if d),
        11,
        7,
    )
    if certificate.agency:
        line(certificate.agency, 11, 7)
    pdf.ln(4)
    line("telah menyelesaikan pelatihan", 12, 8)
    line(f"{certificate.course_title} ({certificate.course_code})", 16, 10, "B")
    period = tanggal(certificate.completed_on)
    if certificate.starts_on and certificate.ends_on:
        period = f"{tanggal(certificate.starts_on)} s.d. {tanggal(certificate.ends_on)}"
    line(f"{certificate.jp} Jam Pelajaran (JP), {period}", 11, 7)
    line(f"Diterbitkan {tanggal(certificate.issued_on)}", 11, 7)
    _verification(pdf, family, clean, verification_url)
    return bytes(pdf.output())


def _verification(pdf: FPDF, family: str, clean: Callable[[str], str], url: str) -> None:
    """The QR code of the verification page, bottom right, and its address spelled out."""
    qr = io.BytesIO()
    segno.make(url, error="m").save(qr, kind="png", scale=6, border=2)
    qr.seek(0)
    pdf.image(qr, x=240, y=150, w=40, h=40)
    pdf.set_xy(20, 180)
    pdf.set_font(family, "", 8)
    pdf.cell(0, 5, clean(f"Verifikasi: {url}"))

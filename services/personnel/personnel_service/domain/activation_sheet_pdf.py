"""The activation sheet as an A4 PDF (fpdf2, as evaluation's certificates): one slip per person.

Four slips a page with dashed cut lines, so an OPD hands each person only their own code.
The QR code opens the activation page with the login filled in; the code itself is printed
but never put in a URL (addresses end up in logs and browser histories).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import segno
from cakap_shared.indonesian import waktu

if TYPE_CHECKING:
    from fpdf import FPDF

SLIPS_PER_PAGE = 4
SLIP_HEIGHT = 297 / SLIPS_PER_PAGE
MARGIN = 12


def _latin1(text: str) -> str:
    # Helvetica only knows latin-1: replace what it cannot draw instead of failing.
    return text.encode("latin-1", "replace").decode("latin-1")


def render(
    rows: list[dict[str, Any]],
    *,
    unit_name: str | None,
    activation_url: str,
    font_path: str | None,
    zone: str = "Asia/Jakarta",
) -> bytes:
    """The PDF bytes: a slip per row (name, NIP, login, code, expiry, link); a note when empty."""
    # fpdf2 with Pillow and fontTools is about 40 MB of a process: only the processes that
    # draw a PDF pay for it, not every web worker and delivery loop.
    from fpdf import FPDF

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(f"Kode aktivasi akun Cakap - {unit_name}" if unit_name else "Kode aktivasi")
    pdf.set_creator("Cakap")
    pdf.set_auto_page_break(False)
    body, clean = "Helvetica", _latin1
    if font_path and Path(font_path).is_file():
        pdf.add_font("Body", "", font_path)
        body, clean = "Body", (lambda s: s)
    write = _writer(pdf, body, clean)
    if not rows:
        pdf.add_page()
        pdf.set_xy(MARGIN, MARGIN)
        write("Tidak ada akun yang menunggu aktivasi.", 12, 8)
        return bytes(pdf.output())
    for index, row in enumerate(rows):
        slot = index % SLIPS_PER_PAGE
        if slot == 0:
            pdf.add_page()
        top = slot * SLIP_HEIGHT
        if slot:
            pdf.set_draw_color(150, 150, 150)
            pdf.set_dash_pattern(dash=2, gap=2)
            pdf.line(5, top, 205, top)
            pdf.set_dash_pattern()
        _slip(pdf, write, row, top, unit_name, activation_url, zone)
    return bytes(pdf.output())


def _writer(pdf: FPDF, family: str, clean: Callable[[str], str]) -> Callable[..., None]:
    def write(text: str, size: float, height: float, width: float = 0) -> None:
        pdf.set_font(family, "", size)
        pdf.set_x(MARGIN)
        pdf.multi_cell(width, height, clean(text), new_x="LMARGIN", new_y="NEXT")

    return write


def _slip(
    pdf: FPDF,
    write: Callable[..., None],
    row: dict[str, Any],
    top: float,
    unit_name: str | None,
    activation_url: str,
    zone: str,
) -> None:
    link = f"{activation_url}?{urlencode({'u': row['username']})}"
    text_width = 210 - 2 * MARGIN - 45
    pdf.set_y(top + 8)
    write("AKTIVASI AKUN CAKAP", 13, 7, text_width)
    write(unit_name or f"Unit {row['unit_code']}", 9, 5, text_width)
    pdf.ln(2)
    write(f"Nama: {row['name']}", 11, 6, text_width)
    write(f"NIP: {row['nip']}", 11, 6, text_width)
    write(f"Nama pengguna: {row['username']}", 11, 6, text_width)
    write(f"Kode aktivasi: {row['code']}", 15, 9, text_width)
    write(f"Berlaku sampai {waktu(row['expires_at'], zone)}.", 9, 5, text_width)
    write(
        f"Buka {activation_url}, isi NIP dan kode di atas, lalu pilih kata sandi Anda sendiri. "
        "Kode hanya dapat dipakai sekali. Jangan berikan kode ini kepada orang lain.",
        8,
        4,
        text_width,
    )
    qr = io.BytesIO()
    segno.make(link, error="m").save(qr, kind="png", scale=4, border=1)
    qr.seek(0)
    pdf.image(qr, x=210 - MARGIN - 38, y=top + 10, w=38, h=38)

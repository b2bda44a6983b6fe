"""Demo data for `make run`: loaded only in demo mode, only into an empty database.

Three small modules written for the project in Bahasa Indonesia, built at seed time from
demo_content/: a SCORM 1.2 package (material + quiz that report through the runtime
API), a Markdown page and a generated PDF. Their ids are the derived ones other services
use (uuid5 of "module:<slug>").
"""

from __future__ import annotations

import io
import uuid
import zipfile
from pathlib import Path

from cakap_shared import demo
from flask import current_app
from sqlalchemy import select

from .domain import content, storage
from .extensions import db
from .models import Module, ModuleVersion

NAMESPACE = uuid.UUID("6f1d0d5e-8a51-4a8e-9a34-3c1bb0f0c0de")
DEMO_CONTENT = Path(__file__).with_name("demo_content")


def demo_id(key: str) -> str:
    """The id every service derives for a demo object ("trainer", "module:<slug>", ...)."""
    return str(uuid.uuid5(NAMESPACE, key))


def scorm_demo_zip() -> bytes:
    """The SCORM 1.2 package 'Keamanan Informasi bagi ASN', zipped."""
    folder = DEMO_CONTENT / "keamanan-informasi"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
    return buf.getvalue()


def spbe_pdf() -> bytes:
    """A small PDF 'Pedoman SPBE' (fpdf2; built-in fonts are latin-1, the text is ASCII)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title("Pedoman SPBE")
    pdf.set_author("Cakap")
    pages = [
        (
            "Pedoman Sistem Pemerintahan Berbasis Elektronik (SPBE)",
            "SPBE adalah penyelenggaraan pemerintahan yang memanfaatkan teknologi informasi "
            "dan komunikasi untuk memberikan layanan kepada pengguna SPBE. Pedoman ringkas ini "
            "merangkum prinsip, domain, dan peran ASN dalam penerapannya di pemerintah kota.",
        ),
        (
            "1. Prinsip SPBE",
            "Efektivitas, keterpaduan, kesinambungan, efisiensi, akuntabilitas, "
            "interoperabilitas, dan keamanan. Setiap aplikasi baru harus memakai infrastruktur "
            "dan data bersama, tidak membangun sendiri apa yang sudah tersedia.",
        ),
        (
            "2. Domain SPBE",
            "Kebijakan internal, tata kelola, manajemen, serta layanan SPBE. Evaluasi tahunan "
            "menilai tingkat kematangan setiap domain; hasilnya menjadi dasar rencana aksi.",
        ),
        (
            "3. Peran ASN",
            "Menggunakan aplikasi umum yang ditetapkan, menjaga keamanan akun dan data, "
            "melaporkan gangguan layanan, dan terus meningkatkan literasi digital.",
        ),
    ]
    for heading, text in pages:
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 16)
        pdf.multi_cell(0, 10, heading)
        pdf.ln(4)
        pdf.set_font("Helvetica", size=12)
        pdf.multi_cell(0, 7, text)
    return bytes(pdf.output())


def _demo_modules() -> list[tuple[str, str, bytes, str]]:
    """(slug, title, file bytes, file name) of each demo module."""
    page = (DEMO_CONTENT / "etika-pelayanan.md").read_bytes()
    return [
        ("keamanan-informasi", "Keamanan Informasi bagi ASN", scorm_demo_zip(), "keamanan.zip"),
        ("etika-pelayanan", "Etika Pelayanan Publik", page, "etika-pelayanan.md"),
        ("pedoman-spbe", "Pedoman SPBE", spbe_pdf(), "pedoman-spbe.pdf"),
    ]


def seed_demo() -> bool:
    """Load the demo data when the database is empty; True if it loaded."""
    if db.session.scalar(select(Module.id).limit(1)) is not None:
        return False
    owner = demo_id("trainer")
    stored: list[str] = []
    try:
        for slug, title, data, name in _demo_modules():
            module_id = demo_id(f"module:{slug}")
            key = f"{module_id}-v1"
            storage.store().delete(key)  # leftovers of an earlier, rolled-back seed
            result = content.ingest(
                io.BytesIO(data),
                name,
                title,
                key,
                storage.store(),
                max_bytes=current_app.config["MODULE_MAX_BYTES"],
                limits=content.limits_from_config(),
            )
            stored.append(key)
            module = Module(id=module_id, title=result.title, kind=result.kind, owner_id=owner)
            module.versions.append(
                ModuleVersion(
                    number=1,
                    kind=result.kind,
                    storage_key=key,
                    summary=content.summary_json(result.summary),
                    uploaded_by=owner,
                )
            )
            db.session.add(module)
        db.session.commit()
    except Exception:
        db.session.rollback()
        for key in stored:
            storage.store().delete(key)
        raise
    return True


seed_demo_command = demo.seed_demo_command("elearning", seed_demo)

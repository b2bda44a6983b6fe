"""Small helpers the page views share: list shapes, partial failures, paging."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask import current_app
from flask_babel import gettext as _

from .fanout import concurrently
from .gateway import ApiError

T = TypeVar("T")
P = ParamSpec("P")

# Certificate codes appear in page URLs and API paths: letters, digits, - and _ only.
CERTIFICATE_CODE = re.compile(r"^[A-Za-z0-9_-]{4,128}$")


def items_of(data: Any) -> list[dict[str, Any]]:
    """The items of a list answer ({"items": [...]}, or a bare list), dicts only."""
    if isinstance(data, dict):
        data = data.get("items", [])
    if not isinstance(data, list):
        return []
    return [item for item in data if isinstance(item, dict)]


def load_part(
    fetch: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
) -> tuple[T | None, str | None]:
    """Run one part of a page, `fetch(*args, **kwargs)`; a failing API gives a message for
    that part instead of a page. Passing the arguments (rather than a lambda over a loop
    variable) binds each loop's values and keeps the part's type known.

    A refused session (SessionEnded) still ends the whole page.
    """
    try:
        return fetch(*args, **kwargs), None
    except ApiError as error:
        return None, friendly(error)


def load_parts(**fetches: Callable[[], Any]) -> dict[str, tuple[Any, str | None]]:
    """Run a page's independent parts at once, each as load_part runs one: by name, each
    part's (value, None) or (None, message)."""
    loaded = concurrently(*(functools.partial(load_part, fetch) for fetch in fetches.values()))
    return dict(zip(fetches, loaded, strict=True))


# A problem's `code` (an extension member the services set) names what went wrong; the
# portal says it in its own words. The API's English `detail` never reaches a page.
_BY_CODE: dict[str, Callable[[], str]] = {
    "enrolment-exists": lambda: _(
        "Anda sudah terdaftar (diajukan, daftar tunggu, atau terdaftar) di kelas ini."
    ),
    "enrolment-not-open": lambda: _("Pendaftaran kelas ini belum dibuka."),
    "enrolment-closed": lambda: _("Pendaftaran kelas ini sudah ditutup."),
    "course-not-open": lambda: _("Pelatihan ini tidak menerima pendaftaran saat ini."),
    "prerequisites-missing": lambda: _("Selesaikan dulu pelatihan prasyaratnya."),
    "enrolment-state": lambda: _("Pendaftaran dalam keadaan ini tidak dapat diubah begitu."),
    "stale": lambda: _("Data berubah saat Anda membukanya. Muat ulang halaman lalu coba lagi."),
    "no-budget-unit": lambda: _(
        "Pegawai ini belum punya unit, jadi anggaran tidak dapat dibebankan."
    ),
    "attempts-exhausted": lambda: _("Kesempatan mengerjakan tes ini sudah habis."),
    "attempt-closed": lambda: _("Percobaan ini sudah dikirim atau ditutup."),
    "assessment-empty": lambda: _("Tes ini belum berisi soal. Hubungi penyelenggara."),
    "not-enrolled": lambda: _("Anda tidak terdaftar di pelatihan yang memakai materi ini."),
    "already-answered": lambda: _("Isian ini sudah pernah dikirim."),
    "launch-expired": lambda: _("Tautan modul sudah kedaluwarsa. Buka modul sekali lagi."),
    "package-invalid": lambda: _(
        "Berkas ini tidak dapat dipakai sebagai modul. Unggah paket SCORM (.zip), PDF, "
        "video MP4, atau halaman Markdown yang utuh."
    ),
    # Accounts and passwords (personnel).
    "password-too-short": lambda: _("Kata sandi minimal 8 karakter."),
    "password-too-long": lambda: _("Kata sandi paling banyak 256 karakter."),
    "password-common": lambda: _("Kata sandi ini terlalu umum atau pernah bocor. Pilih yang lain."),
    "password-personal": lambda: _(
        "Jangan memakai NIP, nama pengguna, atau nama Anda sebagai kata sandi."
    ),
    "password-wrong": lambda: _("Kata sandi sekarang salah."),
    "password-unchanged": lambda: _("Kata sandi baru harus berbeda dari kata sandi sekarang."),
    "code-wrong": lambda: _("Kode salah. Periksa kembali NIP dan kode Anda."),
    "code-used": lambda: _("Kode ini sudah dipakai. Minta kode baru kepada admin."),
    "code-expired": lambda: _("Kode ini sudah kedaluwarsa. Minta kode baru."),
    "account-deactivated": lambda: _(
        "Akun Anda dinonaktifkan. Hubungi admin BKPSDM atau admin OPD Anda."
    ),
    "account-active": lambda: _("Akun ini sudah aktif. Atur ulang kata sandinya bila perlu."),
    "account-unusable": lambda: _(
        "Akun ini belum aktif atau dinonaktifkan. Terbitkan kode aktivasi."
    ),
    "account-self": lambda: _("Anda tidak dapat menonaktifkan akun Anda sendiri."),
    "account-none": lambda: _("Pegawai ini belum memiliki akun."),
    "username-taken": lambda: _("NIP ini sudah dipakai sebagai nama pengguna akun lain."),
    # The trainer's workspace (catalog's session days, evaluation's test settings).
    "session-exists": lambda: _("Kelas ini sudah memiliki hari sesi pada tanggal itu."),
    "session-outside-class": lambda: _(
        "Hari sesi harus berada di antara tanggal mulai dan tanggal selesai kelas."
    ),
    "invalid-day": lambda: _("Tanggal hari sesi tidak valid."),
    "session-not-held": lambda: _(
        "Sesi ini belum berlangsung; kehadiran dicatat pada atau setelah harinya."
    ),
    "assessment-in-use": lambda: _(
        "Sudah ada peserta yang mengumpulkan tes ini; perubahan itu tidak lagi adil."
    ),
    "unit-outside": lambda: _("Unit ini di luar unit yang Anda kelola."),
    "email-missing": lambda: _("Pegawai ini belum punya alamat surel. Cetak kode aktivasinya."),
    "import-not-done": lambda: _("Impor belum selesai. Tunggu hasilnya lalu coba lagi."),
    # Launches that do not count (elearning).
    "not-completed": lambda: _(
        "Materi ini hanya bisa ditinjau ulang setelah pelatihannya Anda selesaikan."
    ),
    "not-module-owner": lambda: _(
        "Hanya pemilik modul atau admin yang dapat melihat pratinjaunya."
    ),
    # Nudges and announcements (notification).
    "not-in-team": lambda: _("Pegawai ini bukan anggota tim Anda."),
    "target-met": lambda: _("Pegawai ini sudah mencapai target JP tahun ini."),
    "expires-in-the-past": lambda: _("Tanggal itu sudah lewat. Pilih hari ini atau sesudahnya."),
    "nudge-too-soon": lambda: _(
        "Pegawai ini sudah diingatkan minggu ini. Pengingat berikutnya dapat dikirim minggu depan."
    ),
    "unit-unknown": lambda: _("Unit kerja tidak dikenal."),
    "no-recipients": lambda: _("Tidak ada pegawai aktif di unit ini atau sub-unitnya."),
    "capacity-below-enrolled": lambda: _(
        "Kapasitas tidak boleh kurang dari jumlah peserta yang sudah terdaftar."
    ),
    "attendance-outside-dates": lambda: _(
        "Sudah ada kehadiran tercatat di luar tanggal baru. Pilih tanggal yang mencakupnya."
    ),
    "course-archived": lambda: _("Pelatihan ini sudah diarsipkan: kelasnya tidak dapat diubah."),
    # Development plans (catalog).
    "plan-exists": lambda: _("Anda sudah punya rencana pengembangan untuk tahun ini."),
    "plan-asn-only": lambda: _("Rencana pengembangan hanya untuk ASN."),
    "plan-not-yours": lambda: _("Hanya pemilik rencana yang dapat mengubah atau mengajukannya."),
    "plan-not-editable": lambda: _(
        "Rencana ini sedang menunggu persetujuan atau sudah disetujui, jadi tidak dapat diubah."
    ),
    "unknown-course": lambda: _("Pelatihan tidak ditemukan."),
    "course-not-published": lambda: _("Pelatihan ini belum diterbitkan."),
    "plan-duplicate-course": lambda: _("Pelatihan ini sudah ada di rencana Anda."),
    "plan-full": lambda: _("Rencana pengembangan paling banyak berisi 10 pelatihan."),
    "plan-item-not-found": lambda: _("Pelatihan ini tidak ada di rencana."),
    "plan-empty": lambda: _("Masukkan minimal satu pelatihan sebelum mengajukan rencana."),
    "plan-no-supervisor": lambda: _(
        "Atasan Anda belum tercatat, jadi rencana belum dapat diajukan. Hubungi BKPSDM."
    ),
    "plan-not-your-decision": lambda: _(
        "Hanya atasan langsung pegawai atau admin yang dapat memutuskan rencana ini."
    ),
    "plan-not-submitted": lambda: _("Rencana ini tidak sedang menunggu persetujuan."),
    "plans-all-admin": lambda: _("Hanya admin yang dapat melihat semua rencana."),
}

_BY_STATUS: dict[int, Callable[[], str]] = {
    400: lambda: _("Permintaan tidak dapat diproses."),
    403: lambda: _("Anda tidak berhak melakukan ini."),
    404: lambda: _("Data tidak ditemukan."),
    409: lambda: _("Permintaan bertentangan dengan keadaan data saat ini."),
    413: lambda: _("Berkas terlalu besar."),
    422: lambda: _("Ada isian yang tidak valid. Periksa kembali formulirnya."),
    429: lambda: _("Terlalu banyak percobaan. Silakan tunggu sebentar lalu coba lagi."),
}

# Field messages: marshmallow's own wording is stable, so its common messages map to ours;
# anything else a service says about a field becomes a plain "not valid".
_FIELD_MESSAGES: dict[str, Callable[[], str]] = {
    "Missing data for required field.": lambda: _("Wajib diisi."),
    "Field may not be null.": lambda: _("Wajib diisi."),
    "Not a valid integer.": lambda: _("Harus berupa bilangan bulat."),
    "Not a valid number.": lambda: _("Harus berupa angka."),
    "Not a valid email address.": lambda: _("Alamat e-mail tidak valid."),
    "Not a valid date.": lambda: _("Tanggal tidak valid."),
    "Not a valid datetime.": lambda: _("Waktu tidak valid."),
    "Not a valid UUID.": lambda: _("Pilihan tidak valid."),
    "Unknown field.": lambda: _("Isian ini tidak dikenal."),
}


def problem_code(error: ApiError) -> str | None:
    """The problem's `code` extension member, when the service set one."""
    code = error.body.get("code")
    return code if isinstance(code, str) else None


def coded_message(error: ApiError) -> str | None:
    """The portal's message for the problem's code; None when it has no code the portal knows."""
    message = _BY_CODE.get(problem_code(error) or "")
    return message() if message else None


def friendly(error: ApiError) -> str:
    """The portal's own Indonesian message for a problem: by its code, else by its status."""
    if error.unavailable:
        return _("Data ini sedang tidak dapat dimuat. Silakan coba lagi nanti.")
    return coded_message(error) or _BY_STATUS.get(error.status, _BY_STATUS[400])()


def field_messages(error: ApiError) -> dict[str, str]:
    """The problem's field errors, each as one Indonesian message (by the API's field name)."""
    out = {}
    for field, messages in error.field_errors.items():
        texts = messages if isinstance(messages, list) else [messages]
        known = [_FIELD_MESSAGES[t]() for t in texts if isinstance(t, str) and t in _FIELD_MESSAGES]
        out[field] = known[0] if known else _("Isian ini tidak valid.")
    return out


def pagination(data: Any, page: int) -> dict[str, int]:
    """Page numbers for a list answer."""
    per_page = current_app.config["PER_PAGE"]
    total = 0
    if isinstance(data, dict):
        total = int(data.get("total") or 0)
        per_page = int(data.get("per_page") or per_page)
    pages = max(1, math.ceil(total / per_page)) if per_page else 1
    return {"page": page, "pages": pages, "total": total, "per_page": per_page}


def sanitize_questions(questions: Any) -> list[dict[str, Any]]:
    """Only id, type, text and choice texts of each question reach the page: whatever else the
    API sends (an answer key, feedback) is dropped here, before any template sees it."""
    clean = []
    for question in questions if isinstance(questions, list) else []:
        if not isinstance(question, dict) or "id" not in question:
            continue
        choices = []
        for choice in question.get("choices") or []:
            if isinstance(choice, dict):
                choice = choice.get("text", "")
            choices.append(str(choice))
        clean.append(
            {
                "id": str(question["id"]),
                "type": str(question.get("type") or "single"),
                "text": str(question.get("text", "")),
                "choices": choices,
            }
        )
    return clean


def competency_names() -> dict[str, str]:
    """Competency code -> name from the catalog's dictionary; empty when it cannot be read
    (pages then show the codes, which is still correct)."""
    from .auth import api_get

    data, _error = load_part(lambda: api_get("/api/v1/competencies", params={"per_page": 100}))
    return {str(c.get("code")): str(c.get("name") or c.get("code")) for c in items_of(data)}


def saved_answers(questions: list[dict[str, Any]], responses: dict[str, Any]) -> dict[str, Any]:
    """The autosaved responses as the page's inputs show them: a set of choice indexes for
    choice questions, "true"/"false", or text; unknown questions and shapes are dropped."""
    shown: dict[str, Any] = {}
    for question in questions:
        qid, value = question["id"], responses.get(question["id"])
        if value is None:
            continue
        if question["type"] == "multiple" and isinstance(value, list):
            shown[qid] = {str(v) for v in value if isinstance(v, int)}
        elif question["type"] == "true_false" and isinstance(value, bool):
            shown[qid] = "true" if value else "false"
        elif isinstance(value, int | float | str) and not isinstance(value, bool):
            shown[qid] = {str(value)} if question["type"] == "single" else str(value)
    return shown


def answers_from_form(questions: list[dict[str, Any]], form: Any) -> dict[str, Any]:
    """The API's answer for each question from the form fields `q-<id>`, by question type:
    a choice index (single), a list of indexes (multiple), true/false, text or a number.
    Unanswered questions are left out (the API grades them as wrong)."""
    answers: dict[str, Any] = {}
    for question in questions:
        qid = str(question.get("id", ""))
        name = f"q-{qid}"
        qtype = question.get("type") or "single"
        try:
            if qtype == "multiple":
                picked = sorted({int(v) for v in form.getlist(name)})
                if picked:
                    answers[qid] = picked
                continue
            raw = (form.get(name) or "").strip()
            if raw == "":
                continue
            if qtype == "single":
                answers[qid] = int(raw)
            elif qtype == "true_false":
                if raw in ("true", "false"):
                    answers[qid] = raw == "true"
            elif qtype == "numeric":
                answers[qid] = float(raw.replace(",", "."))
            elif qtype in ("short_answer", "essay"):
                answers[qid] = raw[:10_000]
        except ValueError:
            continue
    return answers

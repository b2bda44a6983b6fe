"""The portal's own Indonesian words for the problems the trainer's APIs answer."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from ..gateway import ApiError
from ..pages import friendly, problem_code


def upload_problem(error: ApiError) -> str:
    """Why a module upload was refused."""
    if error.unavailable:
        raise error
    if error.status == 413:
        return _("Berkas terlalu besar (paling besar 200 MB).")
    return friendly(error)


UNMET = {
    "attendance": lambda: _("kehadiran belum memenuhi syarat"),
    "modules": lambda: _("modul belum semua selesai"),
    "post_test": lambda: _("tes akhir belum lulus"),
}


def unmet_text(unmet: Any) -> str:
    """What a learner still misses of the completion rule, in Indonesian."""
    parts = []
    for item in unmet if isinstance(unmet, list) else []:
        code = item.get("code") if isinstance(item, dict) else None
        parts.append(UNMET[code]() if code in UNMET else _("syarat belum terpenuhi"))
    return ", ".join(parts)


def completion_problem(error: ApiError) -> str:
    """Why catalog refused to complete a learner or a class."""
    if error.unavailable:
        raise error
    reason = problem_code(error)
    if reason == "completes-by-itself":
        return _(
            "Pelatihan ini selesai dengan sendirinya saat peserta menuntaskan modul dan lulus "
            "tes akhir; pengajar tidak dapat menyelesaikannya."
        )
    if reason == "completion-rule-not-met":
        return _(
            "Peserta belum memenuhi syarat kelulusan: %(what)s.",
            what=unmet_text(error.body.get("unmet")),
        )
    if error.status == 409:
        return _("Peserta ini tidak dapat diselesaikan dalam statusnya sekarang.")
    if error.status == 404:
        return _("Kelas atau peserta tidak ditemukan di kelas yang Anda ajar.")
    return friendly(error)


def attendance_problem(error: ApiError) -> str:
    """Why catalog refused an attendance record."""
    if error.unavailable:
        raise error
    if problem_code(error) == "session-not-held":
        return _("Sesi ini belum berlangsung; kehadiran dicatat pada atau setelah harinya.")
    if error.status == 422:
        return _("Daftar hadir memuat peserta yang tidak terdaftar di kelas ini.")
    return friendly(error)


def session_problem(error: ApiError) -> str:
    """Why catalog refused to add or remove a session day."""
    if error.unavailable:
        raise error
    if error.status == 422 and not problem_code(error):
        return _("Tanggal hari sesi tidak valid.")
    if error.status == 404:
        return _("Kelas ini tidak memiliki hari sesi pada tanggal itu.")
    return friendly(error)


def question_problem(error: ApiError) -> str:
    """Why evaluation refused a question (the field named, in Indonesian)."""
    if error.unavailable:
        raise error
    fields = ", ".join(sorted(error.field_errors)) if error.field_errors else ""
    if error.status == 422:
        return _(
            "Soal belum lengkap atau tidak sah. Periksa isian: %(fields)s.",
            fields=field_names_text(fields),
        )
    return friendly(error)


_FIELD_NAMES = {
    "text": lambda: _("teks soal"),
    "choices": lambda: _("pilihan"),
    "answer": lambda: _("kunci jawaban"),
    "answers": lambda: _("jawaban yang diterima"),
    "tolerance": lambda: _("toleransi"),
    "tags": lambda: _("tag"),
    "type": lambda: _("jenis soal"),
}

_TEST_FIELDS = {
    "title": lambda: _("judul"),
    "kind": lambda: _("jenis tes"),
    "passing_score": lambda: _("nilai lulus"),
    "time_limit_minutes": lambda: _("batas waktu"),
    "max_attempts": lambda: _("jumlah percobaan"),
    "questions": lambda: _("soal"),
    "question_ids": lambda: _("soal"),
    "draw": lambda: _("aturan acak"),
}


def test_settings_problem(error: ApiError) -> str:
    """Why evaluation refused to change a test's settings, naming the fields."""
    if error.unavailable:
        raise error
    if problem_code(error) == "assessment-in-use":
        raw = error.body.get("fields")
        fields = [f for f in raw if isinstance(f, str)] if isinstance(raw, list) else []
        return _(
            "Sudah ada peserta yang mengumpulkan tes ini, jadi %(fields)s tidak dapat diubah "
            "lagi: soal, nilai lulus, dan jenis tes tetap; jumlah percobaan dan batas waktu "
            "hanya boleh dilonggarkan.",
            fields=", ".join(_TEST_FIELDS[f]() if f in _TEST_FIELDS else f for f in fields),
        )
    if error.status == 422 and error.field_errors:
        return _(
            "Pengaturan tes tidak sah. Periksa isian: %(fields)s.",
            fields=", ".join(
                _TEST_FIELDS[f]() if f in _TEST_FIELDS else f for f in sorted(error.field_errors)
            ),
        )
    return friendly(error)


def field_names_text(fields: str) -> str:
    """Field names of a problem as the form calls them."""
    names = []
    for field in fields.split(", "):
        key = field.split(".")[-1] if field else ""
        names.append(_FIELD_NAMES[key]() if key in _FIELD_NAMES else field)
    return ", ".join(n for n in names if n) or _("isian soal")

"""Calls the back office makes through the gateway, and what a refused form tells the page."""

from __future__ import annotations

from typing import Any

from flask import Response, stream_with_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..auth import access_token
from ..gateway import ApiError, ApiResponse, gateway
from ..pages import friendly

# Indonesian messages by the field the API names in a 422: the API's own words are English.
FIELD_MESSAGES = {
    "nip": _l("NIP tidak valid: 18 digit berisi tanggal lahir, TMT, jenis kelamin dan nomor urut."),
    "name": _l("Nama wajib diisi (paling banyak 200 karakter)."),
    "unit_code": _l("Unit kerja tidak dikenal."),
    "grade": _l("Golongan tidak sesuai dengan jenis kepegawaian."),
    "position": _l("Jabatan wajib diisi (paling banyak 200 karakter)."),
    "position_type": _l("Jenis jabatan tidak dikenal."),
    "employment_type": _l("Jenis kepegawaian harus PNS atau PPPK."),
    "supervisor_nip": _l(
        "Atasan dengan NIP ini tidak ditemukan atau membuat rantai atasan berputar."
    ),
    "supervisor_id": _l("Atasan tidak ditemukan atau membuat rantai atasan berputar."),
    "status": _l("Status tidak dikenal."),
    "email": _l("Alamat surel tidak valid."),
    "username": _l("Nama pengguna wajib diisi untuk pegawai tanpa NIP."),
    "password": _l("Kata sandi paling sedikit 8 karakter."),
    "roles": _l("Peran tidak dikenal."),
    "code": _l("Kode hanya huruf, angka, titik, garis bawah atau tanda hubung (tanpa spasi)."),
    "title": _l("Judul wajib diisi."),
    "jp": _l("JP harus bilangan bulat lebih dari 0."),
    "cost_per_participant": _l("Biaya tidak boleh negatif."),
    "provider_id": _l("Penyelenggara tidak dikenal."),
    "competencies": _l("Periksa kompetensi: kode dikenal, level 1-5, tidak ganda."),
    "prerequisites": _l("Prasyarat harus kode pelatihan yang ada."),
    "starts_on": _l("Tanggal mulai wajib diisi."),
    "ends_on": _l("Kelas tidak boleh berakhir sebelum dimulai."),
    "capacity": _l("Kapasitas paling sedikit 1."),
    "enrolment_opens_on": _l("Tanggal buka pendaftaran tidak valid."),
    "enrolment_closes_on": _l("Pendaftaran harus tutup setelah dibuka dan sebelum kelas berakhir."),
    "trainer_ids": _l("Pengajar tidak dikenal."),
    "amount": _l("Jumlah tidak boleh negatif atau di bawah yang sudah dicadangkan."),
    "year": _l("Tahun tidak valid."),
    "override_reason": _l("Alasan wajib diisi (paling sedikit 3 karakter)."),
    "file": _l("Berkas tidak dapat dibaca sebagai CSV atau XLSX dengan kolom yang diminta."),
    "body": _l("Isi pengumuman wajib diisi (paling banyak 5000 karakter)."),
}


def call(method: str, api_path: str, **kwargs: Any) -> Any:
    """Call the API as the signed-in admin; the JSON answer."""
    return gateway().request(method, api_path, token=access_token(), **kwargs).data


def field_errors(error: ApiError) -> dict[str, str]:
    """One Indonesian message per field the API refused, under the API's field name."""
    found: dict[str, str] = {}
    for field in error.field_errors:
        top = str(field).split(".")[0]
        found[top] = str(FIELD_MESSAGES.get(top) or _("Isian ini tidak valid."))
    return found


def problem_message(error: ApiError) -> str:
    """The portal's own words for a refusal (by the problem's code, else its status)."""
    return friendly(error)


def passthrough_file(api_path: str, params: dict[str, Any] | None = None) -> Response:
    """Stream a file the API makes (an export) to the browser, with its name and type."""
    answer: ApiResponse = gateway().request(
        "GET", api_path, token=access_token(), params=params, stream=True
    )
    raw = answer.raw
    headers = {"Content-Disposition": raw.headers.get("Content-Disposition", "attachment")}
    return Response(
        stream_with_context(raw.iter_content(64 * 1024)),
        mimetype=raw.headers.get("Content-Type", "application/octet-stream"),
        headers=headers,
    )

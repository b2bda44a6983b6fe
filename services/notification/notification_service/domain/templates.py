"""What each kind of notification says, in Bahasa Indonesia first and English second.

Texts name the course and the date, never another person: a supervisor's message
about a request says that one is waiting, not whose it is (SECURITY: no personal data
of others leaves the suite by e-mail). The link is the portal page that acts on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

INSTANT, DIGEST, OFF = "instant", "digest", "off"
EMAIL_MODES = (INSTANT, DIGEST, OFF)


@dataclass(frozen=True)
class Kind:
    """One kind of notification: its default e-mail mode and its texts."""

    name: str
    default_email: str
    link: str  # a portal path; {placeholders} come from the event data
    title_id: str
    body_id: str
    title_en: str
    body_en: str


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "enrolment_requested",
            DIGEST,  # supervisors get one summary a day, not one mail per request
            "/persetujuan",
            "Permintaan pelatihan menunggu persetujuan",
            "Seorang anggota tim Anda meminta ikut {course_code} {course_title} "
            "(kelas {class_name}, mulai {starts_on}). Mohon setujui atau tolak.",
            "A training request awaits your approval",
            "A member of your team asked to join {course_code} {course_title} "
            "(class {class_name}, starting {starts_on}). Please approve or reject it.",
        ),
        Kind(
            "enrolment_approved",
            INSTANT,
            "/pendaftaran",
            "Pendaftaran pelatihan disetujui",
            "Pendaftaran Anda di {course_code} {course_title} (kelas {class_name}, "
            "mulai {starts_on}) telah disetujui.",
            "Training enrolment approved",
            "Your enrolment in {course_code} {course_title} (class {class_name}, "
            "starting {starts_on}) was approved.",
        ),
        Kind(
            "enrolment_waitlisted",
            INSTANT,
            "/pendaftaran",
            "Pendaftaran disetujui, masuk daftar tunggu",
            "Pendaftaran Anda di {course_code} {course_title} disetujui, tetapi kelas "
            "{class_name} penuh: Anda di daftar tunggu dan akan diberi tahu bila ada kursi.",
            "Enrolment approved, on the waiting list",
            "Your enrolment in {course_code} {course_title} was approved but class "
            "{class_name} is full: you are on the waiting list and will be told when a seat frees.",
        ),
        Kind(
            "enrolment_rejected",
            INSTANT,
            "/pendaftaran",
            "Pendaftaran pelatihan ditolak",
            "Pendaftaran Anda di {course_code} {course_title} ditolak. Alasan: {reason}",
            "Training enrolment rejected",
            "Your enrolment in {course_code} {course_title} was rejected. Reason: {reason}",
        ),
        Kind(
            "enrolment_promoted",
            INSTANT,
            "/pendaftaran",
            "Anda mendapat kursi di kelas",
            "Ada kursi kosong: Anda kini terdaftar di {course_code} {course_title} "
            "(kelas {class_name}, mulai {starts_on}).",
            "You got a seat in the class",
            "A seat freed up: you are now enrolled in {course_code} {course_title} "
            "(class {class_name}, starting {starts_on}).",
        ),
        Kind(
            "survey_due",
            INSTANT,
            "/survei/{survey_id}",
            "Mohon isi survei pelatihan",
            "Terima kasih telah menyelesaikan {course_code} {course_title}. "
            "Mohon isi survei evaluasi penyelenggaraan.",
            "Please fill in the training survey",
            "Thank you for completing {course_code} {course_title}. "
            "Please fill in the course evaluation survey.",
        ),
        Kind(
            "impact_evaluation_reminded",
            INSTANT,
            "/evaluasi-dampak/{evaluation_id}",
            "Evaluasi dampak pelatihan segera jatuh tempo",
            "Evaluasi dampak pelatihan {course_code} {course_title} jatuh tempo pada "
            "{due_on}. Mohon isi sebelum tanggal tersebut.",
            "A training impact evaluation is due soon",
            "The impact evaluation of {course_code} {course_title} is due on {due_on}. "
            "Please fill it in before then.",
        ),
        Kind(
            "impact_evaluation_escalated",
            INSTANT,
            "/evaluasi-dampak/{evaluation_id}",
            "Evaluasi dampak terlambat diteruskan kepada Anda",
            "Evaluasi dampak pelatihan {course_code} {course_title} (jatuh tempo {due_on}) "
            "belum diisi oleh atasan langsung dan kini diteruskan kepada Anda.",
            "An overdue impact evaluation was passed to you",
            "The impact evaluation of {course_code} {course_title} (due {due_on}) was not "
            "filled in by the direct supervisor and is now passed to you.",
        ),
        Kind(
            "certificate_issued",
            INSTANT,
            "/sertifikat",
            "Sertifikat pelatihan terbit",
            "Sertifikat {number} untuk {course_code} {course_title} telah terbit.",
            "Training certificate issued",
            "Certificate {number} for {course_code} {course_title} has been issued.",
        ),
        Kind(
            "impact_evaluation_due",
            INSTANT,
            "/evaluasi-dampak/{evaluation_id}",
            "Evaluasi dampak pelatihan jatuh tempo hari ini",
            "Enam bulan setelah pelatihan {course_code} {course_title}, evaluasi dampaknya "
            "jatuh tempo pada {due_on}. Mohon isi sekarang; yang terlambat diteruskan kepada "
            "atasan Anda.",
            "A training impact evaluation is due",
            "Six months after {course_code} {course_title}, its impact evaluation is due on "
            "{due_on}. Please fill it in now; overdue ones are passed to your own supervisor.",
        ),
        Kind(
            "supervisor_nudge",
            INSTANT,
            "/katalog",
            "Atasan Anda mengingatkan target JP tahun ini",
            "JP Anda tahun {year} baru {earned} dari target {target} JP (kurang {shortfall} "
            "JP). Pilih pelatihan di katalog agar target tercapai sebelum akhir tahun.",
            "Your supervisor reminds you of this year's JP target",
            "Your JP for {year} is {earned} of the {target} JP target ({shortfall} JP short). "
            "Choose a course in the catalogue to reach it before the year ends.",
        ),
        Kind(
            "announcement",
            INSTANT,
            "/pengumuman",
            # BKPSDM writes one text; both languages carry it as written
            "Pengumuman: {title}",
            "{body}",
            "Announcement: {title}",
            "{body}",
        ),
    )
}


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "-"


def render(kind: str, data: dict[str, Any]) -> dict[str, str]:
    """Title, body (both languages) and link of `kind` filled from the event data."""
    spec = KINDS[kind]
    values = _Blank({k: "-" if v in (None, "") else str(v) for k, v in data.items()})
    return {
        "title": spec.title_id.format_map(values),
        "body": spec.body_id.format_map(values),
        "title_en": spec.title_en.format_map(values),
        "body_en": spec.body_en.format_map(values),
        "link": spec.link.format_map(values),
    }


def email_text(name: str, items: list[dict[str, str]], base_url: str) -> tuple[str, str]:
    """(subject, plain-text body) of an e-mail carrying one or more notifications."""
    if len(items) == 1:
        subject = f"[Cakap] {items[0]['title']}"
    else:
        subject = f"[Cakap] Ringkasan harian: {len(items)} pemberitahuan"
    greeting = f"Yth. {name}," if name else "Yth. Bapak/Ibu,"
    lines = [greeting, ""]
    for item in items:
        lines += [item["title"], item["body"], f"Buka: {base_url}{item['link']}", ""]
    lines += [
        f"Atur pemberitahuan e-mail Anda di {base_url}/pemberitahuan/pengaturan.",
        "",
        "-- English --",
        f"Dear {name or 'colleague'},",
        "",
    ]
    for item in items:
        lines += [item["title_en"], item["body_en"], f"Open: {base_url}{item['link']}", ""]
    lines += [f"Choose your e-mail notifications at {base_url}/pemberitahuan/pengaturan."]
    return subject, "\n".join(lines) + "\n"

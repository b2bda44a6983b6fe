"""What people read for the API's codes, each label once; lazy, so a page translates only
the labels it shows (a dict of `_()` calls translated every label on every use)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

COURSE_FORMS = {
    "klasikal": _l("Klasikal"),
    "e_learning": _l("E-learning"),
    "blended": _l("Blended"),
    "coaching": _l("Coaching"),
    "mentoring": _l("Mentoring"),
    "magang": _l("Magang"),
    "seminar": _l("Seminar"),
    "degree_programme": _l("Pendidikan gelar"),
}
ENROLMENT_STATUSES = {
    "requested": _l("Menunggu persetujuan"),
    "waitlisted": _l("Daftar tunggu"),
    "enrolled": _l("Terdaftar"),
    "completed": _l("Selesai"),
    "rejected": _l("Ditolak"),
    "withdrawn": _l("Mengundurkan diri"),
    "cancelled": _l("Dibatalkan"),
}

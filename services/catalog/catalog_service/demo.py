"""Demo data for `make run`: loaded only in demo mode, only into an empty database.

The national managerial and socio-cultural dictionary, technical competencies of a few
OPD, providers, a few dozen courses across all forms, classes with enrolment open around
today, and budgets. Ids that other services refer to are derived (see demo_id).
"""

# ruff: noqa: E501 -- the demo tables read best one row per line

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from cakap_shared import demo
from cakap_shared.db import utcnow
from sqlalchemy import func, select

from .domain import clock
from .domain.attendance import add_default_sessions
from .domain.courses import apply_fields, published_event
from .extensions import db, events
from .models import (
    CLASSROOM_FORMS,
    DEFAULT_MIN_ATTENDANCE,
    Budget,
    Competency,
    Course,
    CourseClass,
    Enrolment,
    Provider,
)

_DEMO_NAMESPACE = uuid.UUID("6f1d0d5e-8a51-4a8e-9a34-3c1bb0f0c0de")


def demo_id(key: str) -> str:
    """The shared derived id: NIP or login name, "module:<slug>", "course:<code>" ..."""
    return str(uuid.uuid5(_DEMO_NAMESPACE, key))


TRAINER = demo_id("trainer")
LEARNER = demo_id("199507212019022002")  # pegawai, Nyimas Ayu Lestari
SUPERVISOR = demo_id("198203142008031001")  # atasan, Rizal Effendi

# code, name, description, indicators for levels 1-5
MANAGERIAL = [
    ("M-INT", "Integritas", "Konsisten berperilaku selaras dengan nilai, norma dan etika organisasi.", (
        "Mampu bertindak sesuai nilai, norma dan etika organisasi dalam kapasitas pribadi",
        "Mampu mengingatkan dan mengajak rekan kerja bertindak sesuai nilai dan etika",
        "Mampu memastikan dan menciptakan situasi kerja yang sesuai nilai dan etika",
        "Mampu menjadi role model dan menjamin keputusan unit sesuai nilai dan etika",
        "Mampu menjadi teladan dan mempertahankan integritas di tingkat instansi",
    )),
    ("M-KS", "Kerjasama", "Kemampuan menjalin dan membina hubungan kerja yang efektif.", (
        "Berpartisipasi sebagai anggota tim yang baik",
        "Menumbuhkan tim kerja yang partisipatif dan efektif",
        "Efektif membangun tim kerja lintas unit",
        "Membangun komitmen tim dan sinergi antarunit",
        "Menciptakan situasi kerja sama yang sinergis lintas instansi",
    )),
    ("M-KOM", "Komunikasi", "Kemampuan menerangkan pandangan dan gagasan secara jelas dan sistematis.", (
        "Menyampaikan informasi dengan jelas, lengkap dan mudah dipahami",
        "Aktif menjalankan komunikasi secara formal dan informal",
        "Berkomunikasi secara asertif, terampil berkomunikasi lisan dan tertulis",
        "Mampu mengemukakan pemikiran multidimensi secara lisan dan tertulis",
        "Menggagas sistem komunikasi yang terbuka secara strategis",
    )),
    ("M-OPH", "Orientasi pada Hasil", "Kemampuan mempertahankan komitmen menyelesaikan tugas dengan baik.", (
        "Bertanggung jawab untuk memenuhi standar kerja",
        "Berupaya meningkatkan hasil kerja di atas standar",
        "Menetapkan target kerja yang menantang bagi unit",
        "Mengembangkan standar kinerja unit berbasis hasil",
        "Kemampuan menciptakan inovasi untuk kinerja instansi",
    )),
    ("M-PP", "Pelayanan Publik", "Kemampuan melaksanakan tugas pelayanan publik secara profesional.", (
        "Menjalankan pelayanan sesuai SOP",
        "Mampu mensupervisi dan mengevaluasi pelayanan",
        "Mampu memanfaatkan kekuatan kelompok untuk memperbaiki pelayanan",
        "Mampu memonitor dan mengevaluasi dampak pelayanan",
        "Mampu menciptakan kebijakan pelayanan yang berorientasi pada masyarakat",
    )),
    ("M-PDO", "Pengembangan Diri dan Orang Lain", "Kemampuan meningkatkan pengetahuan dan keahlian diri dan orang lain.", (
        "Pengembangan diri",
        "Meningkatkan kemampuan bawahan dengan memberikan contoh dan penjelasan",
        "Memberikan umpan balik dan membimbing",
        "Menyusun program pengembangan jangka panjang",
        "Menciptakan situasi yang mendorong organisasi terus belajar",
    )),
    ("M-MP", "Mengelola Perubahan", "Kemampuan menyesuaikan diri dan mendorong perubahan.", (
        "Menyesuaikan diri dengan perubahan",
        "Proaktif beradaptasi mengikuti perubahan",
        "Membantu orang lain mengikuti perubahan",
        "Memimpin perubahan pada unit kerja",
        "Mengelola perubahan di tingkat instansi",
    )),
    ("M-PK", "Pengambilan Keputusan", "Kemampuan membuat keputusan yang baik secara tepat waktu.", (
        "Mengumpulkan informasi untuk bertindak sesuai kewenangan",
        "Menganalisis masalah secara mendalam",
        "Membandingkan berbagai alternatif dan menyeimbangkan risiko",
        "Menyelesaikan masalah yang mengandung risiko tinggi",
        "Menghasilkan solusi strategis yang berdampak jangka panjang",
    )),
]  # fmt: skip
SOCIO_CULTURAL = [
    ("SK-PB", "Perekat Bangsa", "Kemampuan mempromosikan sikap toleransi, keterbukaan dan peka terhadap keberagaman.", (
        "Peka memahami dan menerima kemajemukan",
        "Aktif mengembangkan sikap saling menghargai",
        "Mempromosikan dan mengembangkan sikap toleransi dan persatuan",
        "Mendayagunakan perbedaan secara konstruktif",
        "Wakil pemerintah untuk membangun hubungan sosial psikologis",
    )),
]  # fmt: skip
TECHNICAL = [
    ("T-DKI-KAMINFO", "Keamanan Informasi", "Diskominfo: melindungi informasi dan sistem elektronik."),
    ("T-DKI-SPBE", "Tata Kelola SPBE", "Diskominfo: arsitektur, layanan dan manajemen SPBE."),
    ("T-DKI-DATA", "Pengelolaan Data dan Statistik Sektoral", "Diskominfo: Satu Data Indonesia."),
    ("T-BAP-RENBANG", "Perencanaan Pembangunan Daerah", "Bappeda: RPJMD, RKPD dan musrenbang."),
    ("T-BAP-PROYEK", "Manajemen Proyek Pembangunan", "Bappeda: merencanakan dan mengendalikan proyek."),
    ("T-BAP-MONEV", "Monitoring dan Evaluasi Pembangunan", "Bappeda: indikator dan evaluasi kinerja."),
    ("T-KES-SURV", "Surveilans Kesehatan", "Dinkes: deteksi dan respons penyakit menular."),
    ("T-KES-PROMKES", "Promosi Kesehatan", "Dinkes: pemberdayaan masyarakat untuk hidup sehat."),
]  # fmt: skip

PROVIDERS = [
    ("BKPSDM", "BKPSDM Kota Palembang", "internal_unit", "Bidang Pengembangan Kompetensi", "bangkom@bkpsdm.palembang.go.id", "0711-350001"),
    ("BAPPEDA", "Bappeda Kota Palembang", "internal_unit", "Sekretariat Bappeda", "bappeda@palembang.go.id", "0711-350002"),
    ("DISKOMINFO", "Dinas Komunikasi dan Informatika Kota Palembang", "internal_unit", "Bidang Aptika", "aptika@diskominfo.palembang.go.id", "0711-350003"),
    ("DINKES", "Dinas Kesehatan Kota Palembang", "internal_unit", "Bidang Kesmas", "kesmas@dinkes.palembang.go.id", "0711-350004"),
    ("LAN", "Lembaga Administrasi Negara", "national_agency", "Pusat Pembinaan Program dan Kebijakan Pengembangan Kompetensi", "info@lan.go.id", "021-3868201"),
    ("BPSDM-SUMSEL", "BPSDM Provinsi Sumatera Selatan", "provincial_agency", "Bidang Pengembangan Kompetensi Manajerial", "bpsdm@sumselprov.go.id", "0711-410001"),
    ("UNSRI", "Universitas Sriwijaya", "university", "Program Pascasarjana", "pascasarjana@unsri.ac.id", "0711-580069"),
]  # fmt: skip

MOD_KAMINFO = demo_id("module:keamanan-informasi")
MOD_ETIKA = demo_id("module:etika-pelayanan")
MOD_SPBE = demo_id("module:pedoman-spbe")
PRE_KAMINFO = demo_id("assessment:pre-test-keamanan-informasi")
POST_KAMINFO = demo_id("assessment:post-test-keamanan-informasi")

# code, title, form, jp, provider, cost (Rp), competencies, description, extra fields
COURSES: list[tuple[str, str, str, int, str, int, list[tuple[str, int]], str, dict[str, Any]]] = [
    ("TIK-101", "Keamanan Informasi bagi ASN", "e_learning", 12, "DISKOMINFO", 0,
     [("T-DKI-KAMINFO", 2), ("M-INT", 2)],
     "Kata sandi, phishing, klasifikasi informasi dan etika pelayanan digital; modul SCORM dan post test.",
     {"module_ids": [MOD_KAMINFO, MOD_ETIKA], "pre_test_id": PRE_KAMINFO, "post_test_id": POST_KAMINFO}),
    ("TIK-102", "Pedoman SPBE untuk Perangkat Daerah", "e_learning", 6, "DISKOMINFO", 0,
     [("T-DKI-SPBE", 2)], "Membaca dan menerapkan pedoman SPBE kota.", {"module_ids": [MOD_SPBE]}),
    ("TIK-201", "Tata Kelola SPBE Lanjutan", "blended", 24, "DISKOMINFO", 750_000,
     [("T-DKI-SPBE", 3), ("M-MP", 3)], "Arsitektur SPBE, manajemen layanan dan evaluasi SPBE.", {"prerequisites": ["TIK-102"]}),
    ("TIK-210", "Satu Data Palembang: Pengelolaan Data Sektoral", "klasikal", 16, "DISKOMINFO", 500_000,
     [("T-DKI-DATA", 3)], "Metadata, interoperabilitas dan publikasi data sektoral.", {}),
    ("TIK-220", "Analisis Data dengan Spreadsheet", "e_learning", 8, "DISKOMINFO", 0,
     [("T-DKI-DATA", 2)], "Fungsi, tabel pivot dan visualisasi sederhana.", {}),
    ("BAP-301", "Manajemen Proyek Pembangunan Daerah", "klasikal", 32, "BAPPEDA", 1_500_000,
     [("T-BAP-PROYEK", 3), ("M-OPH", 3), ("M-PK", 3)],
     "Perencanaan, penjadwalan, pengendalian biaya dan risiko proyek pembangunan daerah.", {}),
    ("BAP-302", "Penyusunan RKPD Berbasis Kinerja", "klasikal", 24, "BAPPEDA", 1_000_000,
     [("T-BAP-RENBANG", 3)], "Menyusun RKPD dan Renja yang selaras dengan RPJMD.", {}),
    ("BAP-310", "Monitoring dan Evaluasi Pembangunan", "blended", 20, "BAPPEDA", 800_000,
     [("T-BAP-MONEV", 3), ("M-PK", 2)], "Indikator kinerja, pengumpulan data dan laporan evaluasi.", {}),
    ("BAP-320", "Magang Perencanaan di Bappeda", "magang", 40, "BAPPEDA", 0,
     [("T-BAP-RENBANG", 2)], "Magang dua minggu di bidang perencanaan.", {}),
    ("KES-401", "Surveilans Penyakit Menular", "klasikal", 24, "DINKES", 1_200_000,
     [("T-KES-SURV", 3)], "Deteksi dini, pelaporan dan respons KLB.", {}),
    ("KES-402", "Promosi Kesehatan Berbasis Komunitas", "blended", 16, "DINKES", 600_000,
     [("T-KES-PROMKES", 3), ("M-KOM", 2)], "Merancang kampanye kesehatan bersama masyarakat.", {}),
    ("KES-410", "Seminar Kesiapsiagaan Wabah", "seminar", 4, "DINKES", 0,
     [("T-KES-SURV", 1)], "Pelajaran dari penanganan wabah di Sumatera Selatan.", {}),
    ("MAN-501", "Integritas dan Antikorupsi", "e_learning", 6, "BKPSDM", 0,
     [("M-INT", 3)], "Nilai dasar ASN BerAKHLAK, konflik kepentingan dan gratifikasi.", {}),
    ("MAN-502", "Kerjasama Tim Lintas Perangkat Daerah", "klasikal", 12, "BKPSDM", 350_000,
     [("M-KS", 3)], "Membangun tim kerja lintas unit dan menyelesaikan konflik.", {}),
    ("MAN-503", "Komunikasi Publik yang Efektif", "klasikal", 16, "BKPSDM", 450_000,
     [("M-KOM", 3)], "Menulis siaran pers, berbicara di depan umum dan media sosial instansi.", {}),
    ("MAN-504", "Pelayanan Prima", "klasikal", 12, "BKPSDM", 300_000,
     [("M-PP", 3)], "Standar pelayanan, survei kepuasan dan pengaduan masyarakat.", {}),
    ("MAN-505", "Coaching untuk Atasan Langsung", "coaching", 8, "BKPSDM", 0,
     [("M-PDO", 3)], "Teknik coaching GROW untuk membimbing bawahan.", {}),
    ("MAN-506", "Mentoring Calon Pemimpin", "mentoring", 20, "BKPSDM", 0,
     [("M-PDO", 4), ("M-PK", 3)], "Pendampingan enam bulan oleh pejabat senior.", {}),
    ("MAN-507", "Mengelola Perubahan di Unit Kerja", "blended", 16, "BKPSDM", 400_000,
     [("M-MP", 3)], "Memimpin perubahan, mengelola resistensi dan komunikasi perubahan.", {}),
    ("MAN-508", "Pengambilan Keputusan Berbasis Data", "klasikal", 16, "BKPSDM", 450_000,
     [("M-PK", 3), ("T-DKI-DATA", 2)], "Analisis masalah, alternatif dan risiko keputusan.", {}),
    ("MAN-509", "Orientasi pada Hasil dan Manajemen Kinerja", "e_learning", 8, "BKPSDM", 0,
     [("M-OPH", 2)], "SKP, target kinerja dan umpan balik berkelanjutan.", {}),
    ("SOS-601", "Wawasan Kebangsaan dan Perekat Bangsa", "seminar", 6, "BKPSDM", 0,
     [("SK-PB", 2)], "Toleransi, keberagaman dan moderasi dalam pelayanan.", {}),
    ("SOS-602", "Pelayanan dalam Masyarakat Majemuk", "klasikal", 12, "BKPSDM", 250_000,
     [("SK-PB", 3), ("M-PP", 2)], "Melayani dengan peka terhadap keberagaman budaya Palembang.", {}),
    ("LAN-701", "Pelatihan Kepemimpinan Pengawas (PKP)", "blended", 300, "LAN", 15_000_000,
     [("M-PDO", 3), ("M-OPH", 3), ("M-KS", 3)], "Pelatihan kepemimpinan wajib bagi pejabat pengawas.", {}),
    ("LAN-702", "Pelatihan Kepemimpinan Administrator (PKA)", "blended", 400, "LAN", 25_000_000,
     [("M-MP", 4), ("M-PK", 4)], "Pelatihan kepemimpinan wajib bagi pejabat administrator.", {}),
    ("BPSDM-801", "Pelatihan Dasar CPNS Golongan III", "blended", 600, "BPSDM-SUMSEL", 8_000_000,
     [("M-INT", 2), ("SK-PB", 2), ("M-PP", 2)], "Latsar CPNS: nilai dasar ASN dan aktualisasi.", {}),
    ("BPSDM-802", "Pengadaan Barang/Jasa Pemerintah Tingkat Dasar", "klasikal", 40, "BPSDM-SUMSEL", 3_000_000,
     [("M-INT", 3)], "Persiapan ujian sertifikasi PBJ tingkat dasar.", {}),
    ("UNSRI-901", "Magister Administrasi Publik (Tugas Belajar)", "degree_programme", 2000, "UNSRI", 60_000_000,
     [("M-PK", 4), ("T-BAP-RENBANG", 4)], "Program S2 kerja sama Pemkot Palembang dan Universitas Sriwijaya.", {}),
    ("UNSRI-902", "Magister Kesehatan Masyarakat (Tugas Belajar)", "degree_programme", 2000, "UNSRI", 60_000_000,
     [("T-KES-SURV", 4), ("T-KES-PROMKES", 4)], "Program S2 kesehatan masyarakat bagi tenaga Dinkes.", {}),
    ("UNSRI-910", "Seminar Inovasi Pelayanan Publik", "seminar", 4, "UNSRI", 0,
     [("M-PP", 2), ("M-MP", 2)], "Berbagi praktik baik inovasi pelayanan dari kota-kota di Indonesia.", {}),
    ("ARC-950", "Arsip Digital (draf)", "e_learning", 6, "BKPSDM", 0,
     [("T-DKI-DATA", 1)], "Masih disusun.", {"_status": "draft"}),
]  # fmt: skip

BUDGET_UNITS = [
    "SETDA", "SETDA-PEM", "SETDA-ORG", "SETDA-UMUM", "BAPPEDA", "BAPPEDA-EKO", "BAPPEDA-IPW",
    "DISKOMINFO", "DISKOMINFO-APTIKA", "DISKOMINFO-IKP", "DISKOMINFO-SANDI", "BKPSDM",
    "BKPSDM-BANGKOM", "BKPSDM-MUTASI", "DINKES", "DINKES-YANKES", "DINKES-P2P", "DINKES-KESMAS",
]  # fmt: skip


def seed_demo() -> bool:
    """Load the demo data when the database is empty; True if it loaded."""
    if db.session.scalar(select(func.count()).select_from(Course)) or db.session.scalar(
        select(func.count()).select_from(Competency)
    ):
        return False
    for code, name, description, indicators in MANAGERIAL:
        db.session.add(_competency(code, name, "manajerial", description, indicators))
    for code, name, description, indicators in SOCIO_CULTURAL:
        db.session.add(_competency(code, name, "sosial_kultural", description, indicators))
    for code, name, description in TECHNICAL:
        db.session.add(_competency(code, name, "teknis", description, ()))
    providers = _providers()
    db.session.flush()
    today = clock.today()
    for row in COURSES:
        _classes(_course(row, providers), today)
    for unit in BUDGET_UNITS:
        amount = 150_000_000 if "-" not in unit else 50_000_000
        db.session.add(Budget(unit_code=unit, year=today.year, amount=amount, reserved=0))
        db.session.add(Budget(unit_code=unit, year=today.year + 1, amount=amount, reserved=0))
    db.session.flush()
    _pending_request(today)
    _running_class(today)
    db.session.commit()
    return True


def _providers() -> dict[str, Provider]:
    """The providers of PROVIDERS by code."""
    providers = {}
    for code, name, kind, contact, email, phone in PROVIDERS:
        providers[code] = Provider(
            id=demo_id(f"provider:{code}"),
            code=code,
            name=name,
            kind=kind,
            contact_name=contact,
            contact_email=email,
            contact_phone=phone,
            address="Palembang" if kind != "national_agency" else "Jakarta",
        )
        db.session.add(providers[code])
    return providers


def _course(row: tuple[Any, ...], providers: dict[str, Provider]) -> Course:
    """One course of COURSES (published unless `_status` says otherwise), with its event."""
    code, title, form, jp, provider, cost, comps, description, extra = row
    extra = dict(extra)
    status = extra.pop("_status", "published")
    course = Course(id=demo_id(f"course:{code}"), status=status)
    apply_fields(
        course,
        {
            "code": code,
            "title": title,
            "description": description,
            "form": form,
            "jp": jp,
            "provider_id": providers[provider].id,
            "cost_per_participant": cost,
            "competencies": [{"code": c, "level": lvl} for c, lvl in comps],
            "min_attendance_percent": DEFAULT_MIN_ATTENDANCE if form in CLASSROOM_FORMS else None,
            **extra,
        },
    )
    db.session.add(course)
    db.session.flush()
    if status == "published":
        course.published_at = course.created_at
        events.publish("course.published", published_event(course), course.id)
    return course


def _competency(
    code: str, name: str, type_: str, description: str, indicators: tuple[str, ...]
) -> Competency:
    return Competency(
        id=demo_id(f"competency:{code}"),
        code=code,
        name=name,
        type=type_,
        description=description,
        indicators={str(i + 1): text for i, text in enumerate(indicators)},
    )


def _classes(course: Course, today: Any) -> None:
    """Two classes per course: one open now, one later in the year."""
    long_running = course.form in ("e_learning", "degree_programme", "mentoring", "magang")
    plans = [
        # (starts in days, lasts days, window opens, window closes) relative to today
        (-3, 60, -10, 30) if long_running else (21, 3, -7, 14),
        (75, 60 if long_running else 3, 30, 70),
    ]
    for n, (start, length, opens, closes) in enumerate(plans, start=1):
        starts = today + timedelta(days=start)
        ends = starts + timedelta(days=length)
        _add_class(
            CourseClass(
                id=demo_id(f"class:{course.code}-{n}"),
                course_id=course.id,
                name=f"Angkatan {'I' * n}",
                starts_on=starts,
                ends_on=ends,
                place=None if course.form == "e_learning" else "Gedung Diklat BKPSDM, Palembang",
                online=course.form in ("e_learning", "blended"),
                capacity=40 if course.form != "degree_programme" else 10,
                seats_taken=0,
                enrolment_opens_on=today + timedelta(days=opens),
                enrolment_closes_on=min(today + timedelta(days=closes), ends),
                trainer_ids=[TRAINER],
            ),
            course,
        )


def _add_class(course_class: CourseClass, course: Course) -> None:
    course_class.course = course
    db.session.add(course_class)
    db.session.flush()
    add_default_sessions(course_class)


def _running_class(today: Any) -> None:
    """A tatap muka class of MAN-504 taught by the demo trainer that began last week and
    ends this week, with atasan and pegawai enrolled: attendance and completion to try."""
    course = db.session.get(Course, demo_id("course:MAN-504"))
    starts = today - timedelta(days=7)
    class_id = demo_id("class:MAN-504-running")
    _add_class(
        CourseClass(
            id=class_id,
            course_id=course.id,
            name="Angkatan Berjalan",
            starts_on=starts,
            ends_on=today + timedelta(days=2),
            place="Gedung Diklat BKPSDM, Palembang",
            online=False,
            capacity=30,
            seats_taken=2,
            enrolment_opens_on=starts - timedelta(days=14),
            enrolment_closes_on=starts,
            trainer_ids=[TRAINER],
        ),
        course,
    )
    for learner_id, name in ((SUPERVISOR, "Rizal Effendi"), (LEARNER, "Nyimas Ayu Lestari")):
        db.session.add(
            Enrolment(
                id=demo_id(f"enrolment:{learner_id}-MAN-504-running"),
                class_id=class_id,
                course_id=course.id,
                learner_id=learner_id,
                learner_name=name,
                unit_code="DISKOMINFO-APTIKA",
                supervisor_id=None if learner_id == SUPERVISOR else SUPERVISOR,
                status="enrolled",
                enrolled_at=utcnow(),
            )
        )


def _pending_request(today: Any) -> None:
    """pegawai has asked for a classroom course: atasan finds it waiting for approval."""
    db.session.add(
        Enrolment(
            id=demo_id("enrolment:pegawai-MAN-503-1"),
            class_id=demo_id("class:MAN-503-1"),
            course_id=demo_id("course:MAN-503"),
            learner_id=LEARNER,
            learner_name="Nyimas Ayu Lestari",
            unit_code="DISKOMINFO-APTIKA",
            supervisor_id=SUPERVISOR,
            status="requested",
        )
    )


seed_demo_command = demo.seed_demo_command("catalog", seed_demo)

"""A deterministic demo of Palembang city government: OPD, their bidang, and about 300 ASN.

Everything comes from one seeded random generator, so every call (and every
machine) gives the same units and people. The two people the contract's demo
needs are written out by hand and placed first in their seksi, so their NIPs
stay fixed whatever else changes: DEMO_SUPERVISOR_NIP supervises DEMO_ASN_NIP,
both in unit DEMO_UNIT_CODE (Diskominfo, Bidang Aplikasi Informatika).

People come supervisors first (Sekda, heads of OPD, kepala bidang, kepala seksi,
staff), so they can be inserted in order. Appointments end by 2024-06 so every
NIP stays valid on any later date.
"""

import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from personnel_service.domain.grades import (
    PNS_GRADES,
    PPPK_GRADES,
    EmploymentType,
    PositionType,
    Status,
)
from personnel_service.domain.nip import make_nip

DEMO_SEED = 20240617
DEMO_UNIT_CODE = "DISKOMINFO-APTIKA"
DEMO_SUPERVISOR_NIP = "198203142008031001"
DEMO_ASN_NIP = "199507212019022002"
EMAIL_DOMAIN = "palembang.go.id"
LAST_APPOINTMENT = (2024, 6)


@dataclass(frozen=True, slots=True)
class DemoUnit:
    """An organisational unit: an OPD (parent_code None) or one of its bidang/bagian."""

    code: str
    name: str
    parent_code: str | None


@dataclass(frozen=True, slots=True)
class DemoPerson:
    """One demo ASN, with plain string values as the API and the import file take them."""

    nip: str
    name: str
    unit_code: str
    position: str
    position_type: str
    grade: str
    employment_type: str
    supervisor_nip: str | None
    status: str
    email: str


# (code, name, head title, [(sub code, sub name, sub head title, [seksi names])], fungsional)
_OPD = (
    ("SETDA", "Sekretariat Daerah", "Sekretaris Daerah", [
        ("SETDA-PEM", "Bagian Pemerintahan", "Kepala Bagian Pemerintahan",
         ["Kepala Subbagian Otonomi Daerah", "Kepala Subbagian Administrasi Kewilayahan"]),
        ("SETDA-ORG", "Bagian Organisasi", "Kepala Bagian Organisasi",
         ["Kepala Subbagian Kelembagaan dan Analisis Jabatan"]),
        ("SETDA-UMUM", "Bagian Umum", "Kepala Bagian Umum",
         ["Kepala Subbagian Tata Usaha Pimpinan", "Kepala Subbagian Rumah Tangga"]),
    ], ["Analis Kebijakan Ahli Pertama", "Analis Kebijakan Ahli Muda",
        "Pranata Komputer Terampil"]),
    ("BAPPEDA", "Badan Perencanaan Pembangunan Daerah dan Penelitian Pengembangan",
     "Kepala Bappeda", [
        ("BAPPEDA-EKO", "Bidang Perencanaan Perekonomian dan Sumber Daya Alam",
         "Kepala Bidang Perekonomian dan SDA", ["Kepala Subbidang Perekonomian"]),
        ("BAPPEDA-IPW", "Bidang Infrastruktur dan Pengembangan Wilayah",
         "Kepala Bidang Infrastruktur dan Pengembangan Wilayah",
         ["Kepala Subbidang Infrastruktur", "Kepala Subbidang Tata Ruang"]),
    ], ["Perencana Ahli Pertama", "Perencana Ahli Muda", "Peneliti Ahli Pertama"]),
    ("DISKOMINFO", "Dinas Komunikasi dan Informatika", "Kepala Dinas Komunikasi dan Informatika", [
        ("DISKOMINFO-APTIKA", "Bidang Aplikasi Informatika", "Kepala Bidang Aplikasi Informatika",
         ["Kepala Seksi Infrastruktur dan Teknologi", "Kepala Seksi Layanan E-Government"]),
        ("DISKOMINFO-IKP", "Bidang Informasi dan Komunikasi Publik",
         "Kepala Bidang Informasi dan Komunikasi Publik",
         ["Kepala Seksi Pengelolaan Informasi Publik", "Kepala Seksi Kemitraan Media"]),
        ("DISKOMINFO-SANDI", "Bidang Persandian dan Statistik",
         "Kepala Bidang Persandian dan Statistik", ["Kepala Seksi Statistik Sektoral"]),
    ], ["Pranata Komputer Ahli Pertama", "Pranata Komputer Ahli Muda",
        "Pranata Hubungan Masyarakat Ahli Pertama", "Statistisi Ahli Pertama",
        "Sandiman Ahli Pertama"]),
    ("BKPSDM", "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia", "Kepala BKPSDM", [
        ("BKPSDM-BANGKOM", "Bidang Pengembangan Kompetensi Aparatur",
         "Kepala Bidang Pengembangan Kompetensi Aparatur",
         ["Kepala Subbidang Diklat Struktural dan Fungsional", "Kepala Subbidang Diklat Teknis"]),
        ("BKPSDM-MUTASI", "Bidang Mutasi dan Promosi", "Kepala Bidang Mutasi dan Promosi",
         ["Kepala Subbidang Mutasi"]),
    ], ["Analis Sumber Daya Manusia Aparatur Ahli Pertama",
        "Analis Sumber Daya Manusia Aparatur Ahli Muda", "Widyaiswara Ahli Muda"]),
    ("DINKES", "Dinas Kesehatan", "Kepala Dinas Kesehatan", [
        ("DINKES-YANKES", "Bidang Pelayanan dan Sumber Daya Kesehatan",
         "Kepala Bidang Pelayanan dan SDK", ["Kepala Seksi Pelayanan Kesehatan Primer"]),
        ("DINKES-P2P", "Bidang Pencegahan dan Pengendalian Penyakit", "Kepala Bidang P2P",
         ["Kepala Seksi Surveilans dan Imunisasi", "Kepala Seksi Penyakit Menular"]),
        ("DINKES-KESMAS", "Bidang Kesehatan Masyarakat", "Kepala Bidang Kesehatan Masyarakat",
         ["Kepala Seksi Kesehatan Keluarga dan Gizi"]),
    ], ["Perawat Ahli Pertama", "Perawat Terampil", "Epidemiolog Kesehatan Ahli Muda",
        "Dokter Ahli Pertama", "Penyuluh Kesehatan Masyarakat Ahli Pertama", "Bidan Terampil"]),
    ("DISDIK", "Dinas Pendidikan", "Kepala Dinas Pendidikan", [
        ("DISDIK-SD", "Bidang Pembinaan Sekolah Dasar", "Kepala Bidang Pembinaan SD",
         ["Kepala Seksi Kurikulum SD", "Kepala Seksi Peserta Didik SD"]),
        ("DISDIK-SMP", "Bidang Pembinaan Sekolah Menengah Pertama", "Kepala Bidang Pembinaan SMP",
         ["Kepala Seksi Kurikulum SMP"]),
        ("DISDIK-GTK", "Bidang Guru dan Tenaga Kependidikan", "Kepala Bidang GTK",
         ["Kepala Seksi Pendidik"]),
    ], ["Pengawas Sekolah Ahli Madya", "Guru Ahli Pertama", "Guru Ahli Muda",
        "Penilik Ahli Pertama"]),
    ("DPUPR", "Dinas Pekerjaan Umum dan Penataan Ruang", "Kepala Dinas PUPR", [
        ("DPUPR-BM", "Bidang Bina Marga", "Kepala Bidang Bina Marga",
         ["Kepala Seksi Pembangunan Jalan dan Jembatan", "Kepala Seksi Pemeliharaan Jalan"]),
        ("DPUPR-SDA", "Bidang Sumber Daya Air", "Kepala Bidang Sumber Daya Air",
         ["Kepala Seksi Drainase dan Pengendalian Banjir"]),
        ("DPUPR-TR", "Bidang Penataan Ruang", "Kepala Bidang Penataan Ruang",
         ["Kepala Seksi Perencanaan Tata Ruang"]),
    ], ["Teknik Jalan dan Jembatan Ahli Pertama", "Teknik Pengairan Ahli Pertama",
        "Penata Ruang Ahli Pertama", "Teknik Jalan dan Jembatan Terampil"]),
    ("DISDUKCAPIL", "Dinas Kependudukan dan Pencatatan Sipil",
     "Kepala Dinas Kependudukan dan Pencatatan Sipil", [
        ("DISDUKCAPIL-DAFDUK", "Bidang Pelayanan Pendaftaran Penduduk",
         "Kepala Bidang Pelayanan Pendaftaran Penduduk",
         ["Kepala Seksi Identitas Penduduk", "Kepala Seksi Pindah Datang"]),
        ("DISDUKCAPIL-CAPIL", "Bidang Pelayanan Pencatatan Sipil",
         "Kepala Bidang Pelayanan Pencatatan Sipil", ["Kepala Seksi Kelahiran dan Kematian"]),
    ], ["Administrator Database Kependudukan Ahli Pertama",
        "Administrator Database Kependudukan Terampil"]),
    ("DISHUB", "Dinas Perhubungan", "Kepala Dinas Perhubungan", [
        ("DISHUB-LLAJ", "Bidang Lalu Lintas", "Kepala Bidang Lalu Lintas",
         ["Kepala Seksi Manajemen dan Rekayasa Lalu Lintas"]),
        ("DISHUB-ANGKUTAN", "Bidang Angkutan", "Kepala Bidang Angkutan",
         ["Kepala Seksi Angkutan Orang", "Kepala Seksi Pengujian Kendaraan"]),
    ], ["Penguji Kendaraan Bermotor Terampil", "Penguji Kendaraan Bermotor Ahli Pertama",
        "Analis Lalu Lintas Ahli Pertama"]),
    ("BPKAD", "Badan Pengelola Keuangan dan Aset Daerah", "Kepala BPKAD", [
        ("BPKAD-ANGGARAN", "Bidang Anggaran", "Kepala Bidang Anggaran",
         ["Kepala Subbidang Anggaran Belanja"]),
        ("BPKAD-PERBEN", "Bidang Perbendaharaan", "Kepala Bidang Perbendaharaan",
         ["Kepala Subbidang Belanja Langsung", "Kepala Subbidang Kas Daerah"]),
        ("BPKAD-ASET", "Bidang Aset", "Kepala Bidang Aset", ["Kepala Subbidang Inventarisasi"]),
    ], ["Analis Keuangan Pusat dan Daerah Ahli Pertama",
        "Analis Keuangan Pusat dan Daerah Ahli Muda",
        "Penata Kelola Barang Milik Negara Ahli Pertama"]),
    ("INSPEKTORAT", "Inspektorat Daerah", "Inspektur", [
        ("INSPEKTORAT-IRBAN1", "Inspektur Pembantu Wilayah I", "Inspektur Pembantu Wilayah I",
         ["Kepala Subbagian Evaluasi dan Pelaporan"]),
        ("INSPEKTORAT-IRBAN2", "Inspektur Pembantu Wilayah II", "Inspektur Pembantu Wilayah II",
         ["Kepala Subbagian Perencanaan"]),
    ], ["Auditor Ahli Pertama", "Auditor Ahli Muda", "Auditor Ahli Madya",
        "Pengawas Penyelenggaraan Urusan Pemerintahan di Daerah Ahli Pertama"]),
    ("DINSOS", "Dinas Sosial", "Kepala Dinas Sosial", [
        ("DINSOS-REHSOS", "Bidang Rehabilitasi Sosial", "Kepala Bidang Rehabilitasi Sosial",
         ["Kepala Seksi Rehabilitasi Anak dan Lanjut Usia"]),
        ("DINSOS-LINJAMSOS", "Bidang Perlindungan dan Jaminan Sosial",
         "Kepala Bidang Perlindungan dan Jaminan Sosial",
         ["Kepala Seksi Penanganan Fakir Miskin", "Kepala Seksi Perlindungan Korban Bencana"]),
    ], ["Pekerja Sosial Ahli Pertama", "Pekerja Sosial Terampil", "Penyuluh Sosial Ahli Pertama"]),
)  # fmt: skip

_PELAKSANA = (
    "Pengadministrasi Perkantoran",
    "Penata Layanan Operasional",
    "Pengelola Layanan Operasional",
    "Operator Layanan Operasional",
    "Pengolah Data dan Informasi",
    "Pengelola Keuangan",
)

# Golongan each position type is usually held at (inclusive), by rank in PNS_GRADES.
_PNS_RANGE = {
    PositionType.JPT_PRATAMA: ("IV/c", "IV/d"),
    PositionType.ADMINISTRATOR: ("III/d", "IV/b"),
    PositionType.PENGAWAS: ("III/c", "III/d"),
    PositionType.PELAKSANA: ("II/c", "III/b"),
}
# Fungsional grade follows the level in the title (jenjang jabatan fungsional).
_FUNGSIONAL_PNS = {
    "Terampil": ("II/c", "III/b"),
    "Ahli Pertama": ("III/a", "III/b"),
    "Ahli Muda": ("III/c", "III/d"),
    "Ahli Madya": ("IV/a", "IV/c"),
}
_FUNGSIONAL_PPPK = {"Terampil": "VII", "Ahli Pertama": "IX", "Ahli Muda": "X", "Ahli Madya": "XI"}
# Birth years by role: leaders are older; staff span the whole 1965-2000 range.
_BIRTH_YEARS = {
    PositionType.JPT_PRATAMA: (1966, 1974),
    PositionType.ADMINISTRATOR: (1968, 1982),
    PositionType.PENGAWAS: (1972, 1988),
    PositionType.FUNGSIONAL: (1965, 2000),
    PositionType.PELAKSANA: (1965, 2000),
}

_MALE = (
    "Ahmad", "Muhammad", "Rizal", "Hendra", "Syahril", "Zulkifli", "Herman", "Agus", "Budi",
    "Eko", "Iwan", "Rahmat", "Fauzi", "Rudi", "Yusuf", "Andi", "Dedi", "Fajar", "Arief", "Taufik",
    "Bambang", "Joko", "Heri", "Irfan", "Ridwan", "Firdaus", "Rizky", "Dimas", "Hasan", "Anwar",
)  # fmt: skip
_FEMALE = (
    "Siti", "Nurhayati", "Dewi", "Sri", "Indah", "Putri", "Yulianti", "Novita", "Ratna", "Wulan",
    "Rina", "Fitri", "Lestari", "Aisyah", "Desi", "Maya", "Ayu", "Ernawati", "Fatimah", "Rahma",
    "Melati", "Intan", "Suryani", "Yuliana", "Anggraini", "Dian", "Eka", "Nia", "Kartika", "Lia",
)  # fmt: skip
_FAMILY = (
    "Alamsyah", "Syarifuddin", "Mahmud", "Effendi", "Hidayat", "Saputra", "Pratama", "Santoso",
    "Wibowo", "Kurniawan", "Setiawan", "Rahmawati", "Wulandari", "Susanti", "Harahap",
    "Siregar", "Nasution", "Lubis", "Simanjuntak", "Chaniago", "Hasibuan", "Daulay", "Rusdi",
    "Hamzah", "Yusuf", "Ibrahim", "Sulaiman", "Azhari", "Ramadhan", "Permata",
)  # fmt: skip
# Palembang's own name titles: Kemas, Masagus, Kiagus, Raden; Nyimas, Nyayu, Raden Ayu.
_PALEMBANG_MALE = ("Kms.", "Mgs.", "Kgs.", "R.")
_PALEMBANG_FEMALE = ("Nyimas", "Nyayu", "R.A.")
_DEGREES = ("S.E.", "S.H.", "S.Sos.", "S.Kom.", "S.T.", "S.Pd.", "S.IP.", "S.Ak.")
_MASTERS = ("M.Si.", "M.M.", "M.AP.", "M.Kom.", "M.T.", "M.H.")


@lru_cache(maxsize=1)
def _build() -> tuple[tuple[DemoUnit, ...], tuple[DemoPerson, ...]]:
    """Generate the whole demo once; every public call reads this."""
    return _Generator(random.Random(DEMO_SEED)).run()


def demo_units() -> list[DemoUnit]:
    """The demo OPD and their bidang/bagian, parents before children."""
    return list(_build()[0])


def demo_people() -> list[DemoPerson]:
    """About 300 demo ASN, each supervisor listed before the people they supervise."""
    return list(_build()[1])


class _Generator:
    """Walks the OPD table, drawing people from one seeded random source."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.units: list[DemoUnit] = []
        self.people: list[DemoPerson] = []
        self.nips: set[str] = {DEMO_SUPERVISOR_NIP, DEMO_ASN_NIP}
        self.emails: set[str] = set()

    def run(self) -> tuple[tuple[DemoUnit, ...], tuple[DemoPerson, ...]]:
        """Units and people for every OPD; Sekda (first in the table) heads the others."""
        sekda: str | None = None
        for code, name, head_title, subs, fungsional in _OPD:
            self.units.append(DemoUnit(code, name, None))
            head = self.person(code, head_title, PositionType.JPT_PRATAMA, sekda)
            sekda = sekda or head
            for sub_code, sub_name, sub_title, seksi_titles in subs:
                self.units.append(DemoUnit(sub_code, sub_name, code))
                kabid = self.person(sub_code, sub_title, PositionType.ADMINISTRATOR, head)
                for seksi_title in seksi_titles:
                    self.seksi(sub_code, seksi_title, kabid, fungsional)
        return tuple(self.units), tuple(self.people)

    def seksi(self, unit: str, title: str, kabid: str, fungsional: list[str]) -> None:
        """A kepala seksi/subbagian and the staff they supervise."""
        demo = unit == DEMO_UNIT_CODE and title.endswith("Infrastruktur dan Teknologi")
        if demo:
            kasi = self.add(DEMO_SUPERVISOR_NIP, "Rizal Effendi, S.Kom., M.Si.", unit, title,
                            PositionType.PENGAWAS, "III/d", EmploymentType.PNS, kabid)  # fmt: skip
            self.add(DEMO_ASN_NIP, "Nyimas Ayu Lestari, S.Kom.", unit,
                     "Pranata Komputer Ahli Pertama", PositionType.FUNGSIONAL, "III/a",
                     EmploymentType.PNS, kasi)  # fmt: skip
        else:
            kasi = self.person(unit, title, PositionType.PENGAWAS, kabid)
        for _ in range(self.rng.randint(3, 7)):
            if self.rng.random() < 0.55:
                position = self.rng.choice(fungsional)
                self.person(unit, position, PositionType.FUNGSIONAL, kasi)
            else:
                position = self.rng.choice(_PELAKSANA)
                self.person(unit, position, PositionType.PELAKSANA, kasi)

    def person(self, unit: str, position: str, kind: PositionType, supervisor: str | None) -> str:
        """Draw one person for a position; returns their NIP."""
        rng = self.rng
        pppk = kind in (PositionType.FUNGSIONAL, PositionType.PELAKSANA) and rng.random() < 0.18
        employment = EmploymentType.PPPK if pppk else EmploymentType.PNS
        low, high = (1980, 1998) if pppk else _BIRTH_YEARS[kind]
        birth = date(rng.randint(low, high), rng.randint(1, 12), rng.randint(1, 28))
        if pppk:  # PPPK were recruited from 2019 on
            appointment = (max(rng.randint(2019, 2023), birth.year + 18), rng.randint(1, 12))
        else:
            appointment = (birth.year + rng.randint(22, 30), rng.randint(1, 12))
        appointment = min(appointment, LAST_APPOINTMENT)
        sex = rng.choice("MF")
        nip = make_nip(birth, appointment, sex, rng.randint(1, 30))
        while nip in self.nips:
            nip = make_nip(birth, appointment, sex, rng.randint(1, 999))
        grade = self.grade(kind, position, employment)
        name = self.name(sex, kind, unit)
        # Staff born before 1966 are past the retirement age of 58 by 2024.
        status = Status.RETIRED if birth.year < 1966 else Status.ACTIVE
        if status is Status.ACTIVE and rng.random() < 0.04:
            status = Status.ON_LEAVE
        return self.add(nip, name, unit, position, kind, grade, employment, supervisor, status)

    def grade(self, kind: PositionType, position: str, employment: EmploymentType) -> str:
        """A grade consistent with the position type (and, for fungsional, its level)."""
        if kind is PositionType.FUNGSIONAL:
            level = next(level for level in _FUNGSIONAL_PNS if position.endswith(level))
            if employment is EmploymentType.PPPK:
                return _FUNGSIONAL_PPPK[level]
            low, high = _FUNGSIONAL_PNS[level]
        elif employment is EmploymentType.PPPK:  # PPPK pelaksana: grades V to VII
            return self.rng.choice(PPPK_GRADES[4:7]).code
        else:
            low, high = _PNS_RANGE[kind]
        codes = [g.code for g in PNS_GRADES]
        return self.rng.choice(codes[codes.index(low) : codes.index(high) + 1])

    def name(self, sex: str, kind: PositionType, unit: str) -> str:
        """An Indonesian name, sometimes with a Palembang title, haji title and degrees."""
        rng = self.rng
        given = _MALE if sex == "M" else _FEMALE
        parts = [rng.choice(given)]
        if rng.random() < 0.5:
            parts.append(rng.choice(given))
        if rng.random() < 0.7:
            parts.append(rng.choice(_FAMILY))
        if rng.random() < 0.15:
            parts.insert(0, rng.choice(_PALEMBANG_MALE if sex == "M" else _PALEMBANG_FEMALE))
        leader = kind in (PositionType.JPT_PRATAMA, PositionType.ADMINISTRATOR)
        if leader and rng.random() < 0.4:
            parts.insert(0, "H." if sex == "M" else "Hj.")
        if kind is PositionType.JPT_PRATAMA and rng.random() < 0.4:
            parts.insert(0, "Ir." if unit == "DPUPR" else "Dr.")
        name = " ".join(parts)
        if kind is PositionType.PELAKSANA and rng.random() < 0.5:
            return name  # many pelaksana have no degree
        degrees = [rng.choice(_DEGREES)]
        if leader or rng.random() < 0.2:
            degrees.append(rng.choice(_MASTERS))
        return f"{name}, {', '.join(degrees)}"

    def add(
        self,
        nip: str,
        name: str,
        unit: str,
        position: str,
        kind: PositionType,
        grade: str,
        employment: EmploymentType,
        supervisor: str | None,
        status: Status = Status.ACTIVE,
    ) -> str:
        """Record a person with a unique NIP and e-mail; returns the NIP."""
        self.nips.add(nip)
        self.people.append(
            DemoPerson(
                nip=nip,
                name=name,
                unit_code=unit,
                position=position,
                position_type=kind.value,
                grade=grade,
                employment_type=employment.value,
                supervisor_nip=supervisor,
                status=status.value,
                email=self.email(name),
            )
        )
        return nip

    def email(self, name: str) -> str:
        """first.last@palembang.go.id from the name without titles, numbered when taken."""
        plain = name.split(",")[0]
        words = [w for w in plain.split() if not w.endswith(".") and w not in _PALEMBANG_FEMALE]
        ascii_words = unicodedata.normalize("NFKD", " ".join(words)).encode("ascii", "ignore")
        local = re.sub(r"[^a-z]+", ".", ascii_words.decode().lower()).strip(".")
        local = ".".join(local.split(".")[:1] + local.split(".")[-1:]) if "." in local else local
        candidate, number = local, 1
        while candidate in self.emails:
            number += 1
            candidate = f"{local}{number}"
        self.emails.add(candidate)
        return f"{candidate}@{EMAIL_DOMAIN}"

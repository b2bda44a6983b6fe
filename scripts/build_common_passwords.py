"""Build personnel's list of common/breached passwords (run by hand; the output is committed).

Sources, in order:
1. Django's `django/contrib/auth/common-passwords.txt.gz` (BSD-3-Clause; Royce Williams'
   compilation of passwords from public breach corpora), read from a Django wheel:
   `pip download --no-deps Django==5.2.19` then
   `python scripts/build_common_passwords.py django-5.2.19-py3-none-any.whl`.
   Only the 5,000 most common entries of 8 or more characters are kept: shorter ones fail
   the length rule anyway.
2. Indonesian passwords the breach corpora under-represent: the base words below (religious
   phrases, endearments, cities, clubs, national words, the suite's own name), each alone and
   with the suffixes people add (years, 123 ...). The same shape as Indonesian entries already
   in the Django list (sayang, bismillah, indonesia, rahasia, jakarta).
"""

from __future__ import annotations

import gzip
import sys
import zipfile
from pathlib import Path

DJANGO_KEEP = 5000  # the most common ones: "a few thousand" in all
OUT = Path(__file__).resolve().parents[1] / (
    "services/personnel/personnel_service/data/common-passwords.txt"
)
BASES = [
    "bismillah",
    "alhamdulillah",
    "subhanallah",
    "astaghfirullah",
    "masyaallah",
    "insyaallah",
    "allahuakbar",
    "lailahaillallah",
    "assalamualaikum",
    "ramadhan",
    "muhammad",
    "sayang",
    "sayangku",
    "sayangkamu",
    "cintaku",
    "cinta",
    "aku",
    "cintakamu",
    "akucintakamu",
    "kekasih",
    "rindu",
    "rahasia",
    "katasandi",
    "katakunci",
    "kunci",
    "masuk",
    "admin",
    "pegawai",
    "karyawan",
    "kantor",
    "dinas",
    "pemda",
    "indonesia",
    "merdeka",
    "garuda",
    "pancasila",
    "nusantara",
    "bhinneka",
    "palembang",
    "sriwijaya",
    "ampera",
    "musi",
    "jakarta",
    "bandung",
    "surabaya",
    "semarang",
    "medan",
    "makassar",
    "yogyakarta",
    "jogja",
    "malang",
    "bogor",
    "bekasi",
    "depok",
    "tangerang",
    "denpasar",
    "pekanbaru",
    "padang",
    "lampung",
    "jambi",
    "bengkulu",
    "pontianak",
    "samarinda",
    "balikpapan",
    "manado",
    "ambon",
    "jayapura",
    "persib",
    "persija",
    "arema",
    "persebaya",
    "sriwijayafc",
    "kucing",
    "anjing",
    "doraemon",
    "naruto",
    "cakap",
    "bkpsdm",
    "asn",
    "pns",
    "pppk",
]
SUFFIXES = [
    "",
    "1",
    "12",
    "123",
    "1234",
    "12345",
    "123456",
    "321",
    "01",
    "11",
    "99",
    "00",
    "45",
    "1945",
    "17",
    "!",
    "123!",
    "@123",
    "#1",
    "2020",
    "2021",
    "2022",
    "2023",
    "2024",
    "2025",
    "2026",
    "2027",
]


def django_entries(wheel: Path) -> list[str]:
    """The Django list, in its order (most common first), 8+ characters only."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith("common-passwords.txt.gz"))
        words = gzip.decompress(archive.read(name)).decode().split()
    return [w for w in words if len(w) >= 8][:DJANGO_KEEP]


def indonesian_entries() -> list[str]:
    """Base words with the usual suffixes, 8+ characters only."""
    return [w for base in BASES for s in SUFFIXES if len(w := base + s) >= 8]


def main(wheel: str) -> None:
    seen: dict[str, None] = {}
    for word in [*indonesian_entries(), *django_entries(Path(wheel))]:
        seen.setdefault(word.lower(), None)
    header = "# Common/breached passwords, lower case; built by scripts/build_common_passwords.py\n"
    OUT.write_text(header + "\n".join(seen) + "\n")
    print(f"{len(seen)} entries -> {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])

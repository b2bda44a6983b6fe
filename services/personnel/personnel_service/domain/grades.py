"""Grades (golongan), employment types, position types and statuses of ASN.

PNS have 17 golongan/ruang, I/a to IV/e, each with a pangkat name; PPPK have 17
grades written I to XVII with no pangkat name. Each grade carries `rank` (1-17)
so grades of one employment type can be compared.

Spellings accepted by normalise_grade (case and surrounding spaces ignored, an
optional "Gol." / "Golongan" prefix allowed):
- PNS: roman or arabic group 1-4, then the ruang letter, optionally separated by
  "/", "-", ".", or spaces: "III/a", "iii/a", "III a", "IIIa", "3/a", "3a".
  Numeric codes such as "31" are refused: they read like PPPK grades and BKN's
  internal ids are not what clerks type.
- PPPK: roman I-XVII or arabic 1-17: "IX", "ix", "9".
"""

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import TypeVar


class EmploymentType(StrEnum):
    """Whether someone is a career civil servant (PNS) or on a government contract (PPPK)."""

    PNS = "PNS"
    PPPK = "PPPK"


class PositionType(StrEnum):
    """The kind of position (jenis jabatan), from top leadership down to staff."""

    JPT_MADYA = "jpt_madya"
    JPT_PRATAMA = "jpt_pratama"
    ADMINISTRATOR = "administrator"
    PENGAWAS = "pengawas"
    FUNGSIONAL = "fungsional"
    PELAKSANA = "pelaksana"


class Status(StrEnum):
    """Whether the person currently works, is on leave, or has retired."""

    ACTIVE = "active"
    ON_LEAVE = "on_leave"
    RETIRED = "retired"


class InvalidGrade(ValueError):
    """A grade text that is no grade of the given employment type; `message` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Grade:
    """One grade: canonical `code` ("III/a", "IX"), its employment type, rank 1-17, pangkat."""

    code: str
    employment_type: EmploymentType
    rank: int
    pangkat: str | None

    def __str__(self) -> str:
        return self.code


_PNS_TABLE = (
    ("I/a", "Juru Muda"),
    ("I/b", "Juru Muda Tingkat I"),
    ("I/c", "Juru"),
    ("I/d", "Juru Tingkat I"),
    ("II/a", "Pengatur Muda"),
    ("II/b", "Pengatur Muda Tingkat I"),
    ("II/c", "Pengatur"),
    ("II/d", "Pengatur Tingkat I"),
    ("III/a", "Penata Muda"),
    ("III/b", "Penata Muda Tingkat I"),
    ("III/c", "Penata"),
    ("III/d", "Penata Tingkat I"),
    ("IV/a", "Pembina"),
    ("IV/b", "Pembina Tingkat I"),
    ("IV/c", "Pembina Utama Muda"),
    ("IV/d", "Pembina Utama Madya"),
    ("IV/e", "Pembina Utama"),
)
_ROMAN = [
    "I",
    "II",
    "III",
    "IV",
    "V",
    "VI",
    "VII",
    "VIII",
    "IX",
    "X",
    "XI",
    "XII",
    "XIII",
    "XIV",
    "XV",
    "XVI",
    "XVII",
]

PNS_GRADES: tuple[Grade, ...] = tuple(
    Grade(code, EmploymentType.PNS, rank, pangkat)
    for rank, (code, pangkat) in enumerate(_PNS_TABLE, start=1)
)
PPPK_GRADES: tuple[Grade, ...] = tuple(
    Grade(code, EmploymentType.PPPK, rank, None) for rank, code in enumerate(_ROMAN, start=1)
)
GRADES: dict[EmploymentType, tuple[Grade, ...]] = {
    EmploymentType.PNS: PNS_GRADES,
    EmploymentType.PPPK: PPPK_GRADES,
}

_BY_CODE = {(g.employment_type, g.code.upper()): g for g in PNS_GRADES + PPPK_GRADES}
_GROUP_BY_ARABIC = {"1": "I", "2": "II", "3": "III", "4": "IV"}
_PREFIX = re.compile(r"^gol(?:ongan)?\.?\s*", re.IGNORECASE)
_PNS_SHAPE = re.compile(r"^(IV|III|II|I|[1-4])\s*[/.\-]?\s*([A-E])$", re.IGNORECASE)
_PNS_HINT = "PNS grade must be a golongan from I/a to IV/e, such as III/a"
_PPPK_HINT = "PPPK grade must be from I to XVII, such as IX"


def grade_by_code(code: str, employment_type: EmploymentType) -> Grade:
    """The grade with exactly this canonical code; KeyError when there is none."""
    return _BY_CODE[(EmploymentType(employment_type), code.upper())]


@lru_cache(maxsize=256)
def normalise_grade(text: str, employment_type: EmploymentType | str) -> Grade:
    """Read a grade as clerks write it; raise InvalidGrade with a clear message otherwise."""
    # Cached: an import file repeats the same few dozen spellings thousands of times.
    kind = EmploymentType(employment_type)
    cleaned = _PREFIX.sub("", text.strip()).strip()
    if not cleaned:
        raise InvalidGrade("grade is required")
    pns = _read_pns(cleaned)
    pppk = _read_pppk(cleaned)
    if kind is EmploymentType.PNS:
        if pns is not None:
            return pns
        if pppk is not None:
            raise InvalidGrade(f"{text.strip()} looks like a PPPK grade; {_PNS_HINT}")
        raise InvalidGrade(f"{_PNS_HINT}, got {text.strip()!r}")
    if pppk is not None:
        return pppk
    if pns is not None:
        raise InvalidGrade(f"{pns.code} is a PNS golongan; {_PPPK_HINT}")
    raise InvalidGrade(f"{_PPPK_HINT}, got {text.strip()!r}")


def _read_pns(text: str) -> Grade | None:
    """The PNS grade this text spells, or None."""
    match = _PNS_SHAPE.match(text)
    if match is None:
        return None
    group, letter = match.groups()
    group = _GROUP_BY_ARABIC.get(group, group.upper())
    return _BY_CODE.get((EmploymentType.PNS, f"{group}/{letter.upper()}"))


def _read_pppk(text: str) -> Grade | None:
    """The PPPK grade this text spells (roman or arabic), or None."""
    if text.isascii() and text.isdigit():
        number = int(text)
        return PPPK_GRADES[number - 1] if 1 <= number <= len(PPPK_GRADES) else None
    return _BY_CODE.get((EmploymentType.PPPK, text.upper()))


_Choice = TypeVar("_Choice", bound=StrEnum)


def _parse_choice(enum: type[_Choice], aliases: dict[str, str], what: str, text: str) -> _Choice:
    """Shared reader for the small vocabularies below: value or alias, any case, _ or space."""
    key = re.sub(r"[\s\-]+", "_", text.strip().lower())
    key = aliases.get(key, key)
    try:
        return enum(key)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise ValueError(f"{what} must be one of {allowed}, got {text.strip()!r}") from None


# Indonesian words clerks use in HR exports, mapped to the contract's values.
_EMPLOYMENT_ALIASES = {"pns": "PNS", "pppk": "PPPK"}
_STATUS_ALIASES = {
    "aktif": "active",
    "cuti": "on_leave",
    "leave": "on_leave",
    "pensiun": "retired",
}


def parse_employment_type(text: str) -> EmploymentType:
    """PNS or PPPK in any case; ValueError with a clear message otherwise."""
    return _parse_choice(EmploymentType, _EMPLOYMENT_ALIASES, "employment type", text)


def parse_position_type(text: str) -> PositionType:
    """A position type such as "jpt_pratama" or "JPT Pratama"; ValueError otherwise."""
    return _parse_choice(PositionType, {}, "position type", text)


def parse_status(text: str) -> Status:
    """active, on_leave or retired (or aktif, cuti, pensiun); ValueError otherwise."""
    return _parse_choice(Status, _STATUS_ALIASES, "status", text)

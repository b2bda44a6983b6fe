"""NIP (Nomor Induk Pegawai): the 18-digit civil servant number, parsed and checked.

Layout: birth date YYYYMMDD, appointment (TMT CPNS/PPPK) YYYYMM, sex digit, serial.
PPPK numbers (NI PPPK) are checked by the same rule. Open question: issued NI PPPK
are reported to carry "21" where the month goes (e.g. ...2022 21 2 003); the
contract's rule refuses them, so accepting them needs a contract decision.

Decisions:
- Only ASCII digits are accepted; spaces, dots or dashes are refused rather than
  stripped, so a NIP is stored and compared in exactly one spelling. Callers that
  read user input strip surrounding whitespace themselves.
- The appointment has month precision only, so "at least 18" means the
  appointment month is not earlier than the month of the 18th birthday.
- Serial 000 is refused: BKN numbers people from 001 within a birth date,
  appointment month and sex, so 000 is a typing or padding mistake.
"""

from dataclasses import dataclass
from datetime import date

NIP_LENGTH = 18
MIN_APPOINTMENT_AGE = 18
SEX_BY_DIGIT = {"1": "M", "2": "F"}
DIGIT_BY_SEX = {sex: digit for digit, sex in SEX_BY_DIGIT.items()}


class InvalidNip(ValueError):
    """A NIP that cannot belong to anyone; `message` says why in plain English."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class NipInfo:
    """What a valid NIP tells: birth date, appointment (year, month), sex 'M'/'F', serial."""

    birth_date: date
    appointment: tuple[int, int]
    sex: str
    serial: int


def parse_nip(nip: str, today: date) -> NipInfo:
    """Parse an 18-digit NIP, raising InvalidNip with a clear message when it is not valid."""
    if not (nip.isascii() and nip.isdigit()):
        bad = next((ch for ch in nip if not ("0" <= ch <= "9")), None)
        if bad is None:
            raise InvalidNip(f"NIP must be {NIP_LENGTH} digits, got 0")
        shown = "a space" if bad.isspace() else repr(bad)
        raise InvalidNip(f"NIP must contain only digits, found {shown}")
    if len(nip) != NIP_LENGTH:
        raise InvalidNip(f"NIP must be {NIP_LENGTH} digits, got {len(nip)}")

    try:
        birth = date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError:
        raise InvalidNip(
            f"NIP starts with birth date {nip[0:4]}-{nip[4:6]}-{nip[6:8]}, which is not a real date"
        ) from None

    year, month = int(nip[8:12]), int(nip[12:14])
    if not 1 <= month <= 12:
        raise InvalidNip(f"NIP appointment month {nip[8:12]}-{nip[12:14]} is not a real month")
    if (year, month) > (today.year, today.month):
        raise InvalidNip(f"NIP appointment {year:04d}-{month:02d} is after the current month")
    # Birth month + 18 years; month precision sidesteps Feb 29 birthdays in non-leap years.
    if (year, month) < (birth.year + MIN_APPOINTMENT_AGE, birth.month):
        raise InvalidNip(
            f"NIP appointment {year:04d}-{month:02d} is before the holder turned "
            f"{MIN_APPOINTMENT_AGE} (born {birth.isoformat()})"
        )

    sex = SEX_BY_DIGIT.get(nip[14])
    if sex is None:
        raise InvalidNip(f"NIP sex digit (15th) must be 1 or 2, got {nip[14]}")

    serial = int(nip[15:18])
    if serial == 0:
        raise InvalidNip("NIP serial (last 3 digits) must not be 000")
    return NipInfo(birth_date=birth, appointment=(year, month), sex=sex, serial=serial)


def is_valid_nip(nip: str, today: date) -> bool:
    """True when parse_nip accepts the NIP."""
    try:
        parse_nip(nip, today)
    except InvalidNip:
        return False
    return True


def make_nip(birth_date: date, appointment: tuple[int, int], sex: str, serial: int) -> str:
    """Compose a NIP from its parts (the inverse of parse_nip); does not validate it."""
    year, month = appointment
    return f"{birth_date:%Y%m%d}{year:04d}{month:02d}{DIGIT_BY_SEX[sex]}{serial:03d}"

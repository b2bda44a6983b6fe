"""The bulk people file: read and validate CSV/XLSX imports, write CSV/XLSX exports.

Decisions a caller should know:
- The format is told by content, never by file name: a zip holding
  xl/workbook.xml is XLSX (first sheet); anything else must be UTF-8 text (with
  or without BOM; UTF-16 with a BOM, Excel's "Unicode Text", is accepted too) and
  is read as CSV whose delimiter (',', ';' or tab) is the one the header line
  uses most.
- A file that is neither (a PDF, an old .xls, a CSV in another encoding) is
  refused with 415 Unsupported Media Type; a readable file whose content is
  wrong (headers, no rows) with 422; one over the byte or row limit with 413.
- The header is the first non-blank row. Column names ignore case, spaces and
  BOM; Indonesian names from HR exports (nama, jabatan, golongan, nip_atasan,
  ...) are accepted. Unknown columns are ignored.
- `row` in errors is the line number in the file (header line = 1; blank lines
  count), or the sheet row number for XLSX, so a clerk can find it.
- Cells are stripped; spaces inside NIPs ("19850101 201001 1 001", as printed on
  ID cards) are removed before checking; names keep their academic titles.
- Duplicate NIPs: the first row wins, later ones are row errors.
- Exports escape values that a spreadsheet would run as a formula (CSV gets a
  leading apostrophe, XLSX cells are stored as text), so they are not always
  byte-identical to what was imported.
"""

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any, BinaryIO

from cakap_shared.tabular import csv_text, xlsx_bytes

from .grades import (
    EmploymentType,
    Grade,
    InvalidGrade,
    PositionType,
    Status,
    normalise_grade,
    parse_employment_type,
    parse_position_type,
    parse_status,
)
from .nip import InvalidNip, NipInfo, parse_nip

REQUIRED_COLUMNS = ("nip", "name", "unit_code", "position", "grade", "supervisor_nip")
OPTIONAL_COLUMNS = ("employment_type", "position_type", "status", "email")
EXPORT_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_ROWS = 50_000
# An XLSX may expand this many times its size when unzipped; beyond is a zip bomb.
MAX_XLSX_EXPANSION = 20
NAME_MAX = 200
POSITION_MAX = 200
UNIT_CODE_MAX = 50
EMAIL_MAX = 254

COLUMN_ALIASES = {
    "nama": "name",
    "nama_lengkap": "name",
    "kode_unit": "unit_code",
    "unit_kerja": "unit_code",
    "jabatan": "position",
    "golongan": "grade",
    "gol": "grade",
    "nip_atasan": "supervisor_nip",
    "jenis_pegawai": "employment_type",
    "jenis_jabatan": "position_type",
    "surel": "email",
}

_SCIENTIFIC = re.compile(r"^\d(?:[.,]\d+)?[eE]\+?\d+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")

Report = Callable[[str, str], None]  # (column, message)


class PeopleFileError(Exception):
    """The file as a whole cannot be imported; `status` is the HTTP status to answer."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem with one field of one row; `row` is the line number in the file."""

    row: int
    field: str
    message: str


@dataclass(frozen=True, slots=True)
class PersonRow:
    """One valid row, parsed: the NIP's facts, a canonical grade and enum values."""

    row_number: int
    nip: str
    name: str
    unit_code: str
    position: str
    grade: Grade
    supervisor_nip: str | None
    employment_type: EmploymentType
    position_type: PositionType | None
    status: Status
    email: str | None
    nip_info: NipInfo


@dataclass(slots=True)
class ReadResult:
    """Valid rows and row errors of one file; `format` is "csv" or "xlsx".

    `columns` names the columns the header has, so an importer can leave fields of
    optional columns the file does not carry untouched instead of resetting them.
    """

    rows: list[PersonRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    format: str = "csv"
    columns: tuple[str, ...] = ()


def read_people_file(
    fileobj: BinaryIO | bytes,
    today: date,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> ReadResult:
    """Read and validate a people CSV/XLSX; raise PeopleFileError for file-level problems."""
    data = fileobj if isinstance(fileobj, bytes) else fileobj.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PeopleFileError(413, f"The file is larger than the limit of {max_bytes} bytes")
    if data.startswith(b"PK\x03\x04"):
        return _validate_rows(_xlsx_rows(data, max_bytes), today, max_rows, "xlsx")
    return _validate_rows(_csv_rows(data), today, max_rows, "csv")


# ---- bytes to (line number, cells) ----


def _xlsx_rows(data: bytes, max_bytes: int) -> Iterator[tuple[int, list[str]]]:
    """Rows of the first sheet of an XLSX workbook, each with its sheet row number."""
    import openpyxl  # imported here: CSV-only callers should not pay for it

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            unzipped = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise PeopleFileError(415, "The file is a damaged zip; upload CSV or XLSX") from None
    if "xl/workbook.xml" not in names:
        raise PeopleFileError(415, "The file is a zip but not an XLSX workbook; upload CSV or XLSX")
    if unzipped > MAX_XLSX_EXPANSION * max_bytes:
        raise PeopleFileError(413, "The workbook is too large once unpacked")

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a broken workbook
        raise PeopleFileError(422, "The XLSX workbook could not be read") from None
    try:
        if not workbook.worksheets:
            raise PeopleFileError(422, "The workbook has no sheet")
        sheet = workbook.worksheets[0]
        # Declared dimensions can lie (A1:XFD1048576); read only the cells present.
        sheet.reset_dimensions()
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(value) for value in values]
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    """A spreadsheet cell as the text a clerk sees."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """Rows of a CSV file, each with the line number where it starts."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise PeopleFileError(415, "Old Excel .xls files are not read; save as XLSX or CSV UTF-8")
    text = _decode(data)
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    try:
        for cells in reader:
            yield line, [cell.strip() for cell in cells]
            line = reader.line_num + 1
    except csv.Error as err:
        raise PeopleFileError(422, f"Line {line} is not valid CSV: {err}") from None


def _decode(data: bytes) -> str:
    """Text of a CSV file; 415 when it is binary or not UTF-8."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif b"\x00" not in data[:4096]:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise PeopleFileError(
                415, "The file is not UTF-8 text; in Excel save it as 'CSV UTF-8' or as XLSX"
            ) from None
    raise PeopleFileError(415, "The file is neither CSV nor XLSX")


# ---- header ----


def _column_key(name: str) -> str:
    """A header cell as a column key: lower case, spaces and dashes to underscores."""
    key = re.sub(r"[\s\-]+", "_", name.strip().lstrip("\ufeff").lower())
    return COLUMN_ALIASES.get(key, key)


def _read_header(cells: list[str]) -> dict[str, int]:
    """Column key to position; 422 naming missing or repeated columns."""
    positions: dict[str, int] = {}
    for index, cell in enumerate(cells):
        key = _column_key(cell)
        if key not in EXPORT_COLUMNS:
            continue
        if key in positions:
            raise PeopleFileError(422, f"Column {key} appears twice in the header")
        positions[key] = index
    missing = [column for column in REQUIRED_COLUMNS if column not in positions]
    if missing:
        raise PeopleFileError(
            422,
            f"Missing columns: {', '.join(missing)}. "
            f"The first row must be the header {','.join(REQUIRED_COLUMNS)}",
        )
    return positions


# ---- rows ----


def _validate_rows(
    source: Iterator[tuple[int, list[str]]], today: date, max_rows: int, kind: str
) -> ReadResult:
    """Find the header, then validate each non-blank row; counts rows against max_rows."""
    result = ReadResult(format=kind)
    columns: dict[str, int] | None = None
    width = 0
    count = 0
    first_line: dict[str, int] = {}  # NIP -> line of its first valid occurrence
    for line, cells in source:
        if not any(cells):
            continue
        if columns is None:
            columns = _read_header(cells)
            result.columns = tuple(columns)
            width = len(cells)
            continue
        count += 1
        if count > max_rows:
            raise PeopleFileError(413, f"The file has more than {max_rows} data rows")
        # Only CSV: extra values mean an unquoted delimiter inside a value.
        if kind == "csv" and len(cells) > width and any(cells[width:]):
            result.errors.append(
                RowError(
                    line,
                    "columns",
                    f"the line has {len(cells)} values but the header has {width}; "
                    "a value containing the delimiter must be in double quotes",
                )
            )
            continue
        values = {key: cells[index] if index < len(cells) else "" for key, index in columns.items()}
        person, errors = _validate_row(line, values, today)
        if person is not None and person.nip in first_line:
            errors.append(
                RowError(line, "nip", f"duplicate NIP: already on line {first_line[person.nip]}")
            )
            person = None
        if person is not None:
            first_line[person.nip] = line
            result.rows.append(person)
        result.errors.extend(errors)
    if columns is None:
        raise PeopleFileError(422, "The file is empty")
    if count == 0:
        raise PeopleFileError(422, "The file has a header but no data rows")
    return result


def _validate_row(
    line: int, values: dict[str, str], today: date
) -> tuple[PersonRow | None, list[RowError]]:
    """One row: a PersonRow when every field is valid, and one error per bad field."""
    errors: list[RowError] = []

    def bad(column: str, message: str) -> None:
        errors.append(RowError(line, column, message))

    nip = _nip_text(values["nip"])
    nip_info = _check_nip(nip, today, "nip", bad)

    name = " ".join(values["name"].split())
    if _required_text(name, "name", NAME_MAX, bad) and not any(ch.isalpha() for ch in name):
        bad("name", "name must contain letters")

    unit_code = values["unit_code"]
    _required_text(unit_code, "unit_code", UNIT_CODE_MAX, bad)
    position = " ".join(values["position"].split())
    _required_text(position, "position", POSITION_MAX, bad)

    employment_type, grade = _employment_and_grade(values, bad)
    supervisor_nip = _supervisor_nip(values, nip, today, bad)

    position_type = _optional_choice(values, "position_type", parse_position_type, bad)
    status = _optional_choice(values, "status", parse_status, bad) or Status.ACTIVE

    email = values.get("email") or None
    if email is not None and (len(email) > EMAIL_MAX or not _EMAIL.match(email)):
        bad("email", "email is not a valid address")

    if errors:
        return None, errors
    return (
        PersonRow(
            row_number=line,
            nip=nip,
            name=name,
            unit_code=unit_code,
            position=position,
            grade=grade,
            supervisor_nip=supervisor_nip,
            employment_type=employment_type,
            position_type=position_type,
            status=status,
            email=email,
            nip_info=nip_info,
        ),
        errors,
    )


def _employment_and_grade(
    values: dict[str, str], bad: Report
) -> tuple[EmploymentType | None, Grade | None]:
    """The employment type (PNS when blank) and the grade, which is valid only for one type."""
    employment_type: EmploymentType | None = EmploymentType.PNS
    if values.get("employment_type"):
        try:
            employment_type = parse_employment_type(values["employment_type"])
        except ValueError as err:
            bad("employment_type", str(err))
            employment_type = None
    grade = None
    if employment_type is not None:  # which grades are valid depends on it
        try:
            grade = normalise_grade(values["grade"], employment_type)
        except InvalidGrade as err:
            bad("grade", err.message)
    return employment_type, grade


def _supervisor_nip(values: dict[str, str], nip: str, today: date, bad: Report) -> str | None:
    """The supervisor's NIP when given: valid, and not the person's own."""
    supervisor_nip = _nip_text(values["supervisor_nip"]) or None
    if supervisor_nip is not None:
        if supervisor_nip == nip:
            bad("supervisor_nip", "a person cannot be their own supervisor")
        else:
            _check_nip(supervisor_nip, today, "supervisor_nip", bad)
    return supervisor_nip


def _nip_text(value: str) -> str:
    """A NIP cell without the spaces people type between its parts."""
    return value.replace(" ", "").replace("\u00a0", "")


def _check_nip(nip: str, today: date, column: str, bad: Report) -> NipInfo | None:
    """Parse a NIP cell, reporting a clerk-friendly error on `column` when invalid."""
    if not nip:
        bad(column, "NIP is required")
        return None
    if _SCIENTIFIC.match(nip):
        bad(
            column,
            f"NIP was turned into a number ({nip}) by the spreadsheet; "
            "format the column as Text and type the NIP again",
        )
        return None
    try:
        return parse_nip(nip, today)
    except InvalidNip as err:
        bad(column, err.message)
        return None


def _required_text(value: str, column: str, limit: int, bad: Report) -> bool:
    """Report an empty or too long text; True when the value is fine."""
    label = column.replace("_", " ")
    if not value:
        bad(column, f"{label} is required")
        return False
    if len(value) > limit:
        bad(column, f"{label} is longer than {limit} characters (got {len(value)})")
        return False
    return True


def _optional_choice(
    values: dict[str, str], column: str, parse: Callable[[str], Any], bad: Report
) -> Any:
    """Parse an optional vocabulary column; None when absent or empty."""
    text = values.get(column)
    if not text:
        return None
    try:
        return parse(text)
    except ValueError as err:
        bad(column, str(err))
        return None


# ---- export ----


def _export_values(row: PersonRow | Mapping[str, Any] | Any) -> list[str]:
    """The export columns of a PersonRow, a mapping or any object with those attributes."""
    get = row.get if isinstance(row, Mapping) else lambda key: getattr(row, key, None)
    out = []
    for column in EXPORT_COLUMNS:
        value = get(column)
        if value is None:
            out.append("")
        elif isinstance(value, Grade):
            out.append(value.code)
        elif isinstance(value, Enum):
            out.append(str(value.value))
        else:
            out.append(str(value))
    return out


def write_people_csv(rows: Iterable[PersonRow | Mapping[str, Any] | Any]) -> bytes:
    """People as a comma CSV in UTF-8 with BOM (so Excel shows names right), header first."""
    return csv_text(EXPORT_COLUMNS, (_export_values(row) for row in rows)).encode("utf-8")


def write_people_xlsx(rows: Iterable[PersonRow | Mapping[str, Any] | Any]) -> bytes:
    """People as an XLSX workbook of one sheet; every cell is text so NIPs keep 18 digits."""
    return xlsx_bytes(EXPORT_COLUMNS, (_export_values(row) for row in rows), sheet="people")

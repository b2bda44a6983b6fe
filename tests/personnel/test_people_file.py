"""The people import/export file: formats, headers, row errors, limits, round trips."""

import io
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from personnel_service.domain.grades import EmploymentType, PositionType, Status
from personnel_service.domain.people_file import (
    EXPORT_COLUMNS,
    PeopleFileError,
    RowError,
    read_people_file,
    write_people_csv,
    write_people_xlsx,
)

DATA = Path(__file__).parent / "data"
TODAY = date(2025, 6, 15)
HEADER = "nip,name,unit_code,position,grade,supervisor_nip"
BOSS = "198203142008031001"
STAFF = "199507212019022002"


def read(text: str | bytes, **limits):
    """Read CSV text (or raw bytes) as an upload."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return read_people_file(io.BytesIO(data), TODAY, **limits)


def xlsx(rows: list[list[object]]) -> bytes:
    """A one-sheet workbook holding these rows, as an upload would."""
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def file_error(data: bytes | str, **limits) -> PeopleFileError:
    with pytest.raises(PeopleFileError) as err:
        read(data, **limits)
    return err.value


# ---- valid files ----


def test_plain_csv_row_is_parsed():
    result = read(
        f"{HEADER}\n{STAFF},Nyimas Ayu Lestari,DISKOMINFO,Pranata Komputer,III/a,{BOSS}\n"
    )
    assert result.errors == []
    assert result.format == "csv"
    [person] = result.rows
    assert person.row_number == 2
    assert person.nip == STAFF
    assert person.grade.code == "III/a"
    assert person.supervisor_nip == BOSS
    assert person.employment_type is EmploymentType.PNS
    assert person.status is Status.ACTIVE
    assert person.position_type is None
    assert person.email is None
    assert person.nip_info.birth_date == date(1995, 7, 21)


def test_indonesian_excel_export_semicolon_bom_crlf_aliases():
    result = read_people_file((DATA / "people_excel_semicolon_bom.csv").open("rb"), TODAY)
    assert result.errors == []
    assert [p.row_number for p in result.rows] == [2, 3, 4, 6]  # line 5 is blank
    boss, staff, nurse, sekda = result.rows
    assert boss.name == "Rizal Effendi, S.Kom., M.Si."
    assert boss.supervisor_nip is None
    assert boss.email == "rizal.effendi@palembang.go.id"
    assert staff.nip == STAFF  # printed with spaces on the ID card
    assert staff.grade.code == "III/a"
    assert nurse.employment_type is EmploymentType.PPPK
    assert nurse.grade.code == "IX"
    assert nurse.status is Status.ON_LEAVE
    assert sekda.name == "Dr. Ir. H. Ahmad Fauzi; M.Si."  # quoted delimiter kept


def test_header_case_spaces_and_column_order_do_not_matter():
    header = "Grade; NIP ;Supervisor NIP;Unit-Code;Name;Position;Position Type"
    row = f"IV/a;{BOSS};;DISKOMINFO;Dr. Hj. Siti Aminah, M.Si.;Kepala Bidang;Administrator"
    [person] = read(f"{header}\n{row}\n").rows
    assert person.grade.code == "IV/a"
    assert person.position_type is PositionType.ADMINISTRATOR
    assert person.name == "Dr. Hj. Siti Aminah, M.Si."


def test_tab_delimited_utf16_unicode_text_is_read():
    text = HEADER.replace(",", "\t") + f"\n{BOSS}\tRizal\tDISKOMINFO\tKasi\tIII/d\t\n"
    [person] = read(text.encode("utf-16")).rows
    assert person.nip == BOSS


def test_xlsx_is_detected_by_content_and_uses_sheet_row_numbers():
    data = xlsx(
        [
            HEADER.split(","),
            [BOSS, "Rizal Effendi, S.Kom.", "DISKOMINFO", "Kasi", "III/d", None],
            [],
            [STAFF, "Nyimas Ayu", "DISKOMINFO", "Pranata", "3a", BOSS, "ignored extra"],
        ]
    )
    result = read(data)
    assert result.format == "xlsx"
    assert result.errors == []
    assert [(p.row_number, p.grade.code) for p in result.rows] == [(2, "III/d"), (4, "III/a")]


def test_xlsx_nip_stored_as_a_number_gets_a_spreadsheet_hint():
    data = xlsx([HEADER.split(","), [198203142008031001.0, "Rizal", "DISKOMINFO", "Kasi", "III/d"]])
    [error] = read(data).errors
    assert error.row == 2
    assert error.field == "nip"
    assert "turned into a number" in error.message
    assert "format the column as Text" in error.message


def test_blank_lines_before_header_count_as_lines():
    result = read(f"\n\n{HEADER}\n{BOSS},Rizal,DISKOMINFO,Kasi,III/d,\n")
    assert result.rows[0].row_number == 4


def test_multiline_quoted_value_reports_its_first_line():
    text = (
        f'{HEADER}\n{BOSS},"Rizal\nEffendi",DISKOMINFO,Kasi,III/d,\n{STAFF},,DISKOMINFO,S,III/a,\n'
    )
    result = read(text)
    assert result.rows[0].name == "Rizal Effendi"
    assert result.errors == [RowError(4, "name", "name is required")]


# ---- row errors ----


def test_error_file_gives_one_error_per_bad_field_and_keeps_good_rows():
    result = read_people_file((DATA / "people_errors.csv").open("rb"), TODAY)
    assert [p.row_number for p in result.rows] == [5]
    by_row: dict[int, dict[str, str]] = {}
    for error in result.errors:
        by_row.setdefault(error.row, {})[error.field] = error.message
    assert by_row[2] == {"nip": "NIP must be 18 digits, got 17"}
    assert set(by_row[3]) == {"nip", "name", "position", "grade", "supervisor_nip"}
    assert by_row[3]["name"] == "name is required"
    assert by_row[3]["supervisor_nip"] == "a person cannot be their own supervisor"
    assert "not a real date" in by_row[3]["nip"]
    assert "I/a to IV/e" in by_row[3]["grade"]
    assert "turned into a number (1.98203E+17)" in by_row[4]["supervisor_nip"]
    assert by_row[6] == {"nip": "duplicate NIP: already on line 5"}
    assert "7 values but the header has 6" in by_row[7]["columns"]
    assert by_row[8] == {"supervisor_nip": "a person cannot be their own supervisor"}
    assert sorted(by_row) == [2, 3, 4, 6, 7, 8]


@pytest.mark.parametrize(
    ("cells", "field", "message"),
    [
        (f"{BOSS},Rizal,,Kasi,III/d,", "unit_code", "unit code is required"),
        (f"{BOSS},Rizal,DISKOMINFO,Kasi,,", "grade", "grade is required"),
        (f"{BOSS},12345,DISKOMINFO,Kasi,III/d,", "name", "name must contain letters"),
        (f"{BOSS},{'A' * 201},U,Kasi,III/d,", "name",
         "name is longer than 200 characters (got 201)"),
        (f"{BOSS},Rizal,{'U' * 51},Kasi,III/d,", "unit_code",
         "unit code is longer than 50 characters (got 51)"),
        (f"{BOSS},Rizal,U,Kasi,III/d,198203142008033001", "supervisor_nip",
         "NIP sex digit (15th) must be 1 or 2, got 3"),
        (f"{BOSS},Rizal,U,Kasi,III/d,19820314200803100X", "supervisor_nip",
         "NIP must contain only digits, found 'X'"),
        (f"{BOSS},Rizal,U,Kasi,III/d,,honorer", "employment_type",
         "employment type must be one of PNS, PPPK, got 'honorer'"),
        (f"{BOSS},Rizal,U,Kasi,III/d,,PPPK", "grade",
         "III/d is a PNS golongan; PPPK grade must be from I to XVII, such as IX"),
        (f"{BOSS},Rizal,U,Kasi,III/d,,,eselon", "position_type",
         "position type must be one of jpt_madya, jpt_pratama, administrator, pengawas, "
         "fungsional, pelaksana, got 'eselon'"),
        (f"{BOSS},Rizal,U,Kasi,III/d,,,,fired", "status",
         "status must be one of active, on_leave, retired, got 'fired'"),
        (f"{BOSS},Rizal,U,Kasi,III/d,,,,,rizal@", "email", "email is not a valid address"),
        ("199001012025071001,Rizal,U,Kasi,III/d,", "nip",
         "NIP appointment 2025-07 is after the current month"),
    ],
)  # fmt: skip
def test_single_field_errors(cells, field, message):
    header = HEADER + ",employment_type,position_type,status,email"
    result = read(f"{header}\n{cells}\n")
    assert result.rows == []
    assert result.errors == [RowError(2, field, message)]


def test_bad_employment_type_skips_grade_check_rather_than_guessing():
    result = read(f"{HEADER},employment_type\n{BOSS},R,U,K,nonsense,,kontrak\n")
    assert [e.field for e in result.errors] == ["employment_type"]


def test_duplicate_only_counts_valid_rows():
    rows = f"{BOSS},,U,K,III/d,\n{BOSS},Rizal,U,K,III/d,\n"
    result = read(f"{HEADER}\n{rows}")
    assert [p.row_number for p in result.rows] == [3]
    assert [e.field for e in result.errors] == ["name"]


def test_short_csv_rows_are_padded_with_empty_values():
    result = read(f"{HEADER}\n{BOSS},Rizal,U,Kasi,III/d\n")
    assert result.errors == []
    assert result.rows[0].supervisor_nip is None


# ---- file-level errors ----


def test_missing_columns_are_named():
    err = file_error(f"nip,name,unit_code,position\n{BOSS},R,U,K\n")
    assert err.status == 422
    assert err.detail.startswith("Missing columns: grade, supervisor_nip.")


def test_data_without_header_is_a_header_error():
    err = file_error(f"{BOSS},R,U,K,III/d,\n")
    assert err.status == 422
    assert "Missing columns: nip, name" in err.detail


def test_repeated_column_is_refused():
    err = file_error(f"{HEADER},nama\n")
    assert (err.status, err.detail) == (422, "Column name appears twice in the header")


@pytest.mark.parametrize("data", ["", "\n\n", " ; ;\r\n"])
def test_empty_file(data):
    assert (file_error(data).status, file_error(data).detail) == (422, "The file is empty")


def test_header_only():
    err = file_error(f"{HEADER}\n\n")
    assert (err.status, err.detail) == (422, "The file has a header but no data rows")


def test_empty_xlsx():
    err = file_error(xlsx([]))
    assert (err.status, err.detail) == (422, "The file is empty")


def test_over_byte_limit_is_413_without_reading_everything():
    data = f"{HEADER}\n" + f"{BOSS},Rizal,U,K,III/d,\n" * 100

    class Stream(io.BytesIO):
        asked: list[int] = []

        def read(self, size=-1):
            self.asked.append(size)
            return super().read(size)

    stream = Stream(data.encode())
    with pytest.raises(PeopleFileError) as err:
        read_people_file(stream, TODAY, max_bytes=500)
    assert err.value.status == 413
    assert stream.asked == [501]


def test_over_row_limit_is_413_and_at_limit_is_fine():
    rows = "".join(f"19820314200803100{i},Rizal,U,K,III/d,\n" for i in range(1, 4))
    assert len(read(f"{HEADER}\n{rows}", max_rows=3).rows) == 3
    err = file_error(f"{HEADER}\n{rows}", max_rows=2)
    assert (err.status, err.detail) == (413, "The file has more than 2 data rows")


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n\x00\x01binary",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old xls",
        b"\x89PNG\r\n\x1a\n\x00\x00",
        HEADER.encode() + "\nNIP;Müller".encode("latin-1"),
    ],
)
def test_not_csv_or_xlsx_is_415(data):
    assert file_error(data).status == 415


def test_other_zip_is_415():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    err = file_error(buffer.getvalue())
    assert err.status == 415
    assert "not an XLSX" in err.detail


def test_damaged_xlsx_is_422():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "not xml at all")
    assert file_error(buffer.getvalue()).status == 422


def test_xlsx_that_unpacks_too_large_is_413():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", " " * 2_000_000)
    data = buffer.getvalue()
    assert file_error(data, max_bytes=len(data) + 10).status == 413


# ---- export ----


def sample_rows():
    text = (
        f"{HEADER},employment_type,position_type,status,email\n"
        f'{BOSS},"Rizal Effendi, S.Kom., M.Si.",DISKOMINFO,Kasi,III/d,,PNS,pengawas,active,'
        "r@palembang.go.id\n"
        f"{STAFF},Nyimas Ayu Lestari,DISKOMINFO,Pranata,IX,{BOSS},PPPK,fungsional,on_leave,\n"
    )
    return read(text).rows


def test_csv_export_round_trips():
    rows = sample_rows()
    data = write_people_csv(rows)
    assert data.startswith("\ufeff".encode())
    assert data.decode("utf-8-sig").splitlines()[0] == ",".join(EXPORT_COLUMNS)
    again = read(data).rows
    assert [(p.nip, p.name, p.grade, p.status, p.email) for p in again] == [
        (p.nip, p.name, p.grade, p.status, p.email) for p in rows
    ]


def test_xlsx_export_round_trips_with_text_nips():
    rows = sample_rows()
    data = write_people_xlsx(rows)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet["A2"].value == BOSS and sheet["A2"].data_type == "s"
    again = read(data).rows
    assert [(p.nip, p.supervisor_nip, p.position_type) for p in again] == [
        (p.nip, p.supervisor_nip, p.position_type) for p in rows
    ]


@pytest.mark.security
def test_export_accepts_mappings_and_escapes_formulas():
    person = {"nip": BOSS, "name": '=HYPERLINK("x")', "grade": "III/d", "status": "active"}
    csv_text = write_people_csv([person]).decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text
    sheet = openpyxl.load_workbook(io.BytesIO(write_people_xlsx([person]))).active
    assert sheet["B2"].value == '=HYPERLINK("x")'
    assert sheet["B2"].data_type == "s"
    assert sheet["C2"].value is None or sheet["C2"].value == ""

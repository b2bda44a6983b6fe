"""Grades, employment types, position types and statuses: tables and spellings."""

import pytest
from personnel_service.domain.grades import (
    GRADES,
    PNS_GRADES,
    PPPK_GRADES,
    EmploymentType,
    Grade,
    InvalidGrade,
    PositionType,
    Status,
    grade_by_code,
    normalise_grade,
    parse_employment_type,
    parse_position_type,
    parse_status,
)

PNS = EmploymentType.PNS
PPPK = EmploymentType.PPPK


def test_pns_table_has_17_golongan_in_order_with_pangkat():
    codes = [g.code for g in PNS_GRADES]
    assert codes == [
        "I/a", "I/b", "I/c", "I/d",
        "II/a", "II/b", "II/c", "II/d",
        "III/a", "III/b", "III/c", "III/d",
        "IV/a", "IV/b", "IV/c", "IV/d", "IV/e",
    ]  # fmt: skip
    assert [g.rank for g in PNS_GRADES] == list(range(1, 18))
    assert grade_by_code("I/b", PNS).pangkat == "Juru Muda Tingkat I"
    assert grade_by_code("III/a", PNS).pangkat == "Penata Muda"
    assert grade_by_code("III/d", PNS).pangkat == "Penata Tingkat I"
    assert grade_by_code("IV/c", PNS).pangkat == "Pembina Utama Muda"
    assert grade_by_code("IV/d", PNS).pangkat == "Pembina Utama Madya"
    assert grade_by_code("IV/e", PNS).pangkat == "Pembina Utama"


def test_pppk_table_is_roman_i_to_xvii_without_pangkat():
    assert [g.code for g in PPPK_GRADES][:5] == ["I", "II", "III", "IV", "V"]
    assert PPPK_GRADES[8].code == "IX"
    assert PPPK_GRADES[-1].code == "XVII"
    assert len(PPPK_GRADES) == 17
    assert all(g.pangkat is None and g.employment_type is PPPK for g in PPPK_GRADES)
    assert GRADES[PPPK] is PPPK_GRADES
    assert GRADES[PNS] is PNS_GRADES


def test_ranks_compare_within_a_type():
    assert grade_by_code("III/d", PNS).rank < grade_by_code("IV/a", PNS).rank
    assert grade_by_code("IX", PPPK).rank == 9


@pytest.mark.parametrize(
    "text",
    ["III/a", "iii/a", "III/A", "III a", "III  a", "IIIa", "III-a", "III.a", "III / a",
     "3/a", "3a", "3 a", " III/a ", "Gol. III/a", "golongan III/a", "Gol III/a"],
)  # fmt: skip
def test_pns_spellings_normalise_to_the_canonical_code(text):
    grade = normalise_grade(text, PNS)
    assert grade == Grade("III/a", PNS, 9, "Penata Muda")
    assert str(grade) == "III/a"


@pytest.mark.parametrize(
    ("text", "code"),
    [("i/a", "I/a"), ("ii/d", "II/d"), ("IVe", "IV/e"), ("4/E", "IV/e"), ("1d", "I/d")],
)
def test_pns_edges_of_each_group(text, code):
    assert normalise_grade(text, "PNS").code == code


@pytest.mark.parametrize("text", ["I/e", "II/e", "III/e", "IV/f", "V/a", "5a", "0a", "III/", "/a"])
def test_pns_grades_that_do_not_exist_are_refused(text):
    with pytest.raises(InvalidGrade, match=r"PNS grade must be a golongan from I/a to IV/e"):
        normalise_grade(text, PNS)


def test_bkn_numeric_codes_are_not_pns_grades():
    with pytest.raises(InvalidGrade, match=r"such as III/a, got '31'$"):
        normalise_grade("31", PNS)


@pytest.mark.parametrize("text", ["IX", "3", "I"])
def test_numbers_and_roman_alone_are_not_pns_grades(text):
    with pytest.raises(InvalidGrade) as err:
        normalise_grade(text, PNS)
    assert err.value.message.startswith(f"{text} looks like a PPPK grade")


@pytest.mark.parametrize(
    ("text", "code"), [("IX", "IX"), ("ix", "IX"), ("9", "IX"), ("1", "I"), ("17", "XVII"),
                       ("xvii", "XVII"), ("Gol. V", "V"), (" vii ", "VII")],
)  # fmt: skip
def test_pppk_spellings(text, code):
    grade = normalise_grade(text, PPPK)
    assert grade.code == code
    assert grade.employment_type is PPPK


@pytest.mark.parametrize("text", ["0", "18", "XVIII", "IIII", "abc"])
def test_pppk_grades_that_do_not_exist_are_refused(text):
    with pytest.raises(InvalidGrade, match=r"PPPK grade must be from I to XVII"):
        normalise_grade(text, PPPK)


def test_pns_golongan_for_pppk_says_so():
    with pytest.raises(InvalidGrade) as err:
        normalise_grade("iii a", PPPK)
    assert (
        err.value.message
        == "III/a is a PNS golongan; PPPK grade must be from I to XVII, such as IX"
    )


@pytest.mark.parametrize("text", ["", "   ", "Gol."])
def test_empty_grade_is_required(text):
    with pytest.raises(InvalidGrade, match="grade is required"):
        normalise_grade(text, PNS)


def test_unknown_employment_type_is_a_value_error():
    with pytest.raises(ValueError):
        normalise_grade("III/a", "CPNS")


@pytest.mark.parametrize(("text", "value"), [("PNS", PNS), ("pns", PNS), (" Pppk ", PPPK)])
def test_employment_type_any_case(text, value):
    assert parse_employment_type(text) is value


def test_employment_type_unknown_lists_the_allowed_values():
    with pytest.raises(ValueError, match="employment type must be one of PNS, PPPK, got 'honorer'"):
        parse_employment_type("honorer")


@pytest.mark.parametrize(
    ("text", "value"),
    [("jpt_pratama", PositionType.JPT_PRATAMA), ("JPT Pratama", PositionType.JPT_PRATAMA),
     ("jpt-madya", PositionType.JPT_MADYA), ("Fungsional", PositionType.FUNGSIONAL),
     ("pelaksana", PositionType.PELAKSANA), ("PENGAWAS", PositionType.PENGAWAS)],
)  # fmt: skip
def test_position_types(text, value):
    assert parse_position_type(text) is value


def test_position_type_unknown():
    with pytest.raises(ValueError, match=r"position type must be one of jpt_madya, .*pelaksana"):
        parse_position_type("eselon II")


@pytest.mark.parametrize(
    ("text", "value"),
    [("active", Status.ACTIVE), ("Aktif", Status.ACTIVE), ("on leave", Status.ON_LEAVE),
     ("cuti", Status.ON_LEAVE), ("retired", Status.RETIRED), ("PENSIUN", Status.RETIRED)],
)  # fmt: skip
def test_statuses_with_indonesian_aliases(text, value):
    assert parse_status(text) is value


def test_status_unknown():
    with pytest.raises(ValueError, match="status must be one of active, on_leave, retired"):
        parse_status("dismissed")


def test_enum_values_are_the_contract_strings():
    assert [p.value for p in PositionType] == [
        "jpt_madya", "jpt_pratama", "administrator", "pengawas", "fungsional", "pelaksana",
    ]  # fmt: skip
    assert [s.value for s in Status] == ["active", "on_leave", "retired"]
    assert EmploymentType.PNS == "PNS"

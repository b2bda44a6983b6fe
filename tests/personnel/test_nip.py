"""NIP parsing: what is accepted, and what is refused with which message."""

from datetime import date

import pytest
from personnel_service.domain.nip import InvalidNip, NipInfo, is_valid_nip, make_nip, parse_nip

TODAY = date(2025, 6, 15)
FULLWIDTH_NIP = "".join(chr(ord(c) + 0xFEE0) for c in "198501012010011001")


def test_parses_every_part():
    assert parse_nip("198503122010011001", TODAY) == NipInfo(
        birth_date=date(1985, 3, 12), appointment=(2010, 1), sex="M", serial=1
    )


def test_sex_digit_two_is_female_and_serial_is_an_int():
    info = parse_nip("199001012015032047", TODAY)
    assert info.sex == "F"
    assert info.serial == 47


def test_appointment_in_the_current_month_is_valid():
    assert parse_nip("199001012025061001", TODAY).appointment == (2025, 6)


def test_appointment_next_month_is_refused():
    with pytest.raises(InvalidNip, match="2025-07 is after the current month"):
        parse_nip("199001012025071001", TODAY)


def test_appointment_next_year_is_refused_even_in_an_earlier_month():
    with pytest.raises(InvalidNip, match="after the current month"):
        parse_nip("199001012026011001", TODAY)


def test_appointment_in_the_month_of_the_18th_birthday_is_valid():
    # Born 1990-05-20, turns 18 in 2008-05: month precision accepts 2008-05.
    assert is_valid_nip("199005202008051001", TODAY)


def test_appointment_a_month_before_18_is_refused():
    with pytest.raises(
        InvalidNip, match=r"2008-04 is before the holder turned 18 \(born 1990-05-20\)"
    ):
        parse_nip("199005202008041001", TODAY)


def test_appointment_a_year_before_18_is_refused():
    assert not is_valid_nip("199005202007121001", TODAY)


def test_feb_29_in_a_leap_year_is_a_birth_date():
    assert parse_nip("198802292010011001", TODAY).birth_date == date(1988, 2, 29)


def test_feb_29_born_can_be_appointed_in_february_18_years_later():
    # 2006 has no Feb 29; the rule compares months, so 2006-02 is the 18th-birthday month.
    assert is_valid_nip("198802292006021001", TODAY)
    assert not is_valid_nip("198802292006011001", TODAY)


@pytest.mark.parametrize(
    "nip",
    [
        "198502292010011001",  # Feb 29 in a non-leap year
        "190002292010011001",  # 1900 is not a leap year
        "198502312010011001",  # Feb 31
        "198504312010011001",  # Apr 31
        "198513012010011001",  # month 13
        "198500102010011001",  # month 00
        "198501002010011001",  # day 00
        "000001012010011001",  # year 0
    ],
)
def test_impossible_birth_dates_are_refused(nip):
    with pytest.raises(InvalidNip, match=r"birth date .* is not a real date"):
        parse_nip(nip, TODAY)


def test_birth_date_message_shows_the_date():
    with pytest.raises(InvalidNip) as err:
        parse_nip("198502312010011001", TODAY)
    assert err.value.message == "NIP starts with birth date 1985-02-31, which is not a real date"


@pytest.mark.parametrize("month", ["00", "13", "99"])
def test_impossible_appointment_months_are_refused(month):
    with pytest.raises(InvalidNip, match=f"appointment month 2010-{month} is not a real month"):
        parse_nip(f"198501012010{month}1001", TODAY)


@pytest.mark.parametrize("digit", ["0", "3", "9"])
def test_sex_digit_other_than_1_or_2_is_refused(digit):
    with pytest.raises(InvalidNip, match=f"sex digit \\(15th\\) must be 1 or 2, got {digit}"):
        parse_nip(f"19850101201001{digit}001", TODAY)


def test_serial_000_is_refused():
    with pytest.raises(InvalidNip, match=r"serial .* must not be 000"):
        parse_nip("198501012010011000", TODAY)


@pytest.mark.parametrize(
    ("nip", "count"),
    [("19850101201001100", 17), ("1985010120100110011", 19), ("", 0), ("1", 1)],
)
def test_wrong_length_says_how_many_digits(nip, count):
    with pytest.raises(InvalidNip) as err:
        parse_nip(nip, TODAY)
    assert err.value.message == f"NIP must be 18 digits, got {count}"


@pytest.mark.parametrize(
    ("nip", "found"),
    [
        ("19850101201001100A", "'A'"),
        ("198501012010011O01", "'O'"),
        ("19850101 201001 1 001", "a space"),
        (" 198501012010011001", "a space"),
        ("198501012010011001\n", "a space"),
        ("1985-01-01.2010011001", "'-'"),
        ("1.98501E+17", "'.'"),
        (FULLWIDTH_NIP, repr(FULLWIDTH_NIP[0])),  # fullwidth digits are not ASCII
    ],
)
def test_non_digits_are_refused_and_named(nip, found):
    with pytest.raises(InvalidNip) as err:
        parse_nip(nip, TODAY)
    assert err.value.message == f"NIP must contain only digits, found {found}"


def test_invalid_nip_is_a_value_error_with_message():
    err = InvalidNip("x")
    assert isinstance(err, ValueError)
    assert str(err) == "x"


def test_make_nip_round_trips_through_parse():
    nip = make_nip(date(1992, 11, 3), (2017, 4), "F", 12)
    assert nip == "199211032017042012"
    assert parse_nip(nip, TODAY) == NipInfo(date(1992, 11, 3), (2017, 4), "F", 12)

"""The demo organisation: valid, consistent, deterministic, and holding the contract's pair."""

from collections import Counter
from datetime import date

import personnel_service.demo_people as demo_module
from personnel_service.demo_people import (
    DEMO_ASN_NIP,
    DEMO_SUPERVISOR_NIP,
    DEMO_UNIT_CODE,
    demo_people,
    demo_units,
)
from personnel_service.domain.grades import (
    EmploymentType,
    PositionType,
    grade_by_code,
    normalise_grade,
    parse_employment_type,
    parse_position_type,
    parse_status,
)
from personnel_service.domain.nip import is_valid_nip, parse_nip
from personnel_service.domain.people_file import read_people_file, write_people_csv

PEOPLE = demo_people()
UNITS = demo_units()
BY_NIP = {p.nip: p for p in PEOPLE}


def rank(person) -> int:
    return grade_by_code(person.grade, EmploymentType(person.employment_type)).rank


def test_size_of_the_organisation():
    opd = [u for u in UNITS if u.parent_code is None]
    assert 12 <= len(opd) <= 15
    for unit in opd:
        assert 2 <= sum(1 for u in UNITS if u.parent_code == unit.code) <= 3
    assert 250 <= len(PEOPLE) <= 350


def test_expected_opd_are_there():
    codes = {u.code for u in UNITS}
    assert {"DISKOMINFO", "BKPSDM", "DINKES", "DISDIK", "BPKAD", "SETDA", "INSPEKTORAT"} <= codes
    names = {u.name for u in UNITS}
    assert "Dinas Komunikasi dan Informatika" in names
    assert "Dinas Pekerjaan Umum dan Penataan Ruang" in names


def test_unit_codes_unique_and_parents_come_first():
    seen: set[str] = set()
    for unit in UNITS:
        assert unit.code not in seen
        assert unit.parent_code is None or unit.parent_code in seen
        seen.add(unit.code)


def test_every_nip_is_valid_and_unique_today_and_at_the_last_appointment():
    assert len(BY_NIP) == len(PEOPLE)
    for person in PEOPLE:
        assert is_valid_nip(person.nip, date.today()), person
        assert is_valid_nip(person.nip, date(2024, 6, 30)), person


def test_birth_years_and_appointment_after_18():
    for person in PEOPLE:
        info = parse_nip(person.nip, date.today())
        assert 1965 <= info.birth_date.year <= 2000
        assert info.appointment >= (info.birth_date.year + 18, info.birth_date.month)


def test_every_supervisor_exists_and_comes_first_and_there_are_no_cycles():
    position = {p.nip: i for i, p in enumerate(PEOPLE)}
    roots = [p for p in PEOPLE if p.supervisor_nip is None]
    assert [r.position for r in roots] == ["Sekretaris Daerah"]
    for person in PEOPLE:
        if person.supervisor_nip is not None:
            assert person.supervisor_nip in BY_NIP
            assert position[person.supervisor_nip] < position[person.nip]
        # Walking up always reaches the root within the tree's depth.
        seen, current = set(), person
        while current.supervisor_nip is not None:
            assert current.nip not in seen
            seen.add(current.nip)
            current = BY_NIP[current.supervisor_nip]
        assert len(seen) <= 5


def test_chain_of_command_by_position_type():
    expected_boss = {
        "administrator": "jpt_pratama",
        "pengawas": "administrator",
        "fungsional": "pengawas",
        "pelaksana": "pengawas",
    }
    for person in PEOPLE:
        if person.supervisor_nip is None:
            continue
        boss = BY_NIP[person.supervisor_nip]
        if person.position_type == "jpt_pratama":
            assert boss.position == "Sekretaris Daerah"
        else:
            assert boss.position_type == expected_boss[person.position_type]
        if person.position_type in ("administrator", "pengawas"):
            # A bidang head sits in a bidang of the head's OPD.
            assert person.unit_code.startswith(boss.unit_code.split("-")[0])


def test_grades_valid_and_consistent_with_position_type():
    ranges = {
        "jpt_pratama": ("IV/c", "IV/d"),
        "administrator": ("III/d", "IV/b"),
        "pengawas": ("III/c", "III/d"),
        "pelaksana": ("II/c", "III/b"),
        "fungsional": ("II/c", "IV/c"),
    }
    for person in PEOPLE:
        kind = parse_employment_type(person.employment_type)
        assert normalise_grade(person.grade, kind).code == person.grade
        if kind is EmploymentType.PNS:
            low, high = ranges[person.position_type]
            assert grade_by_code(low, kind).rank <= rank(person) <= grade_by_code(high, kind).rank
        else:
            assert person.position_type in ("fungsional", "pelaksana")


def test_enumerated_values_are_valid_and_statuses_mostly_active():
    statuses = Counter(parse_status(p.status).value for p in PEOPLE)
    for person in PEOPLE:
        parse_position_type(person.position_type)
    assert statuses["active"] / len(PEOPLE) > 0.85
    assert set(statuses) <= {"active", "on_leave", "retired"}
    kinds = Counter(p.employment_type for p in PEOPLE)
    assert kinds["PPPK"] >= 10
    assert {p.position_type for p in PEOPLE} >= {t.value for t in PositionType} - {"jpt_madya"}


def test_names_are_indonesian_with_some_titles():
    names = [p.name for p in PEOPLE]
    assert sum("," in n for n in names) > len(names) / 2  # academic degrees
    assert any(n.startswith(("H. ", "Hj. ")) for n in names)
    assert any(n.split()[0] in ("Kms.", "Mgs.", "Kgs.", "Nyimas", "Nyayu") for n in names)
    assert len(set(names)) > len(names) * 0.8


def test_emails_unique():
    emails = [p.email for p in PEOPLE]
    assert len(set(emails)) == len(emails)
    assert all(e.endswith("@palembang.go.id") and "@" not in e.split("@")[0] for e in emails)


def test_the_contract_pair_in_one_unit_one_supervising_the_other():
    boss, asn = BY_NIP[DEMO_SUPERVISOR_NIP], BY_NIP[DEMO_ASN_NIP]
    assert asn.supervisor_nip == boss.nip
    assert asn.unit_code == boss.unit_code == DEMO_UNIT_CODE
    assert DEMO_UNIT_CODE.startswith("DISKOMINFO")
    assert asn.status == boss.status == "active"


def test_deterministic_across_calls_and_returns_fresh_lists():
    demo_module._build.cache_clear()  # regenerate from the seed, not from the cache
    again = demo_people()
    assert again == PEOPLE
    assert again is not PEOPLE
    assert demo_units() == UNITS


def test_the_demo_reads_back_through_the_import_file_without_errors():
    result = read_people_file(write_people_csv(PEOPLE), date.today())
    assert result.errors == []
    assert [p.nip for p in result.rows] == [p.nip for p in PEOPLE]

"""People list for the back office: filters, below-JP-target, sorting; the same rights as before."""

from __future__ import annotations

from datetime import date

import pytest
from personnel_service.extensions import db
from personnel_service.models import JpEntry, JpTarget


def names(org, query: str, who: str = "admin") -> list[str]:
    response = org.get(f"/api/v1/people?{query}", who=who)
    assert response.status_code == 200, response.get_json()
    return [p["name"] for p in response.get_json()["items"]]


def test_filters_by_grade_position_type_status_and_unit(org):
    assert names(org, "grade=III/a") == ["Staff"]
    assert names(org, "position_type=fungsional") == ["Peer", "Staff"]
    assert names(org, "unit_code=OPD-A") == ["Kadis", "Peer"]
    assert names(org, "unit_code=OPD-A&include_subunits=true") == [
        "Kabid", "Kadis", "Peer", "Staff"
    ]  # fmt: skip
    org.patch(f"/api/v1/people/{org.ids['peer']}", json={"status": "on_leave"})
    assert names(org, "status=on_leave") == ["Peer"]
    assert names(org, "employment_type=PNS&unit_code=OPD-B") == ["Other"]


def test_sorting_and_paging_never_overlap(org):
    assert names(org, "sort=-name&per_page=3") == ["Trainer", "Staff", "Peer"]
    assert names(org, "sort=-name&per_page=3&page=2") == ["Other", "Kadis", "Kabid"]
    by_grade = names(org, "sort=grade&unit_code=OPD-A&include_subunits=true")
    assert by_grade == ["Staff", "Peer", "Kabid", "Kadis"]


def test_pages_of_equal_names_cover_everyone_once_in_both_directions(app, org):
    """Ties on the sort key break on the id, the same way as the key, and each page's rows
    come back in the page's order (they are loaded after the page's ids are found)."""
    from personnel_service.models import Person

    with app.app_context():
        db.session.add_all(
            Person(name="Sama Nama", unit_code="OPD-B", status="active") for _ in range(7)
        )
        db.session.commit()

    def pages(sort: str) -> list[str]:
        seen = []
        for page in (1, 2, 3, 4):
            body = org.get(f"/api/v1/people?q=sama&sort={sort}&per_page=2&page={page}").get_json()
            assert body["total"] == 7
            seen += [p["id"] for p in body["items"]]
        return seen

    ascending, descending = pages("name"), pages("-name")
    assert len(set(ascending)) == 7 and len(ascending) == 7
    assert ascending == sorted(ascending) and descending == ascending[::-1]


def test_by_grade_people_without_one_come_last_in_both_directions(app, org):
    """Read from the (grade, id) index: people without a grade still come last whichever
    way the grade runs, ties break on the id, and pages neither overlap nor skip anyone."""
    from personnel_service.models import Person

    with app.app_context():
        db.session.add_all(
            Person(name=f"Tanpa {n}", grade=grade, unit_code="OPD-B", status="active")
            for n, grade in enumerate((None, "II/a", None, "IV/e", "II/a", None))
        )
        db.session.commit()

    def pages(sort: str) -> list[tuple[str | None, str]]:
        seen = []
        for page in (1, 2, 3, 4):
            body = org.get(f"/api/v1/people?q=tanpa&sort={sort}&per_page=2&page={page}")
            seen += [(p["grade"], p["id"]) for p in body.get_json()["items"]]
        return seen

    up, down = pages("grade"), pages("-grade")
    graded = sorted(row for row in up if row[0])
    blank = sorted(row for row in up if not row[0])
    assert up == graded + blank and len(up) == 6
    assert down == graded[::-1] + blank[::-1]
    # Filtered by golongan, sorted by it or not (the filter then keeps off its index).
    two = sorted(row[1] for row in up if row[0] == "II/a")
    for sort in ("grade", "-grade", "name", "-nip"):
        body = org.get(f"/api/v1/people?q=tanpa&grade=II/a&sort={sort}").get_json()
        assert sorted(p["id"] for p in body["items"]) == two and body["total"] == 2


def test_below_target_counts_jp_of_the_year_and_agency_targets(app, org):
    year = date.today().year
    with app.app_context():
        for key, jp, in_year in (("staff", 25, year), ("kabid", 10, year), ("peer", 30, year - 1)):
            db.session.add(
                JpEntry(person_id=org.ids[key], year=in_year, title="Pelatihan", jp=jp,
                        form="klasikal", completed_on=date(in_year, 3, 1))
            )  # fmt: skip
        db.session.commit()
    below = names(org, f"below_target=true&year={year}&unit_code=OPD-A&include_subunits=true")
    assert below == ["Kabid", "Kadis", "Peer"]
    # An agency override of 5 JP for OPD-A leaves only those under 5 there (Kadis, Peer).
    with app.app_context():
        db.session.add(JpTarget(employment_type="PNS", agency_code="OPD-A", target=5))
        db.session.commit()
    assert names(org, f"below_target=true&year={year}") == ["Kadis", "Other", "Peer"]
    assert names(org, f"below_target=true&year={year - 1}&unit_code=OPD-A") == ["Kadis"]


def test_below_target_is_the_per_person_rule_for_every_employment_type(app, org):
    """The list's SQL target and jp.Targets.for_person agree, a blank type counting as PNS."""
    from personnel_service.domain.jp import Targets
    from personnel_service.models import Person

    year = date.today().year
    with app.app_context():
        db.session.get(Person, org.ids["staff"]).employment_type = "PPPK"
        db.session.get(Person, org.ids["peer"]).employment_type = ""
        db.session.add_all([
            JpTarget(employment_type="PPPK", agency_code="OPD-A", target=3),
            JpTarget(employment_type="PNS", agency_code="OPD-A", target=8),
        ])  # fmt: skip
        earned = {"staff": 5, "peer": 10, "kabid": 5}
        for key, jp in earned.items():
            db.session.add(
                JpEntry(person_id=org.ids[key], year=year, title="Pelatihan", jp=jp,
                        form="klasikal", completed_on=date(year, 3, 1))
            )  # fmt: skip
        db.session.commit()
        targets = Targets()
        expected = sorted(
            person.name
            for key, person_id in org.ids.items()
            if (person := db.session.get(Person, person_id)).nip  # the list counts ASN only
            and earned.get(key, 0) < targets.for_person(person)
        )
    assert names(org, f"below_target=true&year={year}&per_page=100") == expected
    assert expected == ["Kabid", "Kadis", "Other"]  # PPPK's 3 met; blank is PNS, 8 met


def test_supervisor_filters_only_within_their_line(org):
    assert names(org, "position_type=pelaksana", who="kadis") == []
    assert names(org, "below_target=true", who="kadis") == ["Kabid", "Kadis", "Peer", "Staff"]


@pytest.mark.parametrize(
    "query, field",
    [("sort=salary", "sort"), ("status=gone", "status"), ("position_type=raja", "position_type"),
     ("year=1900", "year"), ("below_target=maybe", "below_target")],
)  # fmt: skip
def test_bad_filters_are_422_naming_the_field(org, query, field):
    response = org.get(f"/api/v1/people?{query}")
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_filter_by_account_role(app, org):
    from personnel_service.models import Account

    with app.app_context():
        db.session.add_all(
            [
                Account(person_id=org.ids["trainer"], username="wi", password_hash="x",
                        roles="trainer"),
                Account(person_id=org.ids["kabid"], username="kabid", password_hash="x",
                        roles="asn,supervisor"),
            ]
        )  # fmt: skip
        db.session.commit()
    assert names(org, "role=trainer") == ["Trainer"]
    assert names(org, "role=supervisor") == ["Kabid"]
    assert names(org, "role=admin") == []


def test_compliance_by_unit_rolls_sub_units_up_and_sorts_by_shortfall(app, org):
    year = date.today().year
    with app.app_context():
        db.session.add(
            JpEntry(person_id=org.ids["staff"], year=year, title="Pelatihan", jp=25,
                    form="klasikal", completed_on=date(year, 3, 1))
        )  # fmt: skip
        db.session.commit()
    response = org.get(f"/api/v1/jp-compliance?year={year}")
    assert response.status_code == 200, response.get_json()
    rows = {r["unit_code"]: r for r in response.get_json()["items"]}
    # OPD-A: kadis, peer (20 short each) + OPD-A-SUB: kabid (20 short), staff (25 >= 20).
    assert rows["OPD-A"]["people"] == 4 and rows["OPD-A"]["below_target"] == 3
    assert rows["OPD-A"]["shortfall"] == 60 and rows["OPD-A"]["earned"] == 20
    assert rows["OPD-A"]["compliance_rate"] == 0.25
    assert rows["OPD-A-SUB"]["shortfall"] == 20 and rows["OPD-A-SUB"]["parent_code"] == "OPD-A"
    order = [r["unit_code"] for r in response.get_json()["items"]]
    assert order == ["OPD-A", "OPD-A-SUB", "OPD-B"]
    assert org.get("/api/v1/jp-compliance", who="kadis").status_code == 403

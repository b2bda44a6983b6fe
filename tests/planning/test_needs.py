"""Training needs analysis, as JSON and XLSX, with mandatory-training rules."""

from __future__ import annotations

import io

from flask.testing import FlaskClient
from openpyxl import load_workbook

from .conftest import World, ok
from .test_plans import UNIT, small_city


def test_needs_by_competency_and_level(client: FlaskClient, world: World, admin: dict) -> None:
    ids = small_city(world)
    needs = ok(client.get(f"/api/v1/needs?unit_code={UNIT}&year={world.year}", headers=admin))
    assert needs["people"] == 3  # Ani, Budi, Citra (Dedi is in BAPPEDA)
    assert needs["people_with_gaps"] == 2
    rows = {(g["competency_code"], g["required_level"]): g for g in needs["gaps"]}
    assert rows[("T-A", 3)] == {"competency_code": "T-A", "required_level": 3, "people": 2,
                                "gap": 3}  # fmt: skip
    assert rows[("T-B", 2)]["people"] == 1 and rows[("T-B", 2)]["gap"] == 1
    assert needs["total_gap"] == 4
    below = {b["person_id"]: b for b in needs["below_jp"]}
    assert set(below) == {ids["people"]["ani"]}
    assert below[ids["people"]["ani"]]["shortfall"] == 20
    city = ok(client.get(f"/api/v1/needs?unit_code=*&year={world.year}", headers=admin))
    assert city["people"] == 4 and city["total_gap"] == 8  # Dedi: T-A 1->3, T-B 0->2


def test_mandatory_rules_apply(client: FlaskClient, world: World, admin: dict) -> None:
    world.unit(UNIT)
    new = world.person("Baru", UNIT, "Staf", appointed=(world.year - 1, 6))
    world.person("Lama", UNIT, "Staf", appointed=(2010, 1))
    rule = {"course_code": "LATSAR", "title": "Latsar CPNS", "appointed_within_months": 12}
    ok(client.post("/api/v1/mandatory-trainings", json=rule, headers=admin), 201)
    assert len(ok(client.get("/api/v1/mandatory-trainings", headers=admin))["items"]) == 1
    needs = ok(client.get(f"/api/v1/needs?unit_code={UNIT}&year={world.year}", headers=admin))
    assert [(m["person_id"], m["course_code"]) for m in needs["mandatory"]] == [(new, "LATSAR")]
    latsar = world.klass({}, cost=3_000_000, capacity=5, code="LATSAR")
    plan = ok(
        client.post(
            "/api/v1/plans",
            json={"unit_code": UNIT, "year": world.year, "budget": 3_000_000},
            headers=admin,
        ),
        201,
    )
    assert [(a["person_id"], a["class_id"], a["mandatory"]) for a in plan["assignments"]] == [
        (new, latsar, True)
    ]
    assert plan["assignments"][0]["reason"].startswith("mandatory LATSAR")
    bad = {"course_code": "X", "position_type": "raja"}
    answer = client.post("/api/v1/mandatory-trainings", json=bad, headers=admin)
    assert answer.status_code == 422 and "position_type" in answer.get_json()["errors"]


def test_needs_export_is_a_spreadsheet(client: FlaskClient, world: World, admin: dict) -> None:
    small_city(world)
    answer = client.get(f"/api/v1/needs/export?unit_code={UNIT}&year={world.year}", headers=admin)
    assert answer.status_code == 200
    assert answer.mimetype.endswith("spreadsheetml.sheet")
    assert f"kebutuhan-pelatihan-{UNIT}-{world.year}.xlsx" in answer.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(answer.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("nip", "nama", "unit", "jabatan")
    by_name = {}
    for row in rows[1:]:
        by_name.setdefault(row[1], []).append(row)
    assert [r[7:] for r in by_name["Ani"]] == [("T-A", 1, 3, 2)]
    assert sorted(r[7] for r in by_name["Budi"]) == ["T-A", "T-B"]
    assert by_name["Citra"][0][7] in ("", None)


def test_needs_rights_and_input(client: FlaskClient, world: World, admin: dict, asn: dict) -> None:
    world.unit(UNIT)
    assert client.get(f"/api/v1/needs?unit_code={UNIT}&year=2027", headers=asn).status_code == 403
    for query in ("year=2027", f"unit_code={UNIT}", f"unit_code={UNIT}&year=abc"):
        answer = client.get(f"/api/v1/needs?{query}", headers=admin)
        assert answer.status_code == 422, query
    answer = client.get("/api/v1/needs?unit_code=NOPE&year=2027", headers=admin)
    assert answer.status_code == 422 and "unit_code" in answer.get_json()["errors"]

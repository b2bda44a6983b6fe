"""The plan API end to end, against the real personnel and catalog apps."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from cakap_shared.testing import backend, lock_waiters
from flask.testing import FlaskClient

from .conftest import World, ok

UNIT = "DISKOMINFO"


def small_city(world: World) -> dict[str, Any]:
    """Two units, four people with gaps in T-A/T-B, three classes; the ids."""
    world.unit(UNIT)
    world.unit("DISKOMINFO-APTIKA", UNIT)
    world.unit("BAPPEDA")
    world.standard("Pranata Komputer", {"T-A": 3, "T-B": 2})
    for code in ("T-A", "T-B"):
        world.competency(code)
    people = {
        "ani": world.person("Ani", "DISKOMINFO-APTIKA", "Pranata Komputer", {"T-A": 1, "T-B": 2}),
        "budi": world.person("Budi", UNIT, "Pranata Komputer", {"T-A": 2, "T-B": 1}, jp=25),
        "citra": world.person("Citra", UNIT, "Pranata Komputer", {"T-A": 3, "T-B": 2}, jp=25),
        "dedi": world.person("Dedi", "BAPPEDA", "Pranata Komputer", {"T-A": 1}),
    }
    classes = {
        "a3": world.klass({"T-A": 3}, cost=2_000_000, capacity=1, starts_in=10),
        "a2": world.klass({"T-A": 2}, cost=500_000, capacity=5, starts_in=40),
        "b2": world.klass({"T-B": 2}, cost=0, capacity=5, starts_in=10),
    }
    return {"people": people, "classes": classes}


def test_plan_is_made_explained_and_kept(client: FlaskClient, world: World, admin: dict) -> None:
    ids = small_city(world)
    body = {"unit_code": UNIT, "year": world.year, "budget": 2_000_000}
    plan = ok(client.post("/api/v1/plans", json=body, headers=admin), 201)
    assert plan["status"] == "optimal"
    assert plan["bound"] == plan["objective"] > 0
    pairs = {(a["person_id"], a["class_id"]) for a in plan["assignments"]}
    people, classes = ids["people"], ids["classes"]
    # Dedi is in another OPD; Citra has no gap. Ani (below JP) gets the one seat of a3:
    # 2 levels for her, and Budi's T-B through the free class.
    assert pairs == {
        (people["ani"], classes["a3"]),
        (people["budi"], classes["b2"]),
    }
    assert plan["spent"] == 2_000_000 <= body["budget"]
    ani = next(a for a in plan["assignments"] if a["person_id"] == people["ani"])
    assert ani["gap_closed"] == 2 and ani["cost"] == 2_000_000
    assert "T-A 1->3" in ani["reason"] and "below the JP target" in ani["reason"]
    assert {(u["person_id"], u["competency_code"], u["gap"]) for u in plan["unmet"]} == {
        (people["budi"], "T-A", 1)
    }
    # Budi's last T-A level needs the level-3 class, whose one seat is Ani's: money buys nothing.
    margins = {m["extra"]: m for m in plan["margins"]}
    assert set(margins) == {10_000_000, 50_000_000, 100_000_000}
    assert all(m["gain"] == 0 and m["levels_gain"] == 0 for m in margins.values())
    again = ok(client.get(f"/api/v1/plans/{plan['id']}", headers=admin))
    assert again["assignments"] == plan["assignments"] and again["status"] == "optimal"


def test_budget_margin(client: FlaskClient, world: World, admin: dict) -> None:
    ids = small_city(world)
    body = {"unit_code": UNIT, "year": world.year, "budget": 500_000}
    plan = ok(client.post("/api/v1/plans", json=body, headers=admin), 201)
    ani = next(a for a in plan["assignments"] if a["person_id"] == ids["people"]["ani"])
    assert ani["class_id"] == ids["classes"]["a2"] and ani["gap_closed"] == 1
    # Ten million more moves Ani to the level-3 class: one more level, weighted 30 (below JP).
    margins = {m["extra"]: m for m in plan["margins"]}
    assert margins[10_000_000]["levels_gain"] == 1 and margins[10_000_000]["gain"] == 30
    assert margins[10_000_000]["spent"] == 2_000_000
    assert margins[100_000_000]["gain"] == 30


def test_city_plan_takes_every_unit(client: FlaskClient, world: World, admin: dict) -> None:
    ids = small_city(world)
    body = {"unit_code": "*", "year": world.year, "budget": 10_000_000}
    plan = ok(client.post("/api/v1/plans", json=body, headers=admin), 201)
    assert ids["people"]["dedi"] in {a["person_id"] for a in plan["assignments"]}


def test_pin_forbid_and_resolve(client: FlaskClient, world: World, admin: dict) -> None:
    ids = small_city(world)
    people, classes = ids["people"], ids["classes"]
    body = {"unit_code": UNIT, "year": world.year, "budget": 2_000_000}
    plan = ok(client.post("/api/v1/plans", json=body, headers=admin), 201)
    url = f"/api/v1/plans/{plan['id']}/decisions"
    pin = {"person_id": people["budi"], "class_id": classes["a3"], "decision": "pin"}
    plan = ok(client.post(url, json=pin, headers=admin))
    pairs = {(a["person_id"], a["class_id"]) for a in plan["assignments"]}
    assert (people["budi"], classes["a3"]) in pairs
    assert (people["ani"], classes["a3"]) not in pairs  # one seat, pinned to Budi
    assert next(a for a in plan["assignments"] if a["class_id"] == classes["a3"])["pinned"]
    forbid = {"person_id": people["budi"], "class_id": classes["b2"], "decision": "forbid"}
    plan = ok(client.post(url, json=forbid, headers=admin))
    pairs = {(a["person_id"], a["class_id"]) for a in plan["assignments"]}
    assert (people["budi"], classes["b2"]) not in pairs
    assert (people["budi"], classes["a3"]) in pairs  # the pin is kept
    # Pinning Ani in the full class too breaks the seat limit: infeasible, said so.
    both = {"person_id": people["ani"], "class_id": classes["a3"], "decision": "pin"}
    plan = ok(client.post(url, json=both, headers=admin))
    assert plan["status"] == "infeasible" and plan["assignments"] == []
    release = {**both, "decision": None}
    plan = ok(client.post(url, json=release, headers=admin))
    assert plan["status"] == "optimal"
    assert len(plan["decisions"]) == 2


def test_enrolments_are_requested_once(
    client: FlaskClient, world: World, admin: dict, catalog_app: Any
) -> None:
    small_city(world)
    body = {"unit_code": UNIT, "year": world.year, "budget": 2_000_000}
    plan = ok(client.post("/api/v1/plans", json=body, headers=admin), 201)
    url = f"/api/v1/plans/{plan['id']}/enrolments"
    first = ok(client.post(url, headers=admin))
    assert first["created"] == len(plan["assignments"]) == first["requested"] == 2
    assert all(item["status"] == "requested" for item in first["items"])
    second = ok(client.post(url, headers=admin))
    assert second["created"] == 0 and second["requested"] == 2
    assert {i["enrolment_id"] for i in second["items"]} == {
        i["enrolment_id"] for i in first["items"]
    }
    listed = ok(
        catalog_app.test_client().get("/api/v1/enrolments?scope=all&per_page=100", headers=admin)
    )
    assert listed["total"] == 2
    for enrolment in listed["items"]:
        assert enrolment["status"] == "requested"
    # the plan is now fixed
    decision = {"person_id": plan["assignments"][0]["person_id"],
                "class_id": plan["assignments"][0]["class_id"], "decision": "forbid"}  # fmt: skip
    answer = client.post(f"/api/v1/plans/{plan['id']}/decisions", json=decision, headers=admin)
    assert answer.status_code == 409


@pytest.mark.skipif(backend() != "postgres", reason="row locks are PostgreSQL's")
def test_a_decision_waits_for_the_enrolment_requests_in_flight_and_is_refused(
    client: FlaskClient, world: World, admin: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    from planning_service.clients import catalog
    from planning_service.extensions import db

    small_city(world)
    body = {"unit_code": UNIT, "year": world.year, "budget": 2_000_000}
    plan = ok(client.post("/api/v1/plans", json=body, headers=admin), 201)
    asking, carry_on = threading.Event(), threading.Event()
    real = catalog.request_planned

    def slow_catalog(*args: Any) -> Any:
        asking.set()  # the requests are being made from the plan's assignments
        carry_on.wait(10)
        return real(*args)

    monkeypatch.setattr(catalog, "request_planned", slow_catalog)
    answers: dict[str, Any] = {}
    first = plan["assignments"][0]
    decision = {
        "person_id": first["person_id"],
        "class_id": first["class_id"],
        "decision": "forbid",
    }

    def make_requests() -> None:
        answers["requests"] = client.post(f"/api/v1/plans/{plan['id']}/enrolments", headers=admin)

    def decide_meanwhile() -> None:
        answers["decision"] = client.post(
            f"/api/v1/plans/{plan['id']}/decisions", json=decision, headers=admin
        )

    requests = threading.Thread(target=make_requests)
    requests.start()
    assert asking.wait(10)
    decide = threading.Thread(target=decide_meanwhile)
    decide.start()
    decide.join(timeout=1.0)
    with client.application.app_context(), db.engine.connect() as probe:
        waiting = lock_waiters(probe)
    carry_on.set()
    requests.join(timeout=20)
    decide.join(timeout=20)
    assert waiting == 1, "the decision did not wait for the requests in flight"
    assert ok(answers["requests"])["created"] == len(plan["assignments"])
    assert answers["decision"].status_code == 409


def test_only_listed_classes(client: FlaskClient, world: World, admin: dict) -> None:
    ids = small_city(world)
    body = {
        "unit_code": UNIT,
        "year": world.year,
        "budget": 5_000_000,
        "class_ids": [ids["classes"]["a2"]],
        "max_classes_per_person": 1,
    }
    plan = ok(client.post("/api/v1/plans", json=body, headers=admin), 201)
    assert {a["class_id"] for a in plan["assignments"]} == {ids["classes"]["a2"]}
    assert plan["max_classes_per_person"] == 1


def test_bad_input_and_rights(client: FlaskClient, world: World, admin: dict, asn: dict) -> None:
    small_city(world)
    good = {"unit_code": UNIT, "year": world.year, "budget": 1_000_000}
    assert client.post("/api/v1/plans", json=good, headers=asn).status_code == 403
    assert client.post("/api/v1/plans", json=good).status_code == 401
    cases = [
        ({**good, "budget": -1}, "budget"),
        ({**good, "budget": "banyak"}, "budget"),
        ({**good, "year": 1990}, "year"),
        ({**good, "unit_code": "NOPE"}, "unit_code"),
        ({**good, "class_ids": ["no-such-class"]}, "class_ids"),
        ({**good, "max_classes_per_person": 0}, "max_classes_per_person"),
        ({"year": world.year, "budget": 1}, "unit_code"),
    ]
    for body, field in cases:
        answer = client.post("/api/v1/plans", json=body, headers=admin)
        assert answer.status_code == 422, (body, answer.get_json())
        assert answer.content_type == "application/problem+json"
        assert field in answer.get_json()["errors"] or field in str(answer.get_json()), body
    assert client.get("/api/v1/plans/nope", headers=admin).status_code == 404
    assert client.post("/api/v1/plans/nope/enrolments", headers=admin).status_code == 404
    assert ok(client.get("/api/v1/plans", headers=admin))["total"] == 0


def test_peer_down_is_503(client: FlaskClient, app: Any, world: World, admin: dict) -> None:
    small_city(world)
    urls = app.config["SERVICE_URLS"]
    app.config["SERVICE_URLS"] = {"catalog": urls["catalog"]}
    saved = app.extensions.pop("planning_client_personnel")
    try:
        body = {"unit_code": UNIT, "year": world.year, "budget": 1}
        answer = client.post("/api/v1/plans", json=body, headers=admin)
    finally:
        app.config["SERVICE_URLS"] = urls
        app.extensions["planning_client_personnel"] = saved
    assert answer.status_code == 503
    assert answer.get_json()["code"] == "unavailable"


def test_a_plan_solved_in_a_child_process_is_the_same(
    client: FlaskClient, app: Any, world: World, admin: dict
) -> None:
    small_city(world)
    body = {"unit_code": UNIT, "year": world.year, "budget": 500_000}
    here = ok(client.post("/api/v1/plans", json=body, headers=admin), 201)
    app.config["PLANNING_SOLVE_APART"] = True
    try:
        apart = ok(client.post("/api/v1/plans", json=body, headers=admin), 201)
    finally:
        app.config["PLANNING_SOLVE_APART"] = False
    assert apart["id"] != here["id"]
    for key in ("status", "objective", "bound", "spent", "unmet", "margins"):
        assert apart[key] == here[key], key
    assert [(a["person_id"], a["class_id"], a["reason"]) for a in apart["assignments"]] == [
        (a["person_id"], a["class_id"], a["reason"]) for a in here["assignments"]
    ]

"""Dictionary, providers, courses and classes: contract bodies, bad input, status table, rights."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from cakap_shared.testing import backend
from catalog_service.extensions import db
from sqlalchemy import text


def test_competency_and_provider_admin_only(cat, who):
    cat.competency("M-INT", indicators={"1": "Jujur", "5": "Menjadi teladan"})
    body = cat.ok(cat.client.get("/api/v1/competencies", headers=who["learner"]))
    assert body["total"] == 1 and body["items"][0]["indicators"]["5"] == "Menjadi teladan"
    r = cat.client.post(
        "/api/v1/competencies",
        json={"code": "X", "name": "X", "type": "teknis"},
        headers=who["learner"],
    )
    assert r.status_code == 403
    r = cat.client.post(
        "/api/v1/competencies",
        json={"code": "M-INT", "name": "x", "type": "manajerial"},
        headers=who["admin"],
    )
    assert r.status_code == 409
    r = cat.client.post(
        "/api/v1/competencies",
        json={"code": "Y", "name": "y", "type": "lain", "indicators": {"7": "x"}},
        headers=who["admin"],
    )
    assert r.status_code == 422 and {"type", "indicators.7.key"} <= set(r.get_json()["errors"])
    provider = cat.provider("UNSRI", "university")
    assert (
        cat.client.get(f"/api/v1/providers/{provider['id']}", headers=who["learner"]).status_code
        == 200
    )
    r = cat.client.patch(
        f"/api/v1/providers/{provider['id']}",
        json={"contact_email": "a@unsri.ac.id"},
        headers=who["learner"],
    )
    assert r.status_code == 403
    r = cat.client.patch(
        f"/api/v1/providers/{provider['id']}",
        json={"contact_email": "pusdiklat@unsri.ac.id"},
        headers=who["admin"],
    )
    assert r.get_json()["contact_email"] == "pusdiklat@unsri.ac.id"
    course = cat.course(provider_id=provider["id"])
    assert course["provider"]["code"] == "UNSRI"
    r = cat.client.delete(f"/api/v1/providers/{provider['id']}", headers=who["admin"])
    assert r.status_code == 409


def test_create_course_contract_body(cat, who):
    cat.competency("M-KOM")
    body = {
        "code": "TIK-101",
        "title": "Keamanan Informasi bagi ASN",
        "description": "Dasar keamanan informasi",
        "jp": 12,
        "competencies": [{"code": "M-KOM", "level": 3}],
        "module_ids": ["m1", "m2"],
        "post_test_id": "t1",
    }
    course = cat.ok(cat.client.post("/api/v1/courses", json=body, headers=who["admin"]), 201)
    assert course["status"] == "draft"
    assert course["form"] == "e_learning"
    assert course["module_ids"] == ["m1", "m2"]
    assert course["competencies"] == [{"code": "M-KOM", "level": 3}]
    r = cat.client.post("/api/v1/courses", json=body, headers=who["admin"])
    assert r.status_code == 409
    assert (
        cat.client.post(
            "/api/v1/courses", json={**body, "code": "B"}, headers=who["supervisor"]
        ).status_code
        == 403
    )


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (
            {"competencies": [{"code": "NOPE", "level": 2}]},
            "competencies",
            "unknown competency code(s): NOPE",
        ),
        ({"jp": 0}, "jp", "greater than 0"),
        ({"jp": -3}, "jp", "greater than 0"),
        (
            {"competencies": [{"code": "M-KOM", "level": 6}]},
            "competencies.0.level",
            "between 1 and 5",
        ),
        ({"form": "webinar"}, "form", "Must be one of"),
        ({"prerequisites": ["NOT-THERE"]}, "prerequisites", "unknown course code(s): NOT-THERE"),
        ({"provider_id": "no-such-provider"}, "provider_id", "no provider"),
        ({"cost_per_participant": -1}, "cost_per_participant", "negative"),
        ({"code": "has space"}, "code", "no spaces"),
    ],
)
def test_create_course_bad_input(cat, who, change, field, words):
    cat.competency("M-KOM")
    body = {"code": "X-1", "title": "x", "jp": 4, **change}
    r = cat.client.post("/api/v1/courses", json=body, headers=who["admin"])
    assert r.status_code == 422, r.get_json()
    problem = r.get_json()
    if field == "form":
        # cakap_shared's flatten_errors drops a field named like a webargs location ("form"):
        # the detail still names it.
        assert problem["detail"].startswith("form: ") and words in problem["detail"]
        return
    errors = problem["errors"]
    assert field in errors and any(words in m for m in errors[field]), errors


def test_course_status_table_and_events(cat, who):
    course = cat.course(publish=False, module_ids=["m1"], post_test_id="t1")
    cid = course["id"]
    assert (
        cat.client.post(f"/api/v1/courses/{cid}/publish", headers=who["learner"]).status_code == 403
    )
    assert (
        cat.ok(cat.client.post(f"/api/v1/courses/{cid}/publish", headers=who["admin"]))["status"]
        == "published"
    )
    r = cat.client.post(f"/api/v1/courses/{cid}/publish", headers=who["admin"])
    assert r.status_code == 409 and "published" in r.get_json()["detail"]
    assert (
        cat.ok(cat.client.post(f"/api/v1/courses/{cid}/archive", headers=who["admin"]))["status"]
        == "archived"
    )
    for action in ("publish", "archive"):
        assert (
            cat.client.post(f"/api/v1/courses/{cid}/{action}", headers=who["admin"]).status_code
            == 409
        )
    published = cat.events("course.published")
    assert [e["data"]["course_id"] for e in published] == [cid]
    assert (
        published[0]["data"]["module_ids"] == ["m1"]
        and published[0]["data"]["post_test_id"] == "t1"
    )
    assert [e["aggregate_id"] for e in cat.events("course.archived")] == [cid]
    # a draft can be archived directly
    draft = cat.course(publish=False)
    assert (
        cat.ok(cat.client.post(f"/api/v1/courses/{draft['id']}/archive", headers=who["admin"]))[
            "status"
        ]
        == "archived"
    )


def test_draft_visible_to_admin_only(cat, who):
    draft = cat.course(publish=False, title="Rahasia")
    assert (
        cat.client.get(f"/api/v1/courses/{draft['id']}", headers=who["learner"]).status_code == 404
    )
    assert cat.client.get(f"/api/v1/courses/{draft['id']}", headers=who["admin"]).status_code == 200
    assert cat.client.get("/api/v1/courses/nope", headers=who["admin"]).status_code == 404
    listed = cat.ok(cat.client.get("/api/v1/courses?status=draft", headers=who["learner"]))
    assert listed["total"] == 0
    assert (
        cat.ok(cat.client.get("/api/v1/courses?status=draft", headers=who["admin"]))["total"] == 1
    )
    assert cat.client.get("/api/v1/courses").status_code == 401


def test_patch_draft_freely_published_limited(cat, who):
    cat.competency("M-KOM")
    course = cat.course(publish=False)
    url = f"/api/v1/courses/{course['id']}"
    r = cat.client.patch(
        url, json={"jp": 20, "competencies": [{"code": "M-KOM", "level": 2}]}, headers=who["admin"]
    )
    assert cat.ok(r)["jp"] == 20 and r.get_json()["competencies"] == [{"code": "M-KOM", "level": 2}]
    assert cat.client.patch(url, json={"jp": 0}, headers=who["admin"]).status_code == 422
    assert cat.client.patch(url, json={"title": "x"}, headers=who["learner"]).status_code == 403
    cat.client.post(f"{url}/publish", headers=who["admin"])
    assert (
        cat.ok(cat.client.patch(url, json={"title": "Baru"}, headers=who["admin"]))["title"]
        == "Baru"
    )
    r = cat.client.patch(url, json={"module_ids": ["m9"]}, headers=who["admin"])
    assert r.status_code == 409 and "module_ids" in r.get_json()["errors"]
    cat.client.post(f"{url}/archive", headers=who["admin"])
    assert cat.client.patch(url, json={"title": "x"}, headers=who["admin"]).status_code == 409


def test_classes_validation_and_visibility(cat, who):
    course = cat.course()
    url = f"/api/v1/courses/{course['id']}/classes"
    base = {"name": "Angkatan I", "starts_on": "2026-12-10", "ends_on": "2026-12-12", "capacity": 5}
    created = cat.ok(cat.client.post(url, json=base, headers=who["admin"]), 201)
    # defaults: the window opens today and closes when the class starts
    assert created["enrolment_opens_on"] == "2026-11-30"
    assert created["enrolment_closes_on"] == "2026-12-10"
    assert created["seats_left"] == 5 and created["enrolment_open"] is True
    r = cat.client.post(url, json={**base, "ends_on": "2026-12-01"}, headers=who["admin"])
    assert r.status_code == 422 and "ends before it starts" in r.get_json()["errors"]["ends_on"][0]
    r = cat.client.post(url, json={**base, "capacity": 0}, headers=who["admin"])
    assert r.status_code == 422 and "at least 1" in r.get_json()["errors"]["capacity"][0]
    r = cat.client.post(
        url,
        json={**base, "enrolment_opens_on": "2026-12-05", "enrolment_closes_on": "2026-12-01"},
        headers=who["admin"],
    )
    assert r.status_code == 422 and "enrolment_closes_on" in r.get_json()["errors"]
    assert cat.client.post(url, json=base, headers=who["trainer"]).status_code == 403
    listed = cat.ok(cat.client.get(url, headers=who["learner"]))
    assert listed["total"] == 1
    assert (
        cat.ok(cat.client.get(f"/api/v1/classes/{created['id']}", headers=who["learner"]))[
            "course_code"
        ]
        == course["code"]
    )
    assert cat.ok(cat.client.get("/api/v1/classes?open=true", headers=who["learner"]))["total"] == 1
    assert (
        cat.ok(cat.client.get("/api/v1/classes?trainer_id=x", headers=who["admin"]))["total"] == 0
    )
    cat.client.post(f"/api/v1/courses/{course['id']}/archive", headers=who["admin"])
    r = cat.client.post(url, json=base, headers=who["admin"])
    assert r.status_code == 409 and "archived" in r.get_json()["detail"]
    draft = cat.course(publish=False)
    dclass = cat.klass(draft["id"])
    assert (
        cat.client.get(f"/api/v1/classes/{dclass['id']}", headers=who["learner"]).status_code == 404
    )


def test_openapi_and_manifest(cat):
    spec = cat.client.get("/api/openapi.json").get_json()
    assert "/api/v1/enrolments/{enrolment_id}/approve" in spec["paths"]
    manifest = cat.client.get("/.well-known/service.json").get_json()
    assert {"module.completed", "assessment.passed", "person.updated"} <= set(
        manifest["subscribes"]
    )
    assert "enrolment.completed" in manifest["publishes"]


@pytest.mark.skipif(backend() != "postgres", reason="row locks are PostgreSQL's")
def test_an_edit_waits_for_a_publish_in_flight_and_then_keeps_to_what_is_allowed(cat, who):
    course = cat.course(publish=False)
    url = f"/api/v1/courses/{course['id']}"
    with cat.client.application.app_context():
        other = db.engine.connect()
    try:
        publishing = other.begin()  # another admin publishes, as domain/courses.transition does
        other.execute(text("SELECT id FROM courses WHERE id = :id FOR UPDATE"), course)
        other.execute(text("UPDATE courses SET status = 'published' WHERE id = :id"), course)
        answers: dict[str, Any] = {}

        def edit() -> None:
            answers["edit"] = cat.client.patch(
                url, json={"module_ids": ["m9"]}, headers=who["admin"]
            )

        editor = threading.Thread(target=edit)
        editor.start()
        editor.join(timeout=1.0)
        assert editor.is_alive(), "the edit did not wait for the publish"
        publishing.commit()
        editor.join(timeout=10)
    finally:
        other.close()
    refused = answers["edit"]
    assert refused.status_code == 409 and "module_ids" in refused.get_json()["errors"]
    assert cat.ok(cat.client.get(url, headers=who["admin"]))["module_ids"] == []

"""Demo data: loads once into an empty database, with the ids other services derive."""

from __future__ import annotations

import uuid

from catalog_service.demo import seed_demo
from catalog_service.models import COURSE_FORMS

NS = uuid.UUID("6f1d0d5e-8a51-4a8e-9a34-3c1bb0f0c0de")


def derived(key: str) -> str:
    return str(uuid.uuid5(NS, key))


def test_demo_loads_once_with_derived_ids(app, cat, who):
    with app.app_context():
        assert seed_demo() is True
        assert seed_demo() is False
    managerial = cat.ok(
        cat.client.get("/api/v1/competencies?type=manajerial", headers=who["learner"])
    )
    assert {c["code"] for c in managerial["items"]} == {
        "M-INT", "M-KS", "M-KOM", "M-OPH", "M-PP", "M-PDO", "M-MP", "M-PK",
    }  # fmt: skip
    assert all(len(c["indicators"]) == 5 for c in managerial["items"])
    tik = cat.ok(
        cat.client.get(f"/api/v1/courses/{derived('course:TIK-101')}", headers=who["learner"])
    )
    assert tik["title"] == "Keamanan Informasi bagi ASN" and tik["jp"] == 12
    assert tik["provider"]["code"] == "DISKOMINFO" and tik["status"] == "published"
    assert tik["module_ids"] == [
        derived("module:keamanan-informasi"),
        derived("module:etika-pelayanan"),
    ]
    assert tik["post_test_id"] == derived("assessment:post-test-keamanan-informasi")
    klass = cat.ok(
        cat.client.get(f"/api/v1/classes/{derived('class:TIK-101-1')}", headers=who["learner"])
    )
    assert klass["enrolment_open"] is True and klass["trainer_ids"] == [derived("trainer")]
    everything = cat.ok(
        cat.client.get("/api/v1/courses?per_page=100&status=published", headers=who["admin"])
    )
    assert everything["total"] >= 24
    assert {c["form"] for c in everything["items"]} == set(COURSE_FORMS)
    pm = cat.ok(cat.client.get("/api/v1/courses?q=manajemen proyek", headers=who["learner"]))
    assert pm["items"][0]["provider"]["code"] == "BAPPEDA"
    masters = cat.ok(
        cat.client.get(
            "/api/v1/courses?form=degree_programme&provider=UNSRI", headers=who["learner"]
        )
    )
    assert masters["total"] >= 1
    assert len(cat.events("course.published")) == everything["total"]
    budgets = cat.ok(
        cat.client.get("/api/v1/budgets?unit_code=DISKOMINFO-APTIKA", headers=who["admin"])
    )
    assert budgets["total"] == 2
    pending = cat.ok(cat.client.get("/api/v1/enrolments?status=requested", headers=who["admin"]))
    assert pending["items"][0]["learner_id"] == derived("199507212019022002")

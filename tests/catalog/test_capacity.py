"""Capacity under concurrency: many approvals at once never overfill a class."""

from __future__ import annotations

import threading
import uuid

import pytest
from catalog_service.extensions import db
from catalog_service.models import Budget, Enrolment
from sqlalchemy import func, select


def _requests(app, class_id: str, course_id: str, n: int, unit: str) -> list[str]:
    """n requested enrolments of different learners (inserted directly: tokens cost time)."""
    ids = [str(uuid.uuid4()) for _ in range(n)]
    with app.app_context():
        for i, enrolment_id in enumerate(ids):
            db.session.add(
                Enrolment(
                    id=enrolment_id,
                    class_id=class_id,
                    course_id=course_id,
                    learner_id=str(uuid.uuid4()),
                    learner_name=f"ASN {i}",
                    unit_code=unit,
                    status="requested",
                )
            )
        db.session.commit()
    return ids


def _race(app, headers, urls: list[str], body: dict | None = None) -> list[int]:
    """POST every url from its own thread and test client, all released together."""
    barrier = threading.Barrier(len(urls))
    statuses: list[int] = [0] * len(urls)

    def run(i: int, url: str) -> None:
        client = app.test_client()
        barrier.wait()
        statuses[i] = client.post(url, json=body or {}, headers=headers).status_code

    threads = [threading.Thread(target=run, args=(i, u)) for i, u in enumerate(urls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return statuses


def _count(app, class_id: str, status: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(Enrolment)
            .where(Enrolment.class_id == class_id, Enrolment.status == status)
        )


@pytest.mark.security
def test_fifty_concurrent_approvals_for_ten_seats(app, cat, who, people):
    course = cat.course()
    klass = cat.klass(course["id"], capacity=10)
    ids = _requests(app, klass["id"], course["id"], 50, people.unit)
    statuses = _race(app, who["admin"], [f"/api/v1/enrolments/{i}/approve" for i in ids])
    assert statuses == [200] * 50
    assert _count(app, klass["id"], "enrolled") == 10
    assert _count(app, klass["id"], "waitlisted") == 40
    seats = cat.ok(cat.client.get(f"/api/v1/classes/{klass['id']}", headers=who["admin"]))
    assert seats["seats_taken"] == 10
    assert len(cat.events("enrolment.approved")) == 50


@pytest.mark.security
def test_same_enrolment_approved_twice_at_once_acts_once(app, cat, who, people):
    course = cat.course()
    klass = cat.klass(course["id"], capacity=5)
    [enrolment_id] = _requests(app, klass["id"], course["id"], 1, people.unit)
    statuses = _race(app, who["admin"], [f"/api/v1/enrolments/{enrolment_id}/approve"] * 8)
    assert sorted(statuses) == [200] + [409] * 7
    seats = cat.ok(cat.client.get(f"/api/v1/classes/{klass['id']}", headers=who["admin"]))
    assert seats["seats_taken"] == 1


@pytest.mark.security
def test_concurrent_paid_approvals_never_overspend(app, cat, who, people):
    course = cat.course(cost_per_participant=1_000_000)
    klass = cat.klass(course["id"], capacity=30)
    cat.ok(
        cat.client.post(
            "/api/v1/budgets",
            json={"unit_code": people.unit, "year": 2026, "amount": 7_000_000},
            headers=who["admin"],
        ),
        201,
    )
    ids = _requests(app, klass["id"], course["id"], 20, people.unit)
    statuses = _race(app, who["admin"], [f"/api/v1/enrolments/{i}/approve" for i in ids])
    assert sorted(statuses) == [200] * 7 + [409] * 13
    with app.app_context():
        budget = db.session.scalar(select(Budget))
        assert budget.reserved == 7_000_000
    assert _count(app, klass["id"], "enrolled") == 7
    assert _count(app, klass["id"], "requested") == 13
    seats = cat.ok(cat.client.get(f"/api/v1/classes/{klass['id']}", headers=who["admin"]))
    assert seats["seats_taken"] == 7

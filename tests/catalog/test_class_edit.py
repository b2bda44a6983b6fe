"""Changing a class (PATCH /api/v1/classes/{id}): admin only, values checked with the kept
ones, capacity never below the enrolled, added seats to the waitlist, session days follow."""

from __future__ import annotations

from datetime import timedelta

import pytest


def _patch(cat, class_id, body, as_="admin"):
    return cat.client.patch(f"/api/v1/classes/{class_id}", json=body, headers=cat.who[as_])


def _problem(response, status):
    assert response.status_code == status, response.get_json()
    assert response.content_type.startswith("application/problem+json")
    return response.get_json()


def test_admin_changes_name_dates_place_capacity_window_and_trainers(cat, people):
    klass = cat.klass(cat.course()["id"])
    body = {
        "name": "Angkatan II",
        "starts_on": (people.today + timedelta(days=20)).isoformat(),
        "ends_on": (people.today + timedelta(days=24)).isoformat(),
        "place": "Aula BKPSDM",
        "online": True,
        "capacity": 25,
        "enrolment_closes_on": (people.today + timedelta(days=15)).isoformat(),
        "trainer_ids": [people.trainer, people.admin],
    }
    changed = cat.ok(_patch(cat, klass["id"], body))
    for field, value in body.items():
        assert changed[field] == value, field
    again = cat.ok(cat.client.get(f"/api/v1/classes/{klass['id']}", headers=cat.admin))
    assert again["name"] == "Angkatan II" and again["capacity"] == 25
    assert again["enrolment_opens_on"] == klass["enrolment_opens_on"]  # not sent, kept


@pytest.mark.parametrize("as_", ["trainer", "learner", "supervisor"])
def test_only_an_admin_changes_a_class(cat, as_):
    klass = cat.klass(cat.course()["id"])
    _problem(_patch(cat, klass["id"], {"name": "Diubah"}, as_=as_), 403)
    kept = cat.ok(cat.client.get(f"/api/v1/classes/{klass['id']}", headers=cat.admin))
    assert kept["name"] == klass["name"]


def test_unknown_class_is_404(cat):
    _problem(_patch(cat, "00000000-0000-4000-8000-00000000dead", {"name": "X"}), 404)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": "12"}, "capacity"),
        ({"starts_on": "2026-02-30"}, "starts_on"),
        ({"place": "x" * 301}, "place"),
        ({"trainer_ids": ["x" * 37]}, "trainer_ids"),
        # checked against the dates kept: the class starts on TODAY + 10
        ({"ends_on": "2026-12-01"}, "ends_on"),
        ({"enrolment_closes_on": "2026-12-31"}, "enrolment_closes_on"),
        ({"enrolment_opens_on": "2026-12-06"}, "enrolment_closes_on"),
    ],
)
def test_bad_values_name_the_field_and_change_nothing(cat, body, field):
    klass = cat.klass(cat.course()["id"])
    problem = _problem(_patch(cat, klass["id"], {"name": "Baru", **body}), 422)
    assert field in {name.split(".")[0] for name in problem["errors"]}, problem
    assert problem.get("code")
    kept = cat.ok(cat.client.get(f"/api/v1/classes/{klass['id']}", headers=cat.admin))
    assert kept == klass


def test_capacity_never_below_the_enrolled_and_added_seats_go_to_the_waitlist(cat):
    klass = cat.klass(cat.course()["id"], capacity=1)
    first = cat.request(klass["id"], as_="learner")
    cat.ok(cat.act(first["id"], "approve"))
    second = cat.request(klass["id"], as_="other_asn")
    assert cat.ok(cat.act(second["id"], "approve"))["status"] == "waitlisted"

    problem = _problem(_patch(cat, klass["id"], {"capacity": 0}), 422)
    assert "capacity" in problem["errors"]
    # one enrolled: lowering to 1 is allowed, nothing changes; raising to 2 promotes the next
    assert cat.ok(_patch(cat, klass["id"], {"capacity": 1}))["seats_taken"] == 1
    raised = cat.ok(_patch(cat, klass["id"], {"capacity": 3}))
    assert raised["capacity"] == 3 and raised["seats_taken"] == 2
    promoted = cat.ok(cat.client.get(f"/api/v1/enrolments/{second['id']}", headers=cat.admin))
    assert promoted["status"] == "enrolled"
    assert [e["data"]["enrolment_id"] for e in cat.events("enrolment.promoted")] == [second["id"]]
    # two enrolled now: a capacity of one is refused and the class keeps three seats
    problem = _problem(_patch(cat, klass["id"], {"capacity": 1, "name": "Kecil"}), 409)
    assert problem["code"] == "capacity-below-enrolled" and "capacity" in problem["errors"]
    kept = cat.ok(cat.client.get(f"/api/v1/classes/{klass['id']}", headers=cat.admin))
    assert kept["capacity"] == 3 and kept["name"] == klass["name"]


def _days(cat, class_id):
    answer = cat.client.get(f"/api/v1/classes/{class_id}/sessions", headers=cat.admin)
    return [s["day"] for s in cat.ok(answer)["items"]]


def test_session_days_follow_new_dates_of_a_classroom_class(cat):
    course = cat.course(form="klasikal", min_attendance_percent=80)
    # Thu 2026-12-10 to Mon 2026-12-14: Thu, Fri, Mon
    klass = cat.klass(course["id"], starts_on="2026-12-10", ends_on="2026-12-14")
    assert _days(cat, klass["id"]) == ["2026-12-10", "2026-12-11", "2026-12-14"]
    # a trainer removed Friday: moving the end keeps it removed, drops nothing attended
    removed = cat.client.delete(
        f"/api/v1/classes/{klass['id']}/sessions/2026-12-11", headers=cat.who["trainer"]
    )
    assert removed.status_code == 204
    cat.ok(_patch(cat, klass["id"], {"starts_on": "2026-12-11", "ends_on": "2026-12-16"}))
    assert _days(cat, klass["id"]) == ["2026-12-14", "2026-12-15", "2026-12-16"]


def test_dates_that_leave_out_an_attended_day_are_refused(cat, people, clock):
    course = cat.course(form="klasikal", min_attendance_percent=80)
    clock.set(people.today - timedelta(days=8))
    klass = cat.klass(
        course["id"],
        starts_on=(people.today - timedelta(days=7)).isoformat(),
        ends_on=(people.today - timedelta(days=5)).isoformat(),
        enrolment_opens_on=(people.today - timedelta(days=14)).isoformat(),
        enrolment_closes_on=(people.today - timedelta(days=5)).isoformat(),
    )
    e = cat.request(klass["id"])
    cat.ok(cat.act(e["id"], "approve"))
    clock.set(people.today)
    first_day = klass["starts_on"]
    cat.ok(
        cat.client.put(
            f"/api/v1/classes/{klass['id']}/sessions/{first_day}/attendance",
            json={"present": [e["id"]]},
            headers=cat.who["trainer"],
        )
    )
    later = (people.today - timedelta(days=6)).isoformat()
    problem = _problem(_patch(cat, klass["id"], {"starts_on": later}), 409)
    assert problem["code"] == "attendance-outside-dates" and "starts_on" in problem["errors"]
    assert _days(cat, klass["id"])[0] == first_day


def test_classes_of_an_archived_course_are_not_changed(cat):
    course = cat.course()
    klass = cat.klass(course["id"])
    cat.ok(cat.client.post(f"/api/v1/courses/{course['id']}/archive", headers=cat.admin))
    problem = _problem(_patch(cat, klass["id"], {"name": "Baru"}), 409)
    assert problem["code"] == "course-archived"

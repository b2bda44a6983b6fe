"""Classroom training: hand completion is refused for self-completing courses and for learners
who miss the rule; session days, attendance and completing a whole class."""

from __future__ import annotations

from datetime import timedelta

import pytest

M1 = "11111111-0000-4000-8000-000000000001"
POST = "22222222-0000-4000-8000-000000000001"


def _enrolled(cat, course, as_="learner", **klass):
    klass = cat.klass(course["id"], **klass)
    e = cat.request(klass["id"], as_=as_)
    cat.ok(cat.act(e["id"], "approve"))
    return klass, e


def _past_class(people):
    """A three-day class (Mon-Wed) of last week: every session day can be recorded."""
    return {
        "starts_on": (people.today - timedelta(days=7)).isoformat(),
        "ends_on": (people.today - timedelta(days=5)).isoformat(),
        "enrolment_opens_on": (people.today - timedelta(days=14)).isoformat(),
        "enrolment_closes_on": (people.today - timedelta(days=5)).isoformat(),
    }


@pytest.fixture
def past_open(clock, people):
    """Enrol while the window is open, then let the clock run past the class."""

    def enrol(cat, course, **kw):
        clock.set(people.today - timedelta(days=8))
        out = _enrolled(cat, course, **_past_class(people), **kw)
        clock.set(people.today)
        return out

    return enrol


@pytest.mark.parametrize(
    "course_fields",
    [
        {"form": "e_learning", "module_ids": [M1]},
        {"form": "e_learning", "post_test_id": POST},
        {"form": "seminar", "module_ids": [M1], "post_test_id": POST},
    ],
)
@pytest.mark.security
@pytest.mark.parametrize("as_", ["trainer", "admin"])
def test_self_completing_course_is_refused(cat, course_fields, as_):
    """Issue 10 item 2: completing by hand would issue JP and a certificate for work not done."""
    course = cat.course(**course_fields)
    _, e = _enrolled(cat, course)
    r = cat.act(e["id"], "complete", as_=as_)
    assert r.status_code == 409, r.get_json()
    problem = r.get_json()
    assert r.content_type.startswith("application/problem+json")
    assert "completes by itself" in problem["detail"] and problem["code"] == "completes-by-itself"
    assert cat.events("enrolment.completed") == []
    status = cat.ok(cat.client.get(f"/api/v1/enrolments/{e['id']}", headers=cat.admin))["status"]
    assert status == "enrolled"


def _defaults(cat, **fields):
    body = {"code": f"D-{len(fields)}-{fields['form']}", "title": "T", "jp": 4, **fields}
    return cat.ok(cat.client.post("/api/v1/courses", json=body, headers=cat.admin), 201)


def test_classroom_course_defaults_to_80_percent_and_working_day_sessions(cat, people):
    course = _defaults(cat, form="klasikal")
    assert course["min_attendance_percent"] == 80 and course["completes_by_itself"] is False
    elearning = _defaults(cat, form="e_learning", module_ids=[M1])
    assert elearning["min_attendance_percent"] is None and elearning["completes_by_itself"]
    # 2026-12-10 (Thu) to 2026-12-14 (Mon): Thu, Fri, Mon
    klass = cat.klass(course["id"], starts_on="2026-12-10", ends_on="2026-12-14")
    sessions = cat.ok(
        cat.client.get(f"/api/v1/classes/{klass['id']}/sessions", headers=cat.who["trainer"])
    )
    assert [s["day"] for s in sessions["items"]] == ["2026-12-10", "2026-12-11", "2026-12-14"]


def test_attendance_rule_refuses_then_allows_completion(cat, people, past_open):
    course = cat.course(form="klasikal", jp=8, min_attendance_percent=80)
    klass, e = past_open(cat, course)
    url = f"/api/v1/classes/{klass['id']}"
    trainer = cat.who["trainer"]
    days = [s["day"] for s in cat.ok(cat.client.get(f"{url}/sessions", headers=trainer))["items"]]
    assert len(days) == 3
    # nothing recorded: refused, saying what is missing
    r = cat.act(e["id"], "complete", as_="trainer")
    assert r.status_code == 409
    body = r.get_json()
    assert body["code"] == "completion-rule-not-met" and "0 of 3 session days" in body["detail"]
    assert [u["code"] for u in body["unmet"]] == ["attendance"]
    # two of three days: 67 % < 80 %
    for day in days[:2]:
        cat.ok(
            cat.client.put(
                f"{url}/sessions/{day}/attendance", json={"present": [e["id"]]}, headers=trainer
            )
        )
    sheet = cat.ok(cat.client.get(f"{url}/attendance", headers=trainer))
    [row] = sheet["learners"]
    assert row["attendance_percent"] == 67 and row["meets_rule"] is False
    assert sheet["rule"] == {
        "completed_by": "trainer",
        "min_attendance_percent": 80,
        "modules": 0,
        "post_test": False,
    }
    assert cat.act(e["id"], "complete", as_="trainer").status_code == 409
    assert cat.events("enrolment.completed") == []
    cat.ok(
        cat.client.put(
            f"{url}/sessions/{days[2]}/attendance", json={"present": [e["id"]]}, headers=trainer
        )
    )
    done = cat.ok(cat.act(e["id"], "complete", as_="trainer"))
    assert done["status"] == "completed"
    [event] = cat.events("enrolment.completed")
    assert event["data"]["jp"] == 8 and event["data"]["form"] == "klasikal"


def test_blended_needs_modules_and_post_test_too(cat, people, past_open):
    course = cat.course(
        form="blended", module_ids=[M1], post_test_id=POST, min_attendance_percent=80
    )
    assert course["completes_by_itself"] is False
    klass, e = past_open(cat, course)
    trainer = cat.who["trainer"]
    url = f"/api/v1/classes/{klass['id']}"
    for s in cat.ok(cat.client.get(f"{url}/sessions", headers=trainer))["items"]:
        cat.client.put(
            f"{url}/sessions/{s['day']}/attendance", json={"present": [e["id"]]}, headers=trainer
        )
    # the module signal is recorded, but a blended course does not complete by itself
    data = {"attempt_id": "a", "module_id": M1, "learner_id": people.learner, "score": None}
    assert cat.deliver("module.completed", data).status_code == 200
    passed = {
        "attempt_id": "x",
        "assessment_id": POST,
        "kind": "post_test",
        "learner_id": people.learner,
        "score": 90,
        "passed": True,
    }
    r = cat.act(e["id"], "complete", as_="trainer")
    assert [u["code"] for u in r.get_json()["unmet"]] == ["post_test"]
    assert cat.deliver("assessment.passed", passed).status_code == 200
    assert cat.events("enrolment.completed") == []
    assert cat.ok(cat.act(e["id"], "complete", as_="trainer"))["status"] == "completed"


def test_complete_class_completes_only_those_meeting_the_rule(cat, people, past_open, clock):
    course = cat.course(form="klasikal", min_attendance_percent=80)
    klass, first = past_open(cat, course)
    clock.set(people.today - timedelta(days=8))
    second = cat.request(klass["id"], as_="other_asn")
    cat.ok(cat.act(second["id"], "approve"))
    clock.set(people.today)
    url = f"/api/v1/classes/{klass['id']}"
    trainer = cat.who["trainer"]
    for s in cat.ok(cat.client.get(f"{url}/sessions", headers=trainer))["items"]:
        cat.ok(
            cat.client.put(
                f"{url}/sessions/{s['day']}/attendance",
                json={"present": [first["id"]]},
                headers=trainer,
            )
        )
    result = cat.ok(cat.client.post(f"{url}/completions", headers=trainer))
    assert [e["id"] for e in result["completed"]] == [first["id"]]
    [left] = result["not_completed"]
    assert left["enrolment_id"] == second["id"] and left["unmet"][0]["code"] == "attendance"
    assert [e["aggregate_id"] for e in cat.events("enrolment.completed")] == [first["id"]]
    # twice: nobody new
    again = cat.ok(cat.client.post(f"{url}/completions", headers=trainer))
    assert again["completed"] == [] and len(again["not_completed"]) == 1


def test_class_completion_refused_for_self_completing_course(cat):
    course = cat.course(form="e_learning", module_ids=[M1])
    klass, _ = _enrolled(cat, course)
    r = cat.client.post(f"/api/v1/classes/{klass['id']}/completions", headers=cat.who["trainer"])
    assert r.status_code == 409 and "completes by itself" in r.get_json()["detail"]
    assert cat.events("enrolment.completed") == []


def test_attendance_rights_and_bad_input(cat, people, past_open):
    course = cat.course(form="klasikal", min_attendance_percent=80)
    klass, e = past_open(cat, course)
    url = f"/api/v1/classes/{klass['id']}"
    day = (people.today - timedelta(days=7)).isoformat()
    body = {"present": [e["id"]]}
    for role in ("other_trainer", "learner", "supervisor"):
        assert cat.client.get(f"{url}/attendance", headers=cat.who[role]).status_code == 404
        r = cat.client.put(f"{url}/sessions/{day}/attendance", json=body, headers=cat.who[role])
        assert r.status_code == 404, role
        r = cat.client.post(f"{url}/completions", headers=cat.who[role])
        assert r.status_code == 404, role
    admin = cat.admin
    assert cat.client.get(f"{url}/attendance", headers=admin).status_code == 200
    r = cat.client.put(
        f"{url}/sessions/{day}/attendance", json={"present": ["nope"]}, headers=admin
    )
    assert r.status_code == 422 and "present" in r.get_json()["errors"]
    r = cat.client.put(f"{url}/sessions/2026-13-01/attendance", json=body, headers=admin)
    assert r.status_code == 422
    r = cat.client.put(f"{url}/sessions/2026-10-01/attendance", json=body, headers=admin)
    assert r.status_code == 404
    r = cat.client.post(f"{url}/sessions", json={"day": "2026-10-01"}, headers=admin)
    assert r.status_code == 422 and "outside" in r.get_json()["detail"]
    r = cat.client.post(f"{url}/sessions", json={"day": day}, headers=admin)
    assert r.status_code == 409
    # a session still to come cannot be recorded
    future = cat.klass(course["id"])
    e2 = cat.request(future["id"], as_="other_asn")
    cat.ok(cat.act(e2["id"], "approve"))
    furl = f"/api/v1/classes/{future['id']}"
    [first, *_] = cat.ok(cat.client.get(f"{furl}/sessions", headers=admin))["items"]
    r = cat.client.put(
        f"{furl}/sessions/{first['day']}/attendance", json={"present": [e2["id"]]}, headers=admin
    )
    assert r.status_code == 409 and "not taken place" in r.get_json()["detail"]
    # removing a day removes its attendance and lowers the total
    cat.ok(cat.client.put(f"{url}/sessions/{day}/attendance", json=body, headers=admin))
    assert cat.client.delete(f"{url}/sessions/{day}", headers=admin).status_code == 204
    sheet = cat.ok(cat.client.get(f"{url}/attendance", headers=admin))
    assert len(sheet["sessions"]) == 2 and sheet["learners"][0]["present_days"] == []


def test_course_without_attendance_rule_completes_by_hand(cat):
    course = cat.course(form="seminar")
    assert course["min_attendance_percent"] is None
    _, e = _enrolled(cat, course)
    assert cat.ok(cat.act(e["id"], "complete", as_="trainer"))["status"] == "completed"


def test_courses_by_module_and_test_show_where_they_are_used(cat):
    used = cat.course(code="USES-M1", form="e_learning", module_ids=[M1], post_test_id=POST)
    cat.course(code="OTHER")
    r = cat.ok(cat.client.get(f"/api/v1/courses?module_id={M1}", headers=cat.who["trainer"]))
    assert [c["code"] for c in r["items"]] == [used["code"]]
    r = cat.ok(cat.client.get(f"/api/v1/courses?test_id={POST}", headers=cat.who["trainer"]))
    assert [c["code"] for c in r["items"]] == [used["code"]]


def test_session_days_only_for_the_class_trainers_and_admins(cat, people, past_open):
    course = cat.course(form="klasikal", min_attendance_percent=80)
    klass, _e = past_open(cat, course)
    url = f"/api/v1/classes/{klass['id']}/sessions"
    days = [s["day"] for s in cat.ok(cat.client.get(url, headers=cat.who["trainer"]))["items"]]
    extra = (people.today - timedelta(days=6)).isoformat()
    for role in ("other_trainer", "learner", "supervisor"):
        who = cat.who[role]
        assert cat.client.get(url, headers=who).status_code == 404, role
        assert cat.client.post(url, json={"day": extra}, headers=who).status_code == 404, role
        assert cat.client.delete(f"{url}/{days[0]}", headers=who).status_code == 404, role
    assert [s["day"] for s in cat.ok(cat.client.get(url, headers=cat.admin))["items"]] == days
    # the class's own trainer removes a day, adds one back, and bad days name the field
    trainer = cat.who["trainer"]
    assert cat.client.delete(f"{url}/{days[1]}", headers=trainer).status_code == 204
    added = cat.client.post(url, json={"day": days[1]}, headers=trainer)
    assert added.status_code == 201 and added.get_json()["day"] == days[1]
    for body in ({}, {"day": "kemarin"}, {"day": "2020-01-01"}):
        r = cat.client.post(url, json=body, headers=trainer)
        assert r.status_code == 422 and "day" in r.get_json()["errors"], body
    assert cat.client.delete(f"{url}/2020-01-01", headers=trainer).status_code == 404
    r = cat.client.delete(f"{url}/kemarin", headers=trainer)
    assert r.status_code == 422 and r.get_json()["code"] == "invalid-day"
    after = [s["day"] for s in cat.ok(cat.client.get(url, headers=trainer))["items"]]
    assert after == days

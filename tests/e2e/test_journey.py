"""The contract's journey through the gateway, on the suite started as `make run` starts it."""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from support.journeys import city_today

pytestmark = [pytest.mark.processes, pytest.mark.once]

SCORM_PACKAGE = Path(__file__).resolve().parents[1] / "elearning" / "data" / "kursus_scorm12"


def scorm_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(SCORM_PACKAGE.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(SCORM_PACKAGE).as_posix())
    return buffer.getvalue()


def test_the_contract_journey(stack, api_factory, wait_for):
    stack.start()
    stack.wait_ready()
    api = api_factory(stack.urls["gateway"])
    admin = api.login("admin")
    suffix = stack.ports["gateway"]

    # admin creates a unit, people, a competency
    unit = f"E2E-{suffix}"
    assert (
        api.call(
            "POST", "/api/v1/units", admin, json={"code": unit, "name": "Bidang Uji"}
        ).status_code
        == 201
    )
    boss_nip, staff_nip = "198001012005011001", "199202022015022002"
    boss = api.call(
        "POST",
        "/api/v1/people",
        admin,
        json={
            "nip": boss_nip,
            "name": "Budi Santoso, S.E.",
            "unit_code": unit,
            "position": "Kepala Bidang",
            "grade": "IV/a",
            "roles": ["asn", "supervisor"],
            "password": "rahasia-atasan-1",
        },
    )
    assert boss.status_code == 201, boss.text
    staff = api.call(
        "POST",
        "/api/v1/people",
        admin,
        json={
            "nip": staff_nip,
            "name": "Sari Dewi, S.Kom.",
            "unit_code": unit,
            "position": "Pranata Komputer",
            "grade": "III/a",
            "supervisor_nip": boss_nip,
            "roles": ["asn"],
            "password": "rahasia-staf-1",
        },
    )
    assert staff.status_code == 201, staff.text
    staff_id = staff.json()["id"]
    competency = {"code": f"T-E2E-{suffix}", "name": "Keamanan Siber", "type": "teknis"}
    assert api.call("POST", "/api/v1/competencies", admin, json=competency).status_code == 201

    # trainer uploads a SCORM package and creates a post test
    trainer = api.login("trainer")
    module = api.call(
        "POST",
        "/api/v1/modules",
        trainer,
        files={"file": ("kursus.zip", scorm_zip(), "application/zip")},
        data={"title": "Kursus Uji"},
    )
    assert module.status_code == 201, module.text
    assert module.json()["kind"] == "scorm12"
    test = api.call(
        "POST",
        "/api/v1/assessments",
        trainer,
        json={
            "title": "Post Test Keamanan",
            "kind": "post_test",
            "passing_score": 70,
            "questions": [
                {
                    "type": "single",
                    "text": "Kata sandi yang kuat?",
                    "choices": ["123456", "Xy!9#kLp2"],
                    "answer": 1,
                },
                {
                    "type": "single",
                    "text": "Phishing adalah?",
                    "choices": ["Penipuan", "Olahraga"],
                    "answer": 0,
                },
            ],
        },
    )
    assert test.status_code == 201, test.text

    # admin creates the course with that module and test, publishes it, opens a class
    course = api.call(
        "POST",
        "/api/v1/courses",
        admin,
        json={
            "code": f"E2E-{suffix}",
            "title": "Keamanan Informasi Dasar",
            "description": "Kursus uji ujung ke ujung",
            "jp": 6,
            "competencies": [{"code": competency["code"], "level": 2}],
            "module_ids": [module.json()["id"]],
            "post_test_id": test.json()["id"],
        },
    )
    assert course.status_code == 201, course.text
    assert course.json()["status"] == "draft"
    course_id = course.json()["id"]
    assert (
        api.call("POST", f"/api/v1/courses/{course_id}/publish", admin).json()["status"]
        == "published"
    )
    today = city_today()
    klass = api.call(
        "POST",
        f"/api/v1/courses/{course_id}/classes",
        admin,
        json={
            "name": "Angkatan I",
            "starts_on": (today + timedelta(days=7)).isoformat(),
            "ends_on": (today + timedelta(days=37)).isoformat(),
            "capacity": 10,
        },
    )
    assert klass.status_code == 201, klass.text

    # an ASN requests a place, the supervisor approves
    asn = api.login(staff_nip, "rahasia-staf-1")
    enrolment = api.call("POST", "/api/v1/enrolments", asn, json={"class_id": klass.json()["id"]})
    assert enrolment.status_code == 201, enrolment.text
    assert enrolment.json()["status"] == "requested"
    enrolment_id = enrolment.json()["id"]
    supervisor = api.login(boss_nip, "rahasia-atasan-1")
    approved = api.call("POST", f"/api/v1/enrolments/{enrolment_id}/approve", supervisor)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "enrolled"

    # the ASN launches the module and the runtime reports completion
    attempt = api.call("POST", f"/api/v1/modules/{module.json()['id']}/attempts", asn)
    assert attempt.status_code == 201, attempt.text
    launch_url = attempt.json()["launch_url"]
    player = api.http.get(
        launch_url if launch_url.startswith("http") else stack.urls["gateway"] + launch_url
    )
    assert player.status_code == 200 and "<iframe" in player.text
    # the player commits for every item of the package: SCOs report through the runtime,
    # assets count once opened
    attempt_id = attempt.json()["id"]
    scos = api.call("GET", f"/api/v1/modules/{module.json()['id']}", trainer).json()["scos"]
    assert [s["identifier"] for s in scos] == ["bab_1", "bab_2", "glosarium"]
    for item in scos:
        body = (
            {
                "cmi.core.lesson_status": "completed",
                "cmi.core.score.raw": "90",
                "cmi.core.session_time": "0000:05:00",
            }
            if item["scorm_type"] == "sco"
            else {"progress.opened": "true"}
        )
        committed = api.call(
            "PUT",
            f"/api/v1/module-attempts/{attempt_id}/cmi?sco={item['identifier']}",
            asn,
            json=body,
        )
        assert committed.status_code == 200, committed.text
    progress = api.call("GET", f"/api/v1/module-attempts/{attempt_id}", asn).json()
    assert progress["completion"] == "completed"

    # ... and passes the post test
    started = api.call("POST", f"/api/v1/assessments/{test.json()['id']}/attempts", asn)
    assert started.status_code == 201, started.text
    questions = started.json()["questions"]
    assert all("answer" not in q for q in questions)
    answers = {}
    for question in questions:
        right = "Xy!9#kLp2" if "sandi" in question["text"] else "Penipuan"
        answers[str(question["id"])] = question["choices"].index(right)
    result = api.call(
        "POST",
        f"/api/v1/assessment-attempts/{started.json()['id']}/submit",
        asn,
        json={"answers": answers},
    )
    assert result.status_code == 200, result.text
    assert result.json()["passed"] is True

    # within seconds the enrolment is completed ...
    wait_for(
        lambda: (
            api.call("GET", f"/api/v1/enrolments/{enrolment_id}", asn).json()["status"]
            == "completed"
        ),
        timeout=60,
    )
    # ... the JP of the year include the course's ...
    jp = wait_for(
        lambda: (
            body
            if (
                body := api.call(
                    "GET", f"/api/v1/people/{staff_id}/jp?year={today.year}", asn
                ).json()
            )["earned"]
            >= 6
            else None
        ),
        timeout=60,
    )
    assert jp["target"] == 20
    assert [e["jp"] for e in jp["entries"] if e["course_code"] == f"E2E-{suffix}"] == [6]
    # ... a certificate verifies without a token ...
    certificates = wait_for(
        lambda: api.call("GET", "/api/v1/certificates", asn).json()["items"], timeout=60
    )
    code = certificates[0]["code"]
    verification = api.http.get(
        f"{stack.urls['gateway']}/api/v1/certificates/{code}/verification", timeout=10
    )
    assert verification.status_code == 200
    assert verification.json()["valid"] is True
    assert verification.json()["jp"] == 6
    assert "nip" not in verification.json()
    # ... and the supervisor has an impact evaluation due in 180 days
    due = wait_for(
        lambda: api.call("GET", "/api/v1/impact-evaluations?status=due", supervisor).json()[
            "items"
        ],
        timeout=60,
    )
    assert due[0]["learner_id"] == staff_id
    assert due[0]["course_code"] == f"E2E-{suffix}"
    completed_on = date.fromisoformat(certificates[0]["issued_on"][:10])
    assert date.fromisoformat(due[0]["due_on"][:10]) == completed_on + timedelta(days=180)

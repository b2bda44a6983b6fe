"""enrolment.completed → certificate, reaction survey, impact evaluations; and what follows."""

import uuid
from datetime import UTC, date, datetime

import pytest
from evaluation_service.domain.impact import run_reminders
from evaluation_service.extensions import db
from evaluation_service.models import Certificate, ImpactEvaluation, Survey
from sqlalchemy import func, select

COURSE_ID = str(uuid.uuid4())
CLASS_ID = str(uuid.uuid4())


def completion_event(ids, enrolment_id=None, **data):
    body = {
        "enrolment_id": enrolment_id or str(uuid.uuid4()),
        "learner_id": ids["learner"],
        "learner_name": "Nyimas Ayu Lestari",
        "unit_code": "DISKOMINFO",
        "supervisor_id": ids["supervisor"],
        "course_id": COURSE_ID,
        "course_code": "TIK-101",
        "course_title": "Keamanan Informasi bagi ASN",
        "jp": 12,
        "form": "e-learning",
        "competencies": [{"code": "TIK-KI", "level": 2}],
        "class_id": CLASS_ID,
        "class_name": "TIK-101 Angkatan 1",
        "trainer_ids": [ids["trainer"]],
        "starts_on": "2026-02-02",
        "ends_on": "2026-02-27",
        "completed_on": "2026-03-02",
        **data,
    }
    return {
        "id": str(uuid.uuid4()),
        "type": "enrolment.completed",
        "version": 1,
        "occurred_at": "2026-03-02T09:00:00+00:00",
        "producer": "catalog",
        "aggregate_id": body["enrolment_id"],
        "data": body,
    }


@pytest.fixture
def person(fakes, ids):
    fakes.people[ids["learner"]] = {
        "id": ids["learner"],
        "name": "Nyimas Ayu Lestari",
        "nip": "199507212019022002",
        "grade": "III/a",
        "position": "Pranata Komputer Ahli Pertama",
        "unit_code": "DISKOMINFO",
        "unit_name": "Dinas Komunikasi dan Informatika",
    }
    fakes.chains[ids["supervisor"]] = [{"id": ids["big_boss"], "name": "Kepala Dinas"}]
    return fakes


def deliver(client, auth, envelope):
    return client.post("/internal/events", json=envelope, headers=auth("service"))


def count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_completion_issues_certificate_survey_and_impact(app, client, auth, ids, person, clock):
    envelope = completion_event(ids)
    response = deliver(client, auth, envelope)
    assert response.status_code == 200, response.json
    certs = client.get("/api/v1/certificates", headers=auth("learner")).json["items"]
    assert len(certs) == 1
    cert = certs[0]
    assert cert["number"] == "CKP/2026/000001"
    assert (cert["nip"], cert["grade"], cert["agency"]) == (
        "199507212019022002",
        "III/a",
        "Dinas Komunikasi dan Informatika",
    )
    assert cert["course_code"] == "TIK-101" and cert["issued_on"] == "2026-03-02"
    assert len(cert["code"]) >= 16
    surveys = client.get("/api/v1/surveys?status=pending", headers=auth("learner")).json
    assert surveys["total"] == 1 and len(surveys["items"][0]["items"]) == 8
    due = client.get("/api/v1/impact-evaluations?status=due", headers=auth("supervisor")).json
    assert due["total"] == 1
    item = due["items"][0]
    assert (item["learner_id"], item["course_code"], item["due_on"]) == (
        ids["learner"],
        "TIK-101",
        "2026-08-29",
    )  # 2 March + 180 days
    mine = client.get("/api/v1/impact-evaluations", headers=auth("learner")).json["items"]
    assert [e["evaluator_role"] for e in mine] == ["self"]
    # The same event again, and another event for the same enrolment: nothing doubles.
    assert deliver(client, auth, envelope).json["status"] == "duplicate"
    again = {**envelope, "id": str(uuid.uuid4())}
    assert deliver(client, auth, again).status_code == 200
    assert (count(app, Certificate), count(app, Survey), count(app, ImpactEvaluation)) == (1, 1, 2)
    second = deliver(client, auth, completion_event(ids))
    assert second.status_code == 200
    numbers = [
        c["number"] for c in client.get("/api/v1/certificates", headers=auth("admin")).json["items"]
    ]
    assert sorted(numbers) == ["CKP/2026/000001", "CKP/2026/000002"]


def test_personnel_down_means_retry(app, client, auth, ids, person, clock):
    person.personnel_down = True
    envelope = completion_event(ids)
    refused = deliver(client, auth, envelope)
    assert refused.status_code == 503
    assert count(app, Certificate) == 0 and count(app, Survey) == 0
    person.personnel_down = False
    assert deliver(client, auth, envelope).json["status"] == "handled"
    assert count(app, Certificate) == 1


def test_malformed_completion_is_rejected(client, auth, ids, person, clock):
    envelope = completion_event(ids, completed_on="yesterday")
    assert deliver(client, auth, envelope).status_code == 422
    assert (
        client.post(
            "/internal/events", json=completion_event(ids), headers=auth("learner")
        ).status_code
        == 403
    )


@pytest.mark.security
def test_certificate_rights_verification_and_pdf(client, auth, ids, person, clock):
    deliver(client, auth, completion_event(ids))
    code = client.get("/api/v1/certificates", headers=auth("learner")).json["items"][0]["code"]
    assert client.get("/api/v1/certificates", headers=auth("other_learner")).json["total"] == 0
    for who, status in (
        ("learner", 200),
        ("admin", 200),
        ("other_learner", 404),
        ("supervisor", 404),
        ("trainer", 404),
    ):
        assert client.get(f"/api/v1/certificates/{code}", headers=auth(who)).status_code == status
        if status == 200:  # the printed link is the portal's readable verification page
            certificate = client.get(f"/api/v1/certificates/{code}", headers=auth(who)).json
            assert certificate["verification_url"].endswith(f"/verifikasi/{code}")
        if status == 404:  # rendering is slow-ish: only the refusals here
            assert (
                client.get(f"/api/v1/certificates/{code}/pdf", headers=auth(who)).status_code == 404
            )
    assert client.get(f"/api/v1/certificates/{code}").status_code == 401
    verified = client.get(f"/api/v1/certificates/{code}/verification")
    assert verified.status_code == 200
    assert verified.json == {
        "valid": True,
        "number": "CKP/2026/000001",
        "name": "Nyimas Ayu Lestari",
        "course_title": "Keamanan Informasi bagi ASN",
        "jp": 12,
        "issued_on": "2026-03-02",
    }
    assert client.get("/api/v1/certificates/not-a-code/verification").status_code == 404
    pdf = client.get(f"/api/v1/certificates/{code}/pdf", headers=auth("learner"))
    assert pdf.content_type == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert code.encode() in pdf.data


def test_pdf_without_the_ttf_font_is_latin1_safe(
    app, client, auth, ids, person, clock, monkeypatch
):
    person.people[ids["learner"]]["name"] = "Nyimas Ayu Lestari — Ş"
    deliver(client, auth, completion_event(ids))
    code = client.get("/api/v1/certificates", headers=auth("learner")).json["items"][0]["code"]
    monkeypatch.setitem(app.config, "CERTIFICATE_FONT_PATH", "/nonexistent.ttf")
    pdf = client.get(f"/api/v1/certificates/{code}/pdf", headers=auth("learner"))
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


# --- reaction survey ---------------------------------------------------------------------

RATINGS = {
    "material_1": 4,
    "material_2": 5,
    "trainer_1": 5,
    "trainer_2": 4,
    "facilities_1": 3,
    "facilities_2": 4,
    "relevance_1": 5,
    "relevance_2": 5,
}


def test_survey_answered_once_by_its_learner(client, auth, ids, person, clock):
    deliver(client, auth, completion_event(ids))
    survey_id = client.get("/api/v1/surveys", headers=auth("learner")).json["items"][0]["id"]
    url = f"/api/v1/surveys/{survey_id}/responses"
    assert (
        client.get(f"/api/v1/surveys/{survey_id}", headers=auth("other_learner")).status_code == 404
    )
    assert (
        client.post(url, json={"ratings": RATINGS}, headers=auth("other_learner")).status_code
        == 404
    )
    assert client.post(url, json={"ratings": RATINGS}, headers=auth("admin")).status_code == 403
    partial = client.post(url, json={"ratings": {"material_1": 4}}, headers=auth("learner"))
    assert partial.status_code == 422 and "ratings.trainer_1" in partial.json["errors"]
    out_of_scale = client.post(
        url, json={"ratings": {**RATINGS, "material_1": 6}}, headers=auth("learner")
    )
    assert out_of_scale.status_code == 422
    answered = client.post(
        url, json={"ratings": RATINGS, "comment": "Bagus"}, headers=auth("learner")
    )
    assert answered.status_code == 201 and answered.json["status"] == "done"
    assert client.post(url, json={"ratings": RATINGS}, headers=auth("learner")).status_code == 409
    assert client.get("/api/v1/surveys?status=pending", headers=auth("learner")).json["total"] == 0


# --- impact evaluation ---------------------------------------------------------------------

FORM = {
    "behaviour_ratings": [{"competency_code": "TIK-KI", "rating": 4}],
    "evidence_text": "Menerapkan kebijakan kata sandi di layanan e-Government Diskominfo",
    "evidence_url": "https://diskominfo.palembang.go.id/laporan/ki",
    "impact_rating": 4,
}


def supervisor_evaluation(client, auth):
    items = client.get("/api/v1/impact-evaluations", headers=auth("supervisor")).json["items"]
    return items[0]["id"]


@pytest.mark.security
def test_impact_submission_rights_and_apresiasi(client, auth, ids, person, clock):
    deliver(client, auth, completion_event(ids))
    evaluation_id = supervisor_evaluation(client, auth)
    url = f"/api/v1/impact-evaluations/{evaluation_id}/submission"
    assert client.get(url, headers=auth("other_learner")).status_code == 404
    assert client.get(url, headers=auth("learner")).status_code == 404
    assert client.post(url, json=FORM, headers=auth("learner")).status_code == 404
    assert client.post(url, json=FORM, headers=auth("admin")).status_code == 403
    wrong = client.post(
        url,
        headers=auth("supervisor"),
        json={**FORM, "behaviour_ratings": [{"competency_code": "LAIN", "rating": 4}]},
    )
    assert wrong.status_code == 422
    assert "behaviour_ratings.0.competency_code" in wrong.json["errors"]
    supervisor_headers = auth("supervisor")
    done = client.post(
        url,
        headers=supervisor_headers,
        json={**FORM, "appreciation": {"title": "Penggerak keamanan informasi"}},
    )
    assert done.status_code == 201, done.json
    assert done.json["status"] == "done" and done.json["impact_rating"] == 4
    [(learner, body, token)] = person.appreciations
    assert learner == ids["learner"]
    assert body == {"reason": "Penggerak keamanan informasi (Keamanan Informasi bagi ASN)"}
    assert token == supervisor_headers["Authorization"].split()[1]
    assert client.post(url, json=FORM, headers=auth("supervisor")).status_code == 409
    listed = client.get("/api/v1/impact-evaluations?status=done", headers=auth("supervisor"))
    assert listed.json["total"] == 1


def test_apresiasi_refused_by_personnel_stores_nothing(client, auth, ids, person, clock):
    deliver(client, auth, completion_event(ids))
    evaluation_id = supervisor_evaluation(client, auth)
    url = f"/api/v1/impact-evaluations/{evaluation_id}/submission"
    person.personnel_down = True
    down = client.post(
        url, headers=auth("supervisor"), json={**FORM, "appreciation": {"title": "Terima kasih"}}
    )
    assert down.status_code == 503
    assert client.get(url, headers=auth("supervisor")).json["status"] == "due"


def test_person_updated_moves_open_evaluations(client, auth, ids, person, clock):
    deliver(client, auth, completion_event(ids))
    event = {
        "id": str(uuid.uuid4()),
        "type": "person.updated",
        "version": 1,
        "occurred_at": "2026-04-01T00:00:00+00:00",
        "producer": "personnel",
        "aggregate_id": ids["learner"],
        "data": {
            "person_id": ids["learner"],
            "name": "Nyimas Ayu Lestari",
            "unit_code": "DISKOMINFO",
            "supervisor_id": ids["big_boss"],
            "position": "x",
            "grade": "III/b",
            "status": "active",
        },
    }
    sent = client.post("/internal/events", json=event, headers=auth("personnel_service"))
    assert sent.status_code == 200
    assert client.get("/api/v1/impact-evaluations", headers=auth("supervisor")).json["total"] == 0
    assert client.get("/api/v1/impact-evaluations", headers=auth("big_boss")).json["total"] == 1


def test_person_updated_in_a_batch_moves_open_evaluations_in_order(client, auth, ids, person):
    """The batch form: a malformed event is refused alone; the person's last one wins."""
    deliver(client, auth, completion_event(ids))

    def moved_to(supervisor_id, **data):
        return {
            "id": str(uuid.uuid4()),
            "type": "person.updated",
            "version": 1,
            "occurred_at": "2026-04-01T00:00:00+00:00",
            "producer": "personnel",
            "aggregate_id": ids["learner"],
            "data": {"person_id": ids["learner"], "supervisor_id": supervisor_id, **data},
        }

    batch = [moved_to(ids["big_boss"]), moved_to(None, person_id=""), moved_to(ids["big_boss"])]
    answer = client.post(
        "/internal/events/batch", json={"events": batch}, headers=auth("personnel_service")
    )
    assert [r["status"] for r in answer.json["results"]] == ["handled", "rejected", "handled"]
    assert client.get("/api/v1/impact-evaluations", headers=auth("big_boss")).json["total"] == 1
    back = [moved_to(ids["big_boss"]), moved_to(ids["supervisor"])]
    answer = client.post(
        "/internal/events/batch", json={"events": back}, headers=auth("personnel_service")
    )
    assert [r["status"] for r in answer.json["results"]] == ["handled", "handled"]
    assert client.get("/api/v1/impact-evaluations", headers=auth("big_boss")).json["total"] == 0
    assert client.get("/api/v1/impact-evaluations", headers=auth("supervisor")).json["total"] == 1


def test_reminders_and_escalation_dates(app, client, auth, ids, person, clock):
    deliver(client, auth, completion_event(ids))  # due 2026-08-29
    with app.app_context():
        nothing = {"reminded": [], "due": [], "escalated": [], "skipped": []}
        assert run_reminders(date(2026, 8, 14)) == nothing
        first = run_reminders(date(2026, 8, 15))  # 14 days before
        assert len(first["reminded"]) == 1 and first["due"] == []
        assert run_reminders(date(2026, 8, 16))["reminded"] == []  # once only
        assert run_reminders(date(2026, 8, 28)) == nothing
        on_the_day = run_reminders(date(2026, 8, 29))
        assert on_the_day["due"] == first["reminded"] and on_the_day["reminded"] == []
        assert run_reminders(date(2026, 8, 30))["due"] == []  # once only
        assert run_reminders(date(2026, 9, 27))["escalated"] == []  # overdue 29 days
    clock.set(datetime(2026, 9, 27, tzinfo=UTC))
    overdue = client.get("/api/v1/impact-evaluations?status=overdue", headers=auth("supervisor"))
    assert overdue.json["total"] == 1
    by_unit = client.get("/api/v1/reports/overdue-impact-evaluations", headers=auth("admin"))
    assert by_unit.json["items"] == [{"unit_code": "DISKOMINFO", "overdue": 1}]
    assert (
        client.get(
            "/api/v1/impact-evaluations?status=overdue&unit_code=DISKOMINFO&role=supervisor",
            headers=auth("admin"),
        ).json["total"]
        == 1
    )
    person.personnel_down = True
    with app.app_context():
        assert len(run_reminders(date(2026, 9, 28))["skipped"]) == 1  # overdue 30: retried later
    person.personnel_down = False
    with app.app_context():
        report = run_reminders(date(2026, 9, 28))
        assert len(report["escalated"]) == 1
        assert run_reminders(date(2026, 9, 29))["escalated"] == []
    escalated = client.get("/api/v1/impact-evaluations", headers=auth("big_boss")).json["items"]
    assert [(e["escalated_to"], e["escalated_on"]) for e in escalated] == [
        (ids["big_boss"], "2026-09-28")
    ]
    # The escalation target sees it; the assigned supervisor still submits it.
    url = f"/api/v1/impact-evaluations/{escalated[0]['id']}/submission"
    assert client.post(url, json=FORM, headers=auth("big_boss")).status_code == 403
    result = app.test_cli_runner().invoke(args=["remind-impact-evaluations"])
    assert "due 0, escalated 0" in result.output


def test_an_evaluation_first_seen_overdue_is_told_due_not_due_soon(app, client, auth, ids, person):
    deliver(client, auth, completion_event(ids))  # due 2026-08-29, the job never ran before
    with app.app_context():
        report = run_reminders(date(2026, 9, 10))
    assert report["reminded"] == [] and len(report["due"]) == 1 and report["escalated"] == []


def test_apresiasi_is_recorded_by_personnels_real_api(app, client, fakes, clock, tmp_path, token):
    """Evaluation's request is checked by personnel itself: a field it refuses fails here."""
    from cakap_shared.testing import bearer, migrated_app, rsa_keypair
    from evaluation_service.clients.personnel import appreciation as personnel_appreciation
    from personnel_service import create_app as personnel_app
    from personnel_service.extensions import db as personnel_db
    from support.servers import serving

    with migrated_app(
        "personnel", personnel_app, personnel_db, tmp_path, JWT_PRIVATE_KEY=rsa_keypair()[0]
    ) as personnel:
        admin = bearer(token("admin-1", ["admin"]))
        people = personnel.test_client()
        assert (
            people.post(
                "/api/v1/units", json={"code": "UJI", "name": "Bidang Uji"}, headers=admin
            ).status_code
            == 201
        )
        made = {}
        for key, nip, extra in (
            ("supervisor", "198001012005011001", {"roles": ["asn", "supervisor"]}),
            ("learner", "199202022015022002", {"supervisor_nip": "198001012005011001"}),
        ):
            answer = people.post(
                "/api/v1/people",
                json={
                    "nip": nip,
                    "name": f"Uji {key}",
                    "unit_code": "UJI",
                    "grade": "III/a",
                    "position": "Analis",
                    **extra,
                },
                headers=admin,
            )
            assert answer.status_code == 201, answer.json
            made[key] = answer.json["id"]
        real_ids = {"learner": made["learner"], "supervisor": made["supervisor"], "trainer": "t"}
        fakes.chains[made["supervisor"]] = []
        supervisor = bearer(token(made["supervisor"], ["asn", "supervisor"], unit_code="UJI"))
        with serving(personnel) as personnel_url:
            saved_urls = app.config["SERVICE_URLS"]
            app.config["SERVICE_URLS"] = {"personnel": personnel_url}
            app.extensions.pop("evaluation_http", None)
            app.extensions["evaluation_clients"].appreciation = personnel_appreciation
            try:
                deliver(
                    client,
                    lambda _who: bearer(token("service:catalog", ["service"])),
                    completion_event(real_ids),
                )
                listed = client.get("/api/v1/impact-evaluations", headers=supervisor).json
                url = f"/api/v1/impact-evaluations/{listed['items'][0]['id']}/submission"
                done = client.post(
                    url,
                    headers=supervisor,
                    json={
                        **FORM,
                        "appreciation": {
                            "title": "Penggerak keamanan informasi",
                            "description": "Memimpin uji phishing.",
                        },
                    },
                )
            finally:
                app.config["SERVICE_URLS"] = saved_urls
                app.extensions.pop("evaluation_http", None)
        assert done.status_code == 201, done.json
        learner = bearer(token(made["learner"], ["asn"], unit_code="UJI"))
        received = people.get(f"/api/v1/people/{made['learner']}/appreciations", headers=learner)
        assert received.status_code == 200, received.json
        [apresiasi] = received.json
        assert apresiasi["reason"] == (
            "Penggerak keamanan informasi — Memimpin uji phishing. (Keamanan Informasi bagi ASN)"
        )
        assert apresiasi["from_person_id"] == made["supervisor"]

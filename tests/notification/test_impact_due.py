"""impact_evaluation.due: the evaluator's inbox always, e-mail as each chose."""

from __future__ import annotations

from notification_service.domain.delivery import send_due


def due_event(kit, evaluator_id: str, evaluation_id: str) -> dict:
    data = {
        "evaluation_id": evaluation_id,
        "evaluator_id": evaluator_id,
        "escalated_to": None,
        "learner_id": kit.LEARNER,
        "course_code": "TIK-101",
        "course_title": "Keamanan Informasi bagi ASN",
        "due_on": "2026-08-29",
    }
    return kit.envelope("impact_evaluation.due", data, producer="evaluation")


def test_due_notice_reaches_inbox_and_mail_per_preference(app, client, kit, people, smtp, channel):
    kit.deliver(client, kit.person_updated(kit.OTHER, "Hendra Wijaya", "hendra@palembang.go.id"))
    other = kit.user(kit.OTHER, ["asn", "supervisor"])
    refused = client.put(
        "/api/v1/notification-preferences",
        json={"email": {"impact_evaluation_due": "sometimes"}},
        headers=other,
    )
    assert refused.status_code == 422
    assert "impact_evaluation_due" in str(refused.get_json()["errors"])
    chosen = client.put(
        "/api/v1/notification-preferences",
        json={"email": {"impact_evaluation_due": "off"}},
        headers=other,
    )
    assert chosen.get_json()["email"]["impact_evaluation_due"] == "off"
    event = due_event(kit, kit.SUPERVISOR, "ev-1")
    for sent in (event, event, due_event(kit, kit.OTHER, "ev-2")):
        assert kit.deliver(client, sent).get_json()["status"] in ("handled", "duplicate")
    with app.app_context():
        send_due(channel, lambda _id: None)
    [mail] = smtp.messages  # the supervisor's, once; the other turned e-mail off
    assert people["supervisor"] in str(mail["To"])
    assert mail["Subject"] == "[Cakap] Evaluasi dampak pelatihan jatuh tempo hari ini"
    assert "https://cakap.example.go.id/evaluasi-dampak/ev-1" in mail.get_content()
    assert "Nyimas" not in mail.get_content()  # nothing about the learner but the course
    for person, link in (
        (kit.SUPERVISOR, "/evaluasi-dampak/ev-1"),
        (kit.OTHER, "/evaluasi-dampak/ev-2"),
    ):
        [item] = client.get("/api/v1/notifications", headers=kit.user(person)).get_json()["items"]
        assert (item["kind"], item["link"]) == ("impact_evaluation_due", link)
        assert "2026-08-29" in item["body"]

"""E-mail through a real SMTP server: once per event, retries on 4xx, bounces on 5xx,
preferences, quiet hours, daily digests, no other person's data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from notification_service.channels.email import SmtpChannel
from notification_service.domain.delivery import collect_digests, send_due
from notification_service.extensions import db
from notification_service.models import Delivery, Digest
from sqlalchemy import select, update


def unknown_person(person_id):
    return None  # personnel does not know them


def run(app, channel, lookup=unknown_person):
    with app.app_context():
        return send_due(channel, lookup)


def deliveries(app):
    with app.app_context():
        rows = db.session.scalars(select(Delivery)).all()
        db.session.expunge_all()
        return rows


def make_due(app):
    """Let backoff pass without sleeping."""
    with app.app_context():
        past = datetime.now(UTC) - timedelta(seconds=1)
        db.session.execute(update(Delivery).values(next_attempt_at=past))
        db.session.execute(update(Digest).values(next_attempt_at=past))
        db.session.commit()


def test_one_mail_per_event_with_name_link_and_both_languages(
    app, client, kit, people, smtp, channel
):
    event = kit.enrolment("enrolment.approved", "enrolled")
    kit.deliver(client, event)
    kit.deliver(client, event)  # delivered twice by the producer
    assert run(app, channel) == 1
    assert run(app, channel) == 0  # nothing left to send
    [mail] = smtp.to(people["learner"])
    assert len(smtp.messages) == 1
    assert mail["Subject"] == "[Cakap] Pendaftaran pelatihan disetujui"
    text = mail.get_content()
    assert text.startswith("Yth. Nyimas Ayu Lestari,")
    assert "https://cakap.example.go.id/pendaftaran" in text
    assert text.index("disetujui") < text.index("-- English --") < text.index("was approved")
    [row] = deliveries(app)
    assert row.status == "sent" and row.attempts == 1 and row.address == people["learner"]


def test_451_then_accept_sends_exactly_one(app, client, kit, people, smtp, channel):
    smtp.answers.append("451 4.3.0 mailbox busy, try later")
    kit.deliver(client, kit.enrolment("enrolment.promoted", "enrolled"))
    run(app, channel)
    [row] = deliveries(app)
    assert row.status == "pending" and row.attempts == 1 and row.last_error.startswith("451")
    assert smtp.messages == []
    assert run(app, channel) == 0  # backing off: not due yet
    make_due(app)
    run(app, channel)
    [row] = deliveries(app)
    assert row.status == "sent" and row.attempts == 2
    assert len(smtp.to(people["learner"])) == 1 and len(smtp.messages) == 1


def test_server_down_is_retried_then_sent(app, client, kit, people, smtp, channel):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    down = SmtpChannel("127.0.0.1", closed, "Cakap <noreply@cakap.localhost>", timeout=2)
    kit.deliver(client, kit.enrolment("enrolment.approved", "enrolled"))
    run(app, down)
    [row] = deliveries(app)
    assert row.status == "pending" and row.attempts == 1 and "ConnectionRefused" in row.last_error
    make_due(app)
    run(app, channel)
    [row] = deliveries(app)
    assert row.status == "sent" and row.attempts == 2 and len(smtp.messages) == 1


def test_5xx_is_a_bounce_the_admin_sees(app, client, kit, people, smtp, channel):
    smtp.answers.append("550 5.1.1 mailbox unknown")
    kit.deliver(client, kit.enrolment("enrolment.approved", "enrolled"))
    run(app, channel)
    make_due(app)
    assert run(app, channel) == 0  # a bounce is not retried
    [row] = deliveries(app)
    assert row.status == "bounced" and "550" in row.last_error
    admin = client.get(
        "/api/v1/notification-deliveries", headers=kit.user(kit.ADMIN, ["admin"])
    ).get_json()
    assert [d["id"] for d in admin["items"]] == [row.id]
    assert admin["items"][0]["kind"] == "enrolment_approved"
    bounced = admin["items"][0]
    assert (bounced["address"], bounced["person_name"]) == (people["learner"], "Nyimas Ayu Lestari")
    assert admin["counts"] == {"bounced": 1}
    learner = client.get("/api/v1/notification-deliveries", headers=kit.user(kit.LEARNER))
    assert learner.status_code == 403
    # The inbox has it regardless of the e-mail's fate.
    inbox = client.get("/api/v1/notifications", headers=kit.user(kit.LEARNER)).get_json()
    assert inbox["total"] == 1


def test_smtp_login_when_configured(app, client, kit, people, smtp):
    channel = SmtpChannel(
        "127.0.0.1",
        smtp.port,
        "Cakap <noreply@cakap.localhost>",
        username="cakap",
        password="rahasia",
    )
    kit.deliver(client, kit.enrolment("enrolment.approved", "enrolled"))
    run(app, channel)
    assert smtp.logins == ["cakap"] and len(smtp.messages) == 1
    wrong = SmtpChannel(
        "127.0.0.1",
        smtp.port,
        "Cakap <noreply@cakap.localhost>",
        username="cakap",
        password="x",
        timeout=3,
    )
    kit.deliver(client, kit.enrolment("enrolment.promoted", "enrolled"))
    run(app, wrong)
    failed = [d for d in deliveries(app) if d.status != "sent"]
    # Wrong credentials are our configuration, not the message: kept and retried, not bounced.
    assert failed[0].status == "pending" and failed[0].attempts == 1, failed[0].last_error
    assert len(smtp.messages) == 1


def test_e_mail_off_keeps_the_inbox(app, client, kit, people, smtp, channel):
    learner = kit.user(kit.LEARNER)
    client.put(
        "/api/v1/notification-preferences",
        json={"email": {"enrolment_approved": "off"}},
        headers=learner,
    )
    kit.deliver(client, kit.enrolment("enrolment.approved", "enrolled"))
    assert run(app, channel) == 0 and smtp.messages == []
    assert client.get("/api/v1/notifications", headers=learner).get_json()["total"] == 1
    [row] = deliveries(app)
    assert row.status == "skipped"


def test_quiet_hours_hold_the_mail_until_they_end(app, client, kit, people, smtp, channel):
    from zoneinfo import ZoneInfo

    hour = datetime.now(ZoneInfo("Asia/Jakarta")).hour
    client.put(
        "/api/v1/notification-preferences",
        json={"quiet_hours": {"start": hour, "end": (hour + 2) % 24}},
        headers=kit.user(kit.LEARNER),
    )
    kit.deliver(client, kit.enrolment("enrolment.approved", "enrolled"))
    run(app, channel)
    [row] = deliveries(app)
    assert smtp.messages == [] and row.status == "pending" and row.attempts == 0
    held = row.next_attempt_at.replace(tzinfo=UTC)
    assert timedelta(hours=1) < held - datetime.now(UTC) <= timedelta(hours=2)
    assert held.astimezone(ZoneInfo("Asia/Jakarta")).hour == (hour + 2) % 24


def test_unknown_address_is_skipped_not_retried(app, client, kit, smtp, channel):
    kit.deliver(client, kit.person_updated(kit.LEARNER, "Tanpa Surel", None))
    kit.deliver(client, kit.enrolment("enrolment.approved", "enrolled"))
    run(app, channel)
    [row] = deliveries(app)
    assert row.status == "skipped" and "no e-mail" in row.last_error and smtp.messages == []


def test_supervisor_gets_one_daily_digest_without_the_requesters_names(
    app, client, kit, people, smtp, channel
):
    for code in ("TIK-101", "MAN-503", "MAN-504"):
        kit.deliver(client, kit.enrolment("enrolment.requested", "requested", course_code=code))
    assert run(app, channel) == 0  # digest mode: nothing sent per request
    inbox = client.get("/api/v1/notifications", headers=kit.user(kit.SUPERVISOR)).get_json()
    assert inbox["total"] == 3 and {i["link"] for i in inbox["items"]} == {"/persetujuan"}
    with app.app_context():
        assert collect_digests(right_now=True) == 1
        assert collect_digests(right_now=True) == 0
    run(app, channel)
    [mail] = smtp.to(people["supervisor"])
    assert len(smtp.messages) == 1
    assert mail["Subject"] == "[Cakap] Ringkasan harian: 3 pemberitahuan"
    text = mail.get_content()
    assert all(code in text for code in ("TIK-101", "MAN-503", "MAN-504"))
    assert "Nyimas" not in text and people["learner"] not in text
    assert {d.status for d in deliveries(app)} == {"sent"}
    kit.deliver(client, kit.enrolment("enrolment.requested", "requested"))
    with app.app_context():
        collect_digests(right_now=True)  # today's went out: the new one waits for tomorrow
    run(app, channel)
    assert len(smtp.messages) == 1


def test_an_item_collected_while_the_digest_is_sent_waits_for_the_next_one(
    app, client, kit, people, smtp, channel, monkeypatch
):
    for code in ("TIK-101", "MAN-503"):
        kit.deliver(client, kit.enrolment("enrolment.requested", "requested", course_code=code))
    with app.app_context():
        assert collect_digests(right_now=True) == 1
    kit.deliver(client, kit.enrolment("enrolment.requested", "requested", course_code="LATE-1"))
    send = channel.send

    def collected_meanwhile(message):
        # Another loop collects the newest item into the digest while this one is mailed.
        send(message)
        with db.engine.begin() as other:
            other.execute(
                update(Delivery)
                .where(Delivery.digest_id.is_(None))
                .values(digest_id=select(Digest.id).scalar_subquery())
            )

    monkeypatch.setattr(channel, "send", collected_meanwhile)
    run(app, channel)
    [mail] = smtp.to(people["supervisor"])
    assert "LATE-1" not in mail.get_content()
    late = [d for d in deliveries(app) if d.status != "sent"]
    assert len(late) == 1 and late[0].digest_id is None and late[0].status == "digest"


def test_digest_waits_for_the_digest_hour(app, client, kit, people, smtp, channel):
    from zoneinfo import ZoneInfo

    kit.deliver(client, kit.enrolment("enrolment.requested", "requested"))
    zone = ZoneInfo("Asia/Jakarta")
    local = datetime.now(zone)
    with app.app_context():
        app.config["DIGEST_HOUR"] = (local.hour + 1) % 24  # the next digest is in the future
        try:
            made_before = collect_digests(datetime.now(UTC))
            made_after = collect_digests(datetime.now(UTC) + timedelta(hours=25))
        finally:
            app.config["DIGEST_HOUR"] = 7
    assert made_before == 0 and made_after == 1


@pytest.mark.parametrize("kind_event", ["survey.due", "certificate.issued"])
def test_learner_notices_link_to_the_page_that_acts(app, client, kit, people, kind_event):
    data = {
        "survey.due": {"survey_id": "s-1", "learner_id": kit.LEARNER, "course_code": "TIK-101"},
        "certificate.issued": {
            "learner_id": kit.LEARNER,
            "number": "CKP/2026/000001",
            "course_code": "TIK-101",
        },
    }[kind_event]
    kit.deliver(client, kit.envelope(kind_event, data, producer="evaluation"))
    [item] = client.get("/api/v1/notifications", headers=kit.user(kit.LEARNER)).get_json()["items"]
    assert (
        item["link"]
        == {"survey.due": "/survei/s-1", "certificate.issued": "/sertifikat"}[kind_event]
    )


def test_escalation_reaches_the_new_target(app, client, kit, people):
    data = {
        "evaluation_id": "e-1",
        "evaluator_id": kit.SUPERVISOR,
        "escalated_to": kit.OTHER,
        "learner_id": kit.LEARNER,
        "course_code": "TIK-101",
        "course_title": "Keamanan Informasi",
        "due_on": "2026-06-01",
    }
    kit.deliver(client, kit.envelope("impact_evaluation.escalated", data, producer="evaluation"))
    kit.deliver(client, kit.envelope("impact_evaluation.reminded", data, producer="evaluation"))
    boss = client.get("/api/v1/notifications", headers=kit.user(kit.OTHER)).get_json()
    assert [i["kind"] for i in boss["items"]] == ["impact_evaluation_escalated"]
    assert boss["items"][0]["link"] == "/evaluasi-dampak/e-1"
    sup = client.get("/api/v1/notifications", headers=kit.user(kit.SUPERVISOR)).get_json()
    assert [i["kind"] for i in sup["items"]] == ["impact_evaluation_reminded"]


def test_a_message_that_cannot_be_built_is_refused_for_good(smtp):
    from notification_service.channels import Message, PermanentFailure

    channel = SmtpChannel("127.0.0.1", smtp.port, "noreply@cakap.localhost", timeout=5)
    broken = Message("x-1", "Rizal", "rizal@palembang.go.id", "Satu\r\nBcc: a@b.c", "Isi")
    with pytest.raises(PermanentFailure, match="not sendable"):
        channel.send(broken)
    assert smtp.messages == []

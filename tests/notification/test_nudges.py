"""Supervisor nudges against personnel's real API: only one's own team, only below the JP
target, once per member and week; inbox and e-mail as the member chose."""

from __future__ import annotations

from datetime import UTC, datetime

from notification_service.clients import personnel
from notification_service.domain.delivery import send_due
from notification_service.domain.nudges import week_of
from notification_service.extensions import db
from notification_service.models import Nudge
from sqlalchemy import func, select


def nudge(client, kit, sender: str, person_id: str, roles=("asn", "supervisor")):
    return client.post(
        "/api/v1/nudges", json={"person_id": person_id}, headers=kit.user(sender, list(roles))
    )


def count_nudges(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Nudge))


def test_supervisor_nudges_a_member_below_target_once_a_week(
    app, client, kit, with_personnel, smtp, channel
):
    ids = with_personnel
    sent = nudge(client, kit, ids["kabid"], ids["staf"])
    assert sent.status_code == 201, sent.get_json()
    assert sent.get_json()["person_id"] == ids["staf"]
    [item] = client.get("/api/v1/notifications", headers=kit.user(ids["staf"])).get_json()["items"]
    assert item["kind"] == "supervisor_nudge" and item["link"] == "/katalog"
    assert "baru 0 dari target 20 JP (kurang 20" in item["body"]
    # the head above (indirect) may not add a second one this week: the member is spared
    again = nudge(client, kit, ids["kadis"], ids["staf"])
    assert again.status_code == 429
    assert again.get_json()["code"] == "nudge-too-soon"
    assert again.get_json()["next_allowed_on"] > datetime.now(UTC).date().isoformat()
    assert count_nudges(app) == 1
    mine = client.get("/api/v1/nudges", headers=kit.user(ids["kabid"], ["supervisor"])).get_json()
    assert [n["person_id"] for n in mine["items"]] == [ids["staf"]]
    assert mine["week"] == week_of(datetime.now(UTC), "Asia/Jakarta")[0]
    with app.app_context():
        send_due(channel, personnel.person)  # the address from personnel's real API
    [mail] = smtp.messages
    assert "staf@palembang.go.id" in str(mail["To"])
    assert mail["Subject"] == "[Cakap] Atasan Anda mengingatkan target JP tahun ini"
    assert "Uji kabid" not in mail.get_content()  # the sender is not named


def test_indirect_head_may_nudge_and_e_mail_follows_preferences(
    app, client, kit, with_personnel, smtp, channel
):
    ids = with_personnel
    client.put(
        "/api/v1/notification-preferences",
        json={"email": {"supervisor_nudge": "off"}},
        headers=kit.user(ids["staf"]),
    )
    assert nudge(client, kit, ids["kadis"], ids["staf"]).status_code == 201
    with app.app_context():
        send_due(channel, personnel.person)  # the address from personnel's real API
    assert smtp.messages == []  # e-mail off; the inbox still has it
    assert client.get("/api/v1/notifications", headers=kit.user(ids["staf"])).get_json()["total"]


def test_nobody_nudges_outside_their_team_or_above_target(app, client, kit, with_personnel):
    ids = with_personnel
    for sender, person in (
        (ids["kabid"], ids["luar"]),  # another unit, not below kabid
        (ids["kabid"], ids["kadis"]),  # one's own boss
        (ids["kabid"], ids["kabid"]),  # oneself
        (ids["kabid"], "00000000-0000-0000-0000-000000000000"),  # nobody
    ):
        refused = nudge(client, kit, sender, person)
        assert refused.status_code == 404, (person, refused.get_json())
        assert refused.get_json()["code"] == "not-in-team"
    met = nudge(client, kit, ids["kabid"], ids["rajin"])
    assert met.status_code == 409 and met.get_json()["code"] == "target-met"
    plain = nudge(client, kit, ids["staf"], ids["rajin"], roles=("asn",))
    assert plain.status_code == 403
    bad = client.post("/api/v1/nudges", json={}, headers=kit.user(ids["kabid"], ["supervisor"]))
    assert bad.status_code == 422 and "person_id" in bad.get_json()["errors"]
    assert count_nudges(app) == 0
    assert (
        client.get("/api/v1/notifications", headers=kit.user(ids["luar"])).get_json()["total"] == 0
    )


def test_personnel_down_writes_nothing(app, client, kit, with_personnel):
    ids = with_personnel
    app.config["SERVICE_URLS"] = {"personnel": "http://127.0.0.1:9"}
    app.extensions.pop("notification_http", None)
    refused = nudge(client, kit, ids["kabid"], ids["staf"])
    assert refused.status_code == 503 and refused.get_json()["code"] == "unavailable"
    assert count_nudges(app) == 0


def test_week_label_follows_the_local_calendar():
    # Sunday 23:30 in Jakarta is still week 48; Monday 00:30 is week 49
    assert week_of(datetime(2026, 11, 29, 16, 30, tzinfo=UTC), "Asia/Jakarta")[0] == "2026-W48"
    label, next_monday = week_of(datetime(2026, 11, 29, 17, 30, tzinfo=UTC), "Asia/Jakarta")
    assert (label, next_monday.isoformat()) == ("2026-W49", "2026-12-07")

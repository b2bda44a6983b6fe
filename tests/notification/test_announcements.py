"""Announcements against personnel's real API: everyone or a unit subtree, each reader once,
e-mail as each chose; only admins send; bad input leaves nothing behind."""

from __future__ import annotations

from datetime import timedelta

from cakap_shared.db import local_date, utcnow
from notification_service.clients import personnel
from notification_service.domain.delivery import send_due
from notification_service.extensions import db
from notification_service.models import Announcement, Notification
from sqlalchemy import func, select

ADMIN = ("admin-1", ["admin"])


def today():
    """The service's calendar date now (WIB): asked when used, since a run may pass midnight."""
    return local_date(utcnow())


def announce(client, kit, body, who=ADMIN):
    return client.post("/api/v1/announcements", json=body, headers=kit.user(*who))


def mine(client, kit, person_id, **params):
    return client.get(
        "/api/v1/announcements", query_string=params, headers=kit.user(person_id)
    ).get_json()


def counts(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Announcement)),
            db.session.scalar(select(func.count()).select_from(Notification)),
        )


def test_unit_announcement_reaches_the_subtree_only(
    app, client, kit, with_personnel, smtp, channel
):
    ids = with_personnel
    client.put(
        "/api/v1/notification-preferences",
        json={"email": {"announcement": "off"}},
        headers=kit.user(ids["rajin"]),
    )
    sent = announce(
        client,
        kit,
        {
            "title": "  Rapat koordinasi  ",
            "body": "Rapat hari Senin pukul 09.00.",
            "unit_code": "DINAS",
        },
    )
    assert sent.status_code == 201, sent.get_json()
    assert sent.get_json()["recipients"] == 4  # DINAS and DINAS-TIK, not LAIN
    [item] = mine(client, kit, ids["staf"])["items"]
    assert (item["title"], item["read"]) == ("Rapat koordinasi", False)
    assert mine(client, kit, ids["luar"])["items"] == []
    with app.app_context():
        send_due(channel, personnel.person)
    to = sorted(str(m["To"]).split("<")[1].rstrip(">") for m in smtp.messages)
    assert to == ["kabid@palembang.go.id", "kadis@palembang.go.id", "staf@palembang.go.id"]
    assert smtp.messages[0]["Subject"] == "[Cakap] Pengumuman: Rapat koordinasi"
    # read through the inbox: the banner (unread=true) forgets it
    marked = client.post(
        f"/api/v1/notifications/{item['notification_id']}/read", headers=kit.user(ids["staf"])
    )
    assert marked.status_code == 200
    assert mine(client, kit, ids["staf"], unread="true")["items"] == []
    assert mine(client, kit, ids["staf"])["items"][0]["read"] is True


def test_everyone_and_the_admin_list(app, client, kit, with_personnel):
    ids = with_personnel
    sent = announce(client, kit, {"title": "Libur nasional", "body": "Kantor tutup."})
    assert sent.status_code == 201 and sent.get_json()["recipients"] == 5
    assert [i["title"] for i in mine(client, kit, ids["luar"])["items"]] == ["Libur nasional"]
    listed = client.get("/api/v1/announcements?scope=all", headers=kit.user(*ADMIN)).get_json()
    assert [(i["title"], i["unit_code"], i["recipients"]) for i in listed["items"]] == [
        ("Libur nasional", None, 5)
    ]
    refused = client.get("/api/v1/announcements?scope=all", headers=kit.user(ids["kadis"]))
    assert refused.status_code == 403


def test_refusals_write_nothing(app, client, kit, with_personnel):
    ids = with_personnel
    for body, field in (
        ({"title": "x", "body": "y", "unit_code": "TIDAK-ADA"}, "unit_code"),
        ({"title": "   ", "body": "y"}, "title"),
        ({"title": "x"}, "body"),
        ({"title": "x" * 201, "body": "y"}, "title"),
        ({"title": "Rapat\r\nBcc: semua@palembang.go.id", "body": "y"}, "title"),
        ({"title": "x", "body": "y", "expires_on": str(today() - timedelta(days=1))}, "expires_on"),
        ({"title": "x", "body": "y", "expires_on": "besok"}, "expires_on"),
    ):
        refused = announce(client, kit, body)
        assert refused.status_code == 422, body
        assert field in refused.get_json()["errors"], refused.get_json()
    assert (
        announce(
            client, kit, {"title": "x", "body": "y"}, who=(ids["kadis"], ["asn", "supervisor"])
        ).status_code
        == 403
    )
    app.config["SERVICE_URLS"] = {"personnel": "http://127.0.0.1:9"}
    app.extensions.pop("notification_http", None)
    down = announce(client, kit, {"title": "x", "body": "y"})
    assert down.status_code == 503 and down.get_json()["code"] == "unavailable"
    assert counts(app) == (0, 0)


def test_the_beranda_list_drops_an_announcement_after_its_last_day(
    app, client, kit, with_personnel
):
    ids = with_personnel
    last_day = today()
    body = {"title": "Batas usulan diklat", "body": "Sampai hari ini.", "expires_on": str(last_day)}
    sent = announce(client, kit, body)
    assert sent.status_code == 201 and sent.get_json()["expires_on"] == str(last_day)
    lasting = announce(client, kit, {"title": "Beasiswa Unsri", "body": "Dibuka."})
    assert lasting.get_json()["expires_on"] is None
    current = mine(client, kit, ids["staf"], current="true", unread="true")["items"]
    assert sorted(i["title"] for i in current) == ["Batas usulan diklat", "Beasiswa Unsri"]
    with app.app_context():  # a day later
        db.session.get(Announcement, sent.get_json()["id"]).expires_on = last_day - timedelta(
            days=1
        )
        db.session.commit()
    current = mine(client, kit, ids["staf"], current="true", unread="true")["items"]
    assert [i["title"] for i in current] == ["Beasiswa Unsri"]
    # still in the person's list of announcements, only off the beranda
    assert len(mine(client, kit, ids["staf"])["items"]) == 2

"""The inbox and preferences API: fixed names, own items only, clear 4xx on bad input."""

from __future__ import annotations


def test_an_event_lands_once_in_the_right_inbox_newest_first(client, kit, people):
    first = kit.enrolment("enrolment.approved", "enrolled")
    second = kit.enrolment("enrolment.rejected", "rejected", reason="Kuota unit habis")
    for event in (first, second, first):  # the first one twice: delivered again
        assert kit.deliver(client, event).status_code == 200
    page = client.get("/api/v1/notifications", headers=kit.user(kit.LEARNER)).get_json()
    assert page["total"] == 2 and page["unread"] == 2
    newest, older = page["items"]
    assert newest["kind"] == "enrolment_rejected" and older["kind"] == "enrolment_approved"
    assert set(newest) >= {"id", "kind", "title", "body", "link", "read", "created_at"}
    assert newest["title"] == "Pendaftaran pelatihan ditolak"
    assert "Kuota unit habis" in newest["body"] and "TIK-101" in newest["body"]
    assert newest["title_en"] == "Training enrolment rejected"
    assert newest["link"] == "/pendaftaran" and newest["read"] is False
    # The supervisor's inbox has none of the learner's items.
    other = client.get("/api/v1/notifications", headers=kit.user(kit.SUPERVISOR)).get_json()
    assert other["total"] == 0


def test_mark_read_and_unread_filter(client, kit, people):
    for status in ("enrolled", "waitlisted"):
        kit.deliver(client, kit.enrolment("enrolment.approved", status))
    learner = kit.user(kit.LEARNER)
    items = client.get("/api/v1/notifications", headers=learner).get_json()["items"]
    assert {i["kind"] for i in items} == {"enrolment_approved", "enrolment_waitlisted"}
    read = client.post(f"/api/v1/notifications/{items[0]['id']}/read", headers=learner)
    assert read.status_code == 200 and read.get_json()["read"] is True
    unread = client.get("/api/v1/notifications?unread=true", headers=learner).get_json()
    assert [i["id"] for i in unread["items"]] == [items[1]["id"]] and unread["unread"] == 1
    marked = client.post("/api/v1/notifications/read-all", headers=learner).get_json()
    assert marked == {"marked": 1}
    assert client.get("/api/v1/notifications", headers=learner).get_json()["unread"] == 0


def test_nobody_reads_or_marks_another_persons_item(client, kit, people):
    kit.deliver(client, kit.enrolment("enrolment.approved", "enrolled"))
    item = client.get("/api/v1/notifications", headers=kit.user(kit.LEARNER)).get_json()
    item_id = item["items"][0]["id"]
    answer = client.post(f"/api/v1/notifications/{item_id}/read", headers=kit.user(kit.OTHER))
    assert answer.status_code == 404
    assert answer.content_type.startswith("application/problem+json")
    admin = client.post(
        f"/api/v1/notifications/{item_id}/read", headers=kit.user(kit.ADMIN, ["admin"])
    )
    assert admin.status_code == 404  # an admin has no business in someone's inbox either
    again = client.get("/api/v1/notifications", headers=kit.user(kit.LEARNER)).get_json()
    assert again["items"][0]["read"] is False


def test_inbox_needs_a_token_and_sane_paging(client, kit):
    assert client.get("/api/v1/notifications").status_code == 401
    bad = client.get("/api/v1/notifications?unread=maybe", headers=kit.user(kit.LEARNER))
    assert bad.status_code == 422 and "unread" in str(bad.get_json())
    assert (
        client.get("/api/v1/notifications?page=0", headers=kit.user(kit.LEARNER)).status_code == 422
    )


def test_preferences_defaults_change_and_refusals(client, kit):
    me = kit.user(kit.SUPERVISOR, ["asn", "supervisor"])
    defaults = client.get("/api/v1/notification-preferences", headers=me).get_json()
    assert defaults["email"]["enrolment_requested"] == "digest"
    assert defaults["email"]["enrolment_approved"] == "instant"
    assert defaults["quiet_hours"] is None
    changed = client.put(
        "/api/v1/notification-preferences",
        json={"email": {"enrolment_requested": "instant"}, "quiet_hours": {"start": 21, "end": 6}},
        headers=me,
    )
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    assert body["email"]["enrolment_requested"] == "instant"
    assert body["email"]["certificate_issued"] == "instant"
    assert body["quiet_hours"] == {"start": 21, "end": 6}
    for wrong in (
        {"email": {"enrolment_requested": "sometimes"}},
        {"email": {"no_such_kind": "off"}},
        {"quiet_hours": {"start": 25, "end": 6}},
        {"quiet_hours": {"start": "21", "end": 6}},
    ):
        refused = client.put("/api/v1/notification-preferences", json=wrong, headers=me)
        assert refused.status_code == 422, wrong
        assert refused.content_type.startswith("application/problem+json")
    kept = client.get("/api/v1/notification-preferences", headers=me).get_json()
    assert kept == body  # nothing half-written
    cleared = client.put(
        "/api/v1/notification-preferences", json={"quiet_hours": None}, headers=me
    ).get_json()
    assert cleared["quiet_hours"] is None and cleared["email"]["enrolment_requested"] == "instant"


def test_person_updated_in_a_batch_keeps_each_contact_in_order(app, client, kit):
    """The batch form: a malformed event is refused alone; the person's last one wins."""
    from cakap_shared.testing import deliver_events
    from notification_service.extensions import db
    from notification_service.models import Contact

    bad = kit.person_updated(kit.OTHER, "Tanpa Id", None)
    del bad["data"]["person_id"]
    batch = [
        kit.person_updated(kit.LEARNER, "Nama Lama", "lama@palembang.go.id"),
        bad,
        kit.person_updated(kit.LEARNER, "Nama Baru", "baru@palembang.go.id"),
        kit.person_updated(kit.SUPERVISOR, "Atasan", None),
    ]
    answer = deliver_events(client, batch, "notification")
    statuses = [r["status"] for r in answer.get_json()["results"]]
    assert statuses == ["handled", "rejected", "handled", "handled"]
    again = [kit.person_updated(kit.SUPERVISOR, f"Atasan {n}", None) for n in range(3)]
    results = deliver_events(client, again, "notification").get_json()["results"]
    assert [r["status"] for r in results] == ["handled"] * 3
    with app.app_context():
        learner = db.session.get(Contact, kit.LEARNER)
        assert (learner.name, learner.email) == ("Nama Baru", "baru@palembang.go.id")
        assert db.session.get(Contact, kit.SUPERVISOR).name == "Atasan 2"


def test_person_updated_in_a_batch_keeps_the_fields_it_does_not_carry(app, client, kit):
    from cakap_shared.testing import deliver_events
    from notification_service.extensions import db
    from notification_service.models import Contact

    kit.deliver(client, kit.person_updated(kit.LEARNER, "Nama", "nama@palembang.go.id"))
    renamed = kit.person_updated(kit.LEARNER, "Nama Baru", None)
    del renamed["data"]["email"], renamed["data"]["unit_code"]
    moved = kit.person_updated(kit.LEARNER, "Nama Baru", None, unit_code="BAPPEDA")
    del moved["data"]["email"]
    newcomer = kit.person_updated(kit.OTHER, "", None)  # a blank name is kept as ""
    answer = deliver_events(client, [renamed, moved, newcomer], "notification")
    assert [r["status"] for r in answer.get_json()["results"]] == ["handled"] * 3
    with app.app_context():
        learner = db.session.get(Contact, kit.LEARNER)
        assert (learner.name, learner.email, learner.unit_code) == (
            "Nama Baru",
            "nama@palembang.go.id",
            "BAPPEDA",
        )
        assert db.session.get(Contact, kit.OTHER).name == ""


def test_malformed_events_are_refused_for_dead_lettering(client, kit):
    bad = kit.enrolment("enrolment.approved", "enrolled")
    del bad["data"]["learner_id"]
    answer = kit.deliver(client, bad)
    assert answer.status_code == 422
    unknown = kit.envelope("course.published", {"course_id": "x"})
    assert kit.deliver(client, unknown).status_code == 202  # not subscribed: parked


def test_only_the_producer_may_deliver_its_events(client, kit):
    from cakap_shared.testing import as_service

    event = kit.enrolment("enrolment.approved", "enrolled")
    headers = as_service("elearning", "notification")
    answer = client.post("/internal/events", json=event, headers=headers)
    assert answer.status_code == 403


def test_manifest_names_routes_and_subscriptions(client):
    manifest = client.get("/.well-known/service.json").get_json()
    assert manifest["name"] == "notification"
    assert "/api/v1/notifications" in manifest["routes"]
    assert "/api/v1/notification-preferences" in manifest["routes"]
    assert {"person.updated", "enrolment.requested", "certificate.issued"} <= set(
        manifest["subscribes"]
    )
    spec = client.get("/api/openapi.json").get_json()
    assert "/api/v1/notifications/{notification_id}/read" in spec["paths"]
    assert client.get("/health/ready").status_code == 200


def test_a_copy_written_meanwhile_by_an_event_is_refreshed_not_inserted_twice(app, monkeypatch):
    """An announcement remembers its readers while person.updated may be writing the same
    new person's copy: when the copy appears between a look and a write, nothing fails."""
    import uuid

    from notification_service.domain import contacts
    from notification_service.extensions import db
    from notification_service.models import Contact

    person_id = str(uuid.uuid4())
    look = db.session.get

    def look_then_the_event_commits(entity, key, *args, **kwargs):
        found = look(entity, key, *args, **kwargs)
        if found is None and entity is Contact and key == person_id:
            with db.engine.begin() as other:  # the event's own transaction
                other.execute(
                    Contact.__table__.insert().values(
                        person_id=person_id, name="Dari Peristiwa",
                        email="lama@palembang.go.id", updated_at=contacts.utcnow(),
                    )
                )  # fmt: skip
        return found

    with app.app_context():
        monkeypatch.setattr(db.session, "get", look_then_the_event_commits)
        contact = contacts.remember(person_id, {"email": "baru@palembang.go.id"})
        db.session.commit()
        assert contact.email == "baru@palembang.go.id"
        assert db.session.query(Contact).filter_by(person_id=person_id).count() == 1
        db.session.remove()

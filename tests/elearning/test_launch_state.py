"""A launch link works only while its attempt is open and its learner still enrolled
(issue 10, item 10): checked on every use of the player page and of the runtime PUT,
not only the credential's signature and expiry."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from cakap_shared.db import utcnow
from elearning_service.extensions import db
from elearning_service.models import Attempt

pytestmark = pytest.mark.security

LEARNER = "22222222-2222-4222-8222-222222222222"
LOCATION = {"cmi.core.lesson_location": "hal-2"}


@pytest.fixture
def launched(client, upload, sample_zip, as_user):
    module = upload(sample_zip).get_json()["id"]
    answer = client.post(f"/api/v1/modules/{module}/attempts", headers=as_user("learner"))
    assert answer.status_code == 201
    body = answer.get_json()
    return {
        "id": body["id"],
        "module": module,
        "page": body["launch_url"],
        "commit": f"/api/v1/module-attempts/{body['id']}/cmi",
        "launch": {"X-Launch-Token": body["launch_url"].split("launch=", 1)[1]},
    }


def stored(app, attempt_id: str) -> tuple[str, int]:
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        return attempt.cmi, attempt.revision


def test_withdrawal_retires_the_launch_link_at_once(app, client, launched, fake_catalog, as_user):
    assert client.get(launched["page"]).status_code == 200
    assert (
        client.put(launched["commit"], json=LOCATION, headers=launched["launch"]).status_code == 200
    )
    before = stored(app, launched["id"])

    fake_catalog.allow_all = False  # the learner withdrew: catalog no longer lets them in
    page = client.get(launched["page"])
    assert page.status_code == 403 and page.mimetype == "application/problem+json"
    assert "no longer enrolled" in page.get_json()["detail"]
    assert page.get_json()["code"] == "not-enrolled"
    for headers in (launched["launch"], as_user("learner")):
        refused = client.put(
            launched["commit"], json={"cmi.core.lesson_location": "x"}, headers=headers
        )
        assert refused.status_code == 403
        assert "no longer enrolled" in refused.get_json()["detail"]
    assert stored(app, launched["id"]) == before  # nothing written
    assert ("access", LEARNER, launched["module"]) in fake_catalog.calls

    fake_catalog.allowed.add((LEARNER, launched["module"]))  # enrolled again
    assert client.get(launched["page"]).status_code == 200


def test_the_player_asks_catalog_and_its_refusal_closes_commits_at_once(
    client, launched, fake_catalog
):
    # The player page asks every time; a commit asks unless catalog said yes within
    # LAUNCH_ACCESS_TTL_SECONDS (the TTL's own tests are below). Any refusal or outage
    # clears that yes, so commits fail closed with it.
    fake_catalog.calls.clear()
    client.get(launched["page"])
    client.put(launched["commit"], json=LOCATION, headers=launched["launch"])
    asks = [c for c in fake_catalog.calls if c[0] == "access"]
    assert len(asks) == 2
    fake_catalog.down = True
    assert client.get(launched["page"]).status_code == 503
    assert (
        client.put(launched["commit"], json=LOCATION, headers=launched["launch"]).status_code == 503
    )


def test_a_closed_attempt_refuses_its_old_link_after_the_finishing_grace(
    app, client, launched, as_user
):
    put = launched["commit"]
    for sco, body in [
        ("bab_1", {"cmi.core.lesson_status": "completed", "cmi.core.score.raw": "90"}),
        ("bab_2", {"cmi.core.lesson_status": "completed"}),
        ("glosarium", {"progress.opened": "true"}),
    ]:
        answer = client.put(f"{put}?sco={sco}", json=body, headers=launched["launch"])
        assert answer.status_code == 200
    assert answer.get_json()["attempt"]["status"] == "closed"
    # The completing session's last commit (LMSFinish's session time) still lands ...
    finish = {"cmi.core.session_time": "0000:05:00"}
    assert (
        client.put(f"{put}?sco=bab_2", json=finish, headers=launched["launch"]).status_code == 200
    )
    # ... but playing the closed attempt again does not.
    assert client.get(launched["page"]).status_code == 409

    with app.app_context():
        attempt = db.session.get(Attempt, launched["id"])
        grace = app.config["LAUNCH_CLOSED_GRACE_SECONDS"]
        attempt.completed_at = utcnow() - timedelta(seconds=grace + 1)
        db.session.commit()
    before = stored(app, launched["id"])
    for headers in (launched["launch"], as_user("learner")):
        late = client.put(
            f"{put}?sco=bab_1", json={"cmi.core.lesson_status": "failed"}, headers=headers
        )
        assert late.status_code == 409
        assert "already finished" in late.get_json()["detail"]
        assert late.get_json()["code"] == "attempt-closed"
    assert stored(app, launched["id"]) == before
    assert client.get(launched["page"]).status_code == 409
    # A new launch starts a new attempt with a new link.
    again = client.post(
        f"/api/v1/modules/{launched['module']}/attempts", headers=as_user("learner")
    )
    assert again.status_code == 201 and again.get_json()["id"] != launched["id"]


def test_package_pages_stop_when_the_learner_withdraws_or_the_attempt_closes(
    app, client, launched, fake_catalog
):
    player = client.get(launched["page"]).get_data(as_text=True)
    page = re.search(r'"url":"(/play/[^"]+\.html)"', player).group(1)
    assert client.get(page).status_code == 200
    fake_catalog.allow_all = False  # withdrawn: the content credential opens no page
    refused = client.get(page)
    assert refused.status_code == 403 and refused.get_json()["code"] == "not-enrolled"
    fake_catalog.allowed.add((LEARNER, launched["module"]))
    assert client.get(page).status_code == 200
    with app.app_context():
        attempt = db.session.get(Attempt, launched["id"])
        attempt.status, attempt.open_slot = "closed", None
        db.session.commit()
    closed = client.get(page)
    assert closed.status_code == 409 and closed.get_json()["code"] == "attempt-closed"


# --- runtime commits rely on catalog's last yes for LAUNCH_ACCESS_TTL_SECONDS (issue 20) ---


def put_cmi(client, launched, body: dict | None = None):
    """A runtime commit with the player's launch credential."""
    return client.put(launched["commit"], json=body or LOCATION, headers=launched["launch"])


def access_asks(fake_catalog) -> int:
    return len([c for c in fake_catalog.calls if c[0] == "access"])


def confirmed_at(app, attempt_id: str):
    with app.app_context():
        return db.session.get(Attempt, attempt_id).access_confirmed_at


def test_a_withdrawal_stops_runtime_commits_within_the_access_ttl(
    app, client, launched, fake_catalog, clock
):
    ttl = app.config["LAUNCH_ACCESS_TTL_SECONDS"]
    assert 0 < ttl <= 300  # the bound README promises
    fake_catalog.calls.clear()
    assert put_cmi(client, launched).status_code == 200
    assert access_asks(fake_catalog) == 1  # asked once, the yes kept on the attempt

    fake_catalog.allow_all = False  # withdrawn in catalog; nobody opened the player since
    clock.advance(seconds=ttl - 1)
    still = put_cmi(client, launched, {"cmi.core.lesson_location": "p3"})
    assert still.status_code == 200  # within the bound: the kept yes
    assert access_asks(fake_catalog) == 1
    before = stored(app, launched["id"])

    clock.advance(seconds=1)  # the yes is TTL old: catalog is asked again and says no
    refused = put_cmi(client, launched, {"cmi.core.lesson_location": "p4"})
    assert refused.status_code == 403 and refused.get_json()["code"] == "not-enrolled"
    assert access_asks(fake_catalog) == 2
    assert stored(app, launched["id"]) == before  # nothing written
    assert confirmed_at(app, launched["id"]) is None
    clock.advance(seconds=1)  # and no later commit relies on anything
    again = put_cmi(client, launched)
    assert again.status_code == 403 and access_asks(fake_catalog) == 3


def test_a_refusal_anywhere_clears_the_kept_yes_at_once(app, client, launched, fake_catalog):
    assert put_cmi(client, launched).status_code == 200
    assert confirmed_at(app, launched["id"]) is not None
    fake_catalog.allow_all = False
    assert client.get(launched["page"]).status_code == 403  # the player asked: no
    assert confirmed_at(app, launched["id"]) is None  # on the row: every worker sees it
    refused = put_cmi(client, launched)
    assert refused.status_code == 403 and refused.get_json()["code"] == "not-enrolled"


def test_catalog_down_fails_closed_once_the_kept_yes_is_old(
    app, client, launched, fake_catalog, clock
):
    ttl = app.config["LAUNCH_ACCESS_TTL_SECONDS"]
    assert put_cmi(client, launched).status_code == 200
    fake_catalog.down = True
    assert put_cmi(client, launched).status_code == 200
    clock.advance(seconds=ttl)
    assert put_cmi(client, launched).status_code == 503
    assert confirmed_at(app, launched["id"]) is None


def test_a_kept_yes_from_a_clock_ahead_is_not_relied_upon(
    app, client, launched, fake_catalog, clock
):
    assert put_cmi(client, launched).status_code == 200
    with app.app_context():  # another replica, its clock a minute ahead, asked last
        attempt = db.session.get(Attempt, launched["id"])
        attempt.access_confirmed_at = clock.now() + timedelta(minutes=1)
        db.session.commit()
    fake_catalog.allow_all = False
    refused = put_cmi(client, launched)
    assert refused.status_code == 403


def test_with_no_access_ttl_every_commit_asks_catalog(
    app, client, launched, fake_catalog, monkeypatch
):
    monkeypatch.setitem(app.config, "LAUNCH_ACCESS_TTL_SECONDS", 0)
    fake_catalog.calls.clear()
    for _ in range(3):
        assert put_cmi(client, launched).status_code == 200
    assert access_asks(fake_catalog) == 3
    assert confirmed_at(app, launched["id"]) is None


def test_a_review_relies_on_its_yes_only_until_the_ttl(
    app, client, upload, sample_zip, as_user, fake_catalog, clock
):
    module = upload(sample_zip).get_json()["id"]
    fake_catalog.completed.add((LEARNER, module))
    review = client.post(f"/api/v1/modules/{module}/attempts", json={"mode": "review"},
                         headers=as_user("learner")).get_json()  # fmt: skip
    commit = f"/api/v1/module-attempts/{review['id']}/cmi"
    launch = {"X-Launch-Token": review["launch_url"].split("launch=", 1)[1]}
    assert client.put(commit, json=LOCATION, headers=launch).status_code == 200
    fake_catalog.completed.clear()  # the completion was revoked
    clock.advance(seconds=app.config["LAUNCH_ACCESS_TTL_SECONDS"])
    refused = client.put(commit, json=LOCATION, headers=launch)
    assert refused.status_code == 403 and refused.get_json()["code"] == "not-completed"

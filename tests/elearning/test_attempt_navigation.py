"""Finish rules, the unload beacon and SCORM 2004 navigation through the real API."""

from __future__ import annotations

import io
import json
import re
import zipfile
from urllib.parse import parse_qs, urlsplit

import pytest
from elearning_service.extensions import db
from elearning_service.models import Attempt
from elearning_service.scorm.datamodel import begin_session, finish, initial_state

REMEDIATION = "scorm2004_3rd_golf_sequencing_remediation_full_package"


def _zip(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return buf.getvalue()


def _manifest_12(items: str, resources: str) -> str:
    return f"""<?xml version="1.0"?>
<manifest identifier=" m12 " xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default=" o "><organization identifier="o"><title>Kursus</title>
  {items}</organization></organizations><resources>{resources}</resources></manifest>"""


PAGE = "<html><head><title>x</title></head><body>x</body></html>"
# Identifiers with whitespace around them (XML IDs: the whitespace is not part of them).
TWO_SCOS_12 = _zip(
    {
        "imsmanifest.xml": _manifest_12(
            '<item identifier=" satu " identifierref=" r1 "><title>Satu</title>'
            "<adlcp:masteryscore>70</adlcp:masteryscore></item>"
            '<item identifier="dua" identifierref="r2"><title>Dua</title></item>',
            '<resource identifier=" r1 " type="webcontent" adlcp:scormtype="sco" href="a.html"/>'
            '<resource identifier="r2" type="webcontent" adlcp:scormtype="sco" href="b.html"/>',
        ),
        "a.html": PAGE,
        "b.html": PAGE,
    }
)


@pytest.fixture
def launched(client, upload, as_user):
    def go(data: bytes) -> tuple[dict, str]:
        module = upload(data, "paket.zip")
        assert module.status_code == 201, module.get_json()
        r = client.post(
            f"/api/v1/modules/{module.get_json()['id']}/attempts", headers=as_user("learner")
        )
        body = r.get_json()
        token = parse_qs(urlsplit(body["launch_url"]).query)["launch"][0]
        return body, token

    return go


def _put(client, attempt_id, token, sco, body, finish=None):
    url = f"/api/v1/module-attempts/{attempt_id}/cmi?sco={sco}"
    if finish:
        url += f"&finish={finish}"
    return client.put(url, json=body, headers={"X-Launch-Token": token})


def _nav(client, attempt_id, token, request, target=None):
    body = {"request": request, **({"target": target} if target else {})}
    return client.post(
        f"/api/v1/module-attempts/{attempt_id}/navigation",
        json=body,
        headers={"X-Launch-Token": token},
    )


# ---------------------------------------------------------------- pure finish rules


def test_scorm12_finish_without_status_is_completed_or_browsed():
    state = initial_state("scorm12", learner_id="u", learner_name="U")
    assert finish("scorm12", state)["cmi.core.lesson_status"] == "completed"
    browse = {**state, "cmi.core.lesson_mode": "browse"}
    assert finish("scorm12", browse)["cmi.core.lesson_status"] == "browsed"
    told = {**state, "cmi.core.lesson_status": "incomplete"}
    assert finish("scorm12", told)["cmi.core.lesson_status"] == "incomplete"


def test_scorm12_finish_with_credit_lets_mastery_and_raw_score_decide():
    state = initial_state("scorm12", learner_id="u", learner_name="U", mastery_score=70)
    low = finish("scorm12", {**state, "cmi.core.score.raw": "60"})
    assert low["cmi.core.lesson_status"] == "failed"
    high = finish("scorm12", {**state, "cmi.core.score.raw": "70"})
    assert high["cmi.core.lesson_status"] == "passed"
    no_credit = {**state, "cmi.core.credit": "no-credit", "cmi.core.score.raw": "10"}
    assert finish("scorm12", no_credit)["cmi.core.lesson_status"] == "completed"


def test_exit_decides_the_next_entry_across_sessions():
    state = initial_state("scorm12", learner_id="u", learner_name="U")
    assert begin_session("scorm12", state)["cmi.core.entry"] == "ab-initio"  # never run
    suspended = finish("scorm12", {**state, "cmi.core.exit": "suspend", "cmi.suspend_data": "p3"})
    assert suspended["cmi.core.entry"] == "resume"
    assert suspended["cmi.suspend_data"] == "p3"
    logout = finish("scorm12", {**state, "cmi.core.exit": "logout", "cmi.suspend_data": "p3"})
    assert logout["cmi.core.entry"] == ""
    assert "cmi.suspend_data" not in logout
    s2004 = initial_state("scorm2004", learner_id="u", learner_name="U")
    assert finish("scorm2004", {**s2004, "cmi.exit": "suspend"})["cmi.entry"] == "resume"
    assert finish("scorm2004", {**s2004, "cmi.exit": "normal"})["cmi.entry"] == ""


def test_scorm2004_finish_applies_the_delivery_control_defaults():
    state = initial_state("scorm2004", learner_id="u", learner_name="U")
    done = finish("scorm2004", state)
    assert (done["cmi.completion_status"], done["cmi.success_status"]) == ("completed", "passed")
    by_content = finish(
        "scorm2004", state, completion_set_by_content=True, objective_set_by_content=True
    )
    assert by_content["cmi.completion_status"] == "unknown"
    assert by_content["cmi.success_status"] == "unknown"
    failed = finish("scorm2004", {**state, "cmi.success_status": "failed"})
    assert failed["cmi.success_status"] == "failed"


# ---------------------------------------------------------------- through the API


def test_scorm12_module_completes_when_every_sco_finishes_without_a_status(client, launched):
    attempt, token = launched(TWO_SCOS_12)
    # The item identifiers lost the whitespace the manifest had around them.
    first = _put(client, attempt["id"], token, "satu", {}, finish="s1")
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["state"]["cmi.core.lesson_status"] == "completed"
    assert first.get_json()["attempt"]["completion"] == "incomplete"
    second = _put(
        client, attempt["id"], token, "dua", {"cmi.core.session_time": "00:01:00"}, finish="s2"
    )
    body = second.get_json()
    assert body["state"]["cmi.core.lesson_status"] == "completed"
    assert body["attempt"]["completion"] == "completed"


def test_a_finish_sent_twice_applies_once(client, app, launched):
    attempt, token = launched(TWO_SCOS_12)
    values = {"cmi.core.score.raw": "90", "cmi.core.session_time": "00:00:30"}
    assert _put(client, attempt["id"], token, "satu", values, finish="abc").status_code == 200
    again = _put(client, attempt["id"], token, "satu", values, finish="abc")
    assert again.status_code == 200
    with app.app_context():
        state = json.loads(db.session.get(Attempt, attempt["id"]).cmi)["satu"]
    assert state["cmi.core.lesson_status"] == "passed"  # mastery 70, raw 90
    assert state["cmi.core.total_time"] == "0000:00:30.00"


def test_beacon_commits_with_the_frames_content_credential_only_for_its_item(client, app, launched):
    attempt, _ = launched(TWO_SCOS_12)
    player = client.get(attempt["launch_url"]).get_data(as_text=True)
    content_url = re.search(r'"url":"(/play/[^"]+a\.html)"', player).group(1)
    page = client.get(content_url).get_data(as_text=True)
    beacon = json.loads(re.search(r'"beacon":("[^"]+")', page).group(1))
    assert "sco=satu" in beacon and "credential=" in beacon
    sent = client.post(
        beacon + "&finish=unload1",
        data=json.dumps({"cmi.core.lesson_location": "p2"}),
        content_type="text/plain;charset=UTF-8",
    )
    assert sent.status_code == 200, sent.get_json()
    assert sent.get_json()["state"]["cmi.core.lesson_status"] == "completed"
    # The same credential cannot write another item, and a launch token is no beacon.
    other = client.post(beacon.replace("sco=satu", "sco=dua"), data="{}")
    assert other.status_code == 403
    forged = client.post(
        f"/api/v1/module-attempts/{attempt['id']}/cmi?sco=satu&credential=x", data="{}"
    )
    assert forged.status_code == 401
    bad = client.post(beacon, data="not json")
    assert bad.status_code == 422


def test_navigation_plays_the_remediation_package(client, launched, zipper, shared_fixtures):
    attempt, token = launched(zipper(shared_fixtures / REMEDIATION))
    start = _nav(client, attempt["id"], token, "start").get_json()
    assert start["deliver"] == "playing_item"
    assert start["controls"]["continue"] is True
    assert start["controls"]["items"]["test_1"]["enabled"] is False  # choice="false"
    refused = _nav(client, attempt["id"], token, "choice", "test_1").get_json()
    assert refused["error"] == "SB.2.9-5" and refused["deliver"] is None
    order = []
    current = start["deliver"]
    while current:
        order.append(current)
        values = {"cmi.completion_status": "completed", "cmi.success_status": "passed"}
        if current.startswith("test_"):
            values["cmi.score.scaled"] = "0.8"
        # The golf content reports itself (completionSetByContent="true").
        assert (
            _put(client, attempt["id"], token, current, values, finish=f"f{len(order)}").status_code
            == 200
        )
        step = _nav(client, attempt["id"], token, "continue").get_json()
        current = step["deliver"]
    assert step["ended"] is True
    assert len(order) == 8
    done = step["attempt"]
    assert (done["completion"], done["success"], done["score"]) == ("completed", "passed", 80.0)


def test_adl_nav_request_is_acted_upon_at_terminate(client, launched, zipper, shared_fixtures):
    attempt, token = launched(zipper(shared_fixtures / REMEDIATION))
    _nav(client, attempt["id"], token, "start")
    values = {
        "cmi.completion_status": "completed",
        "cmi.success_status": "passed",
        "adl.nav.request": "continue",
    }
    r = _put(client, attempt["id"], token, "playing_item", values, finish="t1").get_json()
    assert r["navigation"]["deliver"] == "etuqiette_item"
    exit_all = {"adl.nav.request": "exitAll"}
    r = _put(client, attempt["id"], token, "etuqiette_item", exit_all, finish="t2").get_json()
    assert r["navigation"]["ended"] is True


def test_navigation_is_only_for_scorm2004_and_needs_the_launch_credential(client, launched):
    attempt, token = launched(TWO_SCOS_12)
    assert _nav(client, attempt["id"], token, "continue").status_code == 422
    assert _nav(client, attempt["id"], "forged", "continue").status_code == 401
    bad = client.post(
        f"/api/v1/module-attempts/{attempt['id']}/navigation",
        json={"request": "jump"},
        headers={"X-Launch-Token": token},
    )
    assert bad.status_code == 422


# ---------------------------------------------------------------- content origin


def test_content_origin_gets_same_origin_only_on_its_own_host(app, client, launched):
    attempt, _ = launched(TWO_SCOS_12)
    app.config["CONTENT_ORIGIN"] = "http://konten.example"
    try:
        player = client.get(attempt["launch_url"])
        html = player.get_data(as_text=True)
        assert "frame-src 'self' http://konten.example" in player.headers["Content-Security-Policy"]
        assert 'sandbox="allow-scripts allow-forms allow-popups allow-same-origin"' in html
        path = re.search(r'"url":"http://konten\.example(/play/[^"]+a\.html)"', html).group(1)
        on_content = client.get(path, base_url="http://konten.example")
        assert on_content.status_code == 200
        assert on_content.headers["Content-Security-Policy"].endswith(
            "sandbox allow-scripts allow-forms allow-popups allow-same-origin"
        )
        assert "frame-ancestors" not in on_content.headers["Content-Security-Policy"]
        # The same file through the portal's address keeps the opaque sandbox.
        on_portal = client.get(path)
        assert on_portal.headers["Content-Security-Policy"].endswith(
            "sandbox allow-scripts allow-forms allow-popups"
        )
        # A content origin that is the portal's own is ignored.
        app.config["CONTENT_ORIGIN"] = app.config["PUBLIC_BASE_URL"]
        again = client.get(attempt["launch_url"]).get_data(as_text=True)
        assert "allow-same-origin" not in again
    finally:
        app.config["CONTENT_ORIGIN"] = ""


def test_remediation_announces_nothing_until_the_retry_loop_ends(
    app, client, launched, zipper, shared_fixtures
):
    from elearning_service.models import OutboxEvent
    from sqlalchemy import select

    attempt, token = launched(zipper(shared_fixtures / REMEDIATION))
    current = _nav(client, attempt["id"], token, "start").get_json()["deliver"]
    failed_once = False
    delivered = []
    while current:
        delivered.append(current)
        values = {"cmi.completion_status": "completed", "cmi.success_status": "passed"}
        if current == "test_2" and not failed_once:
            values["cmi.success_status"], failed_once = "failed", True
        done = _put(client, attempt["id"], token, current, values, finish=f"r{len(delivered)}")
        if current == "test_4" and delivered.count("test_4") == 1:
            # Every test is completed, so the root rolls up completed, but the wrapper's
            # retry rule has not run yet: the module is not announced as completed.
            assert done.get_json()["attempt"]["completion"] == "incomplete"
            assert done.get_json()["attempt"]["status"] == "open"
        current = _nav(client, attempt["id"], token, "continue").get_json()["deliver"]
    assert delivered[-3:] == ["etuqiette_item", "test_2", "test_4"]
    with app.app_context():
        types = db.session.scalars(
            select(OutboxEvent.type).where(OutboxEvent.aggregate_id == attempt["id"])
        ).all()
    assert sorted(types) == ["module.completed", "module.passed"]


# ---------------------------------------------------------------- exit, suspend, globals


def _manifest_2004(items: str, org_attrs: str = "", org_sequencing: str = "") -> str:
    return f"""<?xml version="1.0"?>
<manifest identifier="m2004" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"
  xmlns:adlseq="http://www.adlnet.org/xsd/adlseq_v1p3"
  xmlns:imsss="http://www.imsglobal.org/xsd/imsss">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
  <organizations default="o"><organization identifier="o" {org_attrs}><title>Kursus</title>
  {items}
  <imsss:sequencing><imsss:controlMode choice="true" flow="true"/>{org_sequencing}
  </imsss:sequencing></organization></organizations>
  <resources><resource identifier="r" type="webcontent" adlcp:scormType="sco" href="a.html"/>
  </resources></manifest>"""


def _items(*names: str, sequencing: dict[str, str] | None = None) -> str:
    sequencing = sequencing or {}
    return "".join(
        f'<item identifier="{n}" identifierref="r"><title>{n}</title>{sequencing.get(n, "")}</item>'
        for n in names
    )


THREE_SCOS_2004 = _zip({"imsmanifest.xml": _manifest_2004(_items("a", "b", "c")), "a.html": PAGE})


def test_suspend_all_at_terminate_keeps_the_attempt_and_resumes_the_same_sco(
    client, launched, as_user
):
    attempt, token = launched(THREE_SCOS_2004)
    assert _nav(client, attempt["id"], token, "start").get_json()["deliver"] == "a"
    _put(client, attempt["id"], token, "a", {}, finish="a1")
    assert _nav(client, attempt["id"], token, "continue").get_json()["deliver"] == "b"
    values = {
        "cmi.location": "halaman-4",
        "cmi.suspend_data": "jawaban=3",
        "cmi.completion_status": "incomplete",
        "adl.nav.request": "suspendAll",
    }
    r = _put(client, attempt["id"], token, "b", values, finish="b1").get_json()
    assert r["navigation"]["ended"] is True
    assert r["controls"]["suspended"] is True
    assert r["attempt"]["status"] == "open"
    # The next launch resumes the same attempt at b, with its data and entry "resume".
    again = client.post(f"/api/v1/modules/{attempt['module_id']}/attempts",
                        headers=as_user("learner")).get_json()  # fmt: skip
    assert again["id"] == attempt["id"]
    token2 = parse_qs(urlsplit(again["launch_url"]).query)["launch"][0]
    resumed = _nav(client, attempt["id"], token2, "start").get_json()
    assert resumed["deliver"] == "b"
    state = _put(client, attempt["id"], token2, "b", {"cmi.session_time": "PT1S"}).get_json()
    assert state["state"]["cmi.entry"] == "resume"
    assert state["state"]["cmi.suspend_data"] == "jawaban=3"
    assert state["state"]["cmi.location"] == "halaman-4"


def test_suspend_all_from_the_player_after_a_normal_exit_still_resumes(client, launched, app):
    attempt, token = launched(THREE_SCOS_2004)
    _nav(client, attempt["id"], token, "start")
    # The player unloaded the SCO first (its own exit: normal), then suspended all.
    values = {"cmi.suspend_data": "p2", "cmi.exit": "normal"}
    _put(client, attempt["id"], token, "a", values, finish="a1")
    assert _nav(client, attempt["id"], token, "suspendAll").get_json()["ended"] is True
    with app.app_context():
        state = json.loads(db.session.get(Attempt, attempt["id"]).cmi)
    assert (state["a"]["cmi.entry"], state["a"]["cmi.suspend_data"]) == ("resume", "p2")
    assert state["#sequencing"]["activities"]["a"]["attempts"] == 1


def test_exit_all_at_terminate_closes_the_attempt_and_the_next_launch_starts_anew(
    client, launched, as_user
):
    attempt, token = launched(THREE_SCOS_2004)
    _nav(client, attempt["id"], token, "start")
    r = _put(client, attempt["id"], token, "a", {"adl.nav.request": "exitAll"}, finish="x")
    body = r.get_json()
    assert body["navigation"]["ended"] is True and body["controls"]["suspended"] is False
    # a was finished (completed by default) but b and c were never seen.
    assert (body["attempt"]["status"], body["attempt"]["completion"]) == ("closed", "incomplete")
    again = client.post(f"/api/v1/modules/{attempt['module_id']}/attempts",
                        headers=as_user("learner")).get_json()  # fmt: skip
    assert again["id"] != attempt["id"]


@pytest.mark.parametrize("request_", ["exit", "abandon"])
def test_exit_and_abandon_at_terminate_leave_the_learner_to_choose(client, launched, request_):
    attempt, token = launched(THREE_SCOS_2004)
    _nav(client, attempt["id"], token, "start")
    r = _put(client, attempt["id"], token, "a", {"adl.nav.request": request_}, finish="e")
    body = r.get_json()
    nav = body["navigation"]
    assert (nav["deliver"], nav["ended"], nav["error"]) == (None, False, None)
    assert body["attempt"]["status"] == "open"
    # exit ends a's attempt and rolls up its default completion; abandon rolls up nothing.
    completed = body["controls"]["items"]["a"]["completed"]
    assert completed is (request_ == "exit")
    assert _nav(client, attempt["id"], token, "choice", "c").get_json()["deliver"] == "c"


def test_abandon_all_closes_the_attempt_without_rollup(client, launched):
    attempt, token = launched(THREE_SCOS_2004)
    _nav(client, attempt["id"], token, "start")
    r = _nav(client, attempt["id"], token, "abandonAll").get_json()
    assert r["ended"] is True
    assert (r["attempt"]["status"], r["attempt"]["completion"]) == ("closed", "incomplete")


def test_cmi_exit_suspend_keeps_the_sco_unfinished_until_it_comes_back(client, launched):
    attempt, token = launched(THREE_SCOS_2004)
    _nav(client, attempt["id"], token, "start")
    values = {"cmi.exit": "suspend", "cmi.suspend_data": "s", "adl.nav.request": "continue"}
    r = _put(client, attempt["id"], token, "a", values, finish="a1").get_json()
    assert r["navigation"]["deliver"] == "b"
    # Suspended: neither completed by the delivery-control defaults nor restarted.
    assert r["state"]["cmi.completion_status"] == "unknown"
    assert r["controls"]["items"]["a"]["completed"] is False
    back = _nav(client, attempt["id"], token, "choice", "a").get_json()
    assert back["deliver"] == "a"
    state = _put(client, attempt["id"], token, "a", {"cmi.session_time": "PT1S"}).get_json()
    assert (state["state"]["cmi.entry"], state["state"]["cmi.suspend_data"]) == ("resume", "s")


def _global_package(role: str, org_attrs: str = "") -> bytes:
    """One SCO whose primary objective writes (pretest) or reads (lesson, skipped once
    satisfied) the global objective 'golf.etiket'."""
    if role == "write":
        objectives = (
            '<imsss:objectives><imsss:primaryObjective objectiveID="p">'
            '<imsss:mapInfo targetObjectiveID="golf.etiket" '
            'writeSatisfiedStatus="true"/></imsss:primaryObjective></imsss:objectives>'
        )
        items = _items(
            "pretest", sequencing={"pretest": f"<imsss:sequencing>{objectives}</imsss:sequencing>"}
        )
    else:
        skip = (
            "<imsss:sequencingRules><imsss:preConditionRule><imsss:ruleConditions>"
            '<imsss:ruleCondition condition="satisfied"/></imsss:ruleConditions>'
            '<imsss:ruleAction action="skip"/></imsss:preConditionRule>'
            "</imsss:sequencingRules>"
        )
        objectives = (
            '<imsss:objectives><imsss:primaryObjective objectiveID="l">'
            '<imsss:mapInfo targetObjectiveID="golf.etiket" '
            'readSatisfiedStatus="true"/></imsss:primaryObjective></imsss:objectives>'
        )
        items = _items(
            "lesson",
            "summary",
            sequencing={"lesson": f"<imsss:sequencing>{skip}{objectives}</imsss:sequencing>"},
        )
    return _zip({"imsmanifest.xml": _manifest_2004(items, org_attrs), "a.html": PAGE})


@pytest.mark.parametrize(("org_attrs", "shared"), [
    ("", True),  # objectivesGlobalToSystem defaults to true
    ('adlseq:objectivesGlobalToSystem="false"', False),
])  # fmt: skip
def test_global_objectives_are_shared_across_the_learners_modules_when_global_to_system(
    client, launched, org_attrs, shared
):
    pretest, token = launched(_global_package("write", org_attrs))
    _nav(client, pretest["id"], token, "start")
    values = {"cmi.success_status": "passed", "adl.nav.request": "exitAll"}
    _put(client, pretest["id"], token, "pretest", values, finish="p1")
    lesson, token2 = launched(_global_package("read", org_attrs))
    start = _nav(client, lesson["id"], token2, "start").get_json()
    # Shared: the lesson's objective reads the pretest's satisfied status and is skipped.
    assert start["deliver"] == ("summary" if shared else "lesson")


@pytest.mark.parametrize("exit_", ["logout", "time-out"])
def test_cmi_exit_logout_or_time_out_ends_the_whole_session(client, launched, exit_):
    attempt, token = launched(THREE_SCOS_2004)
    _nav(client, attempt["id"], token, "start")
    r = _put(client, attempt["id"], token, "a", {"cmi.exit": exit_}, finish="l1").get_json()
    assert r["navigation"]["ended"] is True
    assert r["attempt"]["status"] == "closed"


def test_cmi_exit_normal_without_a_request_leaves_the_sco_delivered(client, launched):
    attempt, token = launched(THREE_SCOS_2004)
    _nav(client, attempt["id"], token, "start")
    r = _put(client, attempt["id"], token, "a", {"cmi.exit": "normal"}, finish="n1").get_json()
    assert r["navigation"] is None  # the learner navigates next, with the player's controls
    assert r["controls"]["current"] == "a"
    assert _nav(client, attempt["id"], token, "continue").get_json()["deliver"] == "b"

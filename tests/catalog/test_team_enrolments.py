"""A supervisor's team list: direct reports by the enrolment's snapshot; anyone further
down the line one learner at a time, as personnel's line of supervisors says."""

from __future__ import annotations

import pytest
from cakap_shared.http import ServiceUnavailable


@pytest.fixture
def line(monkeypatch, people):
    """Personnel's answer: the learner's line is their supervisor, then OTHER_SUPERVISOR."""
    from catalog_service.clients import personnel

    state = {"down": False}

    def supervisor_ids(person_id):
        if state["down"]:
            raise ServiceUnavailable("personnel: ConnectionError")
        return [people.supervisor, people.other_supervisor] if person_id == people.learner else []

    monkeypatch.setattr(personnel, "supervisor_ids", supervisor_ids)
    return state


def _team(cat, as_, **params):
    return cat.client.get(
        "/api/v1/enrolments", query_string={"scope": "team", **params}, headers=cat.who[as_]
    )


@pytest.mark.security
def test_an_indirect_supervisor_reads_one_learner_in_the_line(cat, people, line):
    klass = cat.klass(cat.course()["id"])
    mine = cat.request(klass["id"])
    theirs = cat.request(klass["id"], as_="other_asn")
    assert [e["id"] for e in cat.ok(_team(cat, "supervisor"))["items"]] == [mine["id"]]
    # other_supervisor is above the learner (indirectly), and directly above other_asn.
    assert [e["id"] for e in cat.ok(_team(cat, "other_supervisor"))["items"]] == [theirs["id"]]
    one = cat.ok(_team(cat, "other_supervisor", learner_id=people.learner))
    assert [e["id"] for e in one["items"]] == [mine["id"]]
    # Nobody reads a learner outside their line by naming them.
    assert cat.ok(_team(cat, "supervisor", learner_id=people.other_asn))["items"] == []
    assert cat.ok(_team(cat, "learner", learner_id=people.learner))["items"] == []
    line["down"] = True
    assert _team(cat, "other_supervisor", learner_id=people.learner).status_code == 503

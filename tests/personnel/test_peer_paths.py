"""Peer clients of catalog and evaluation against personnel's real API: an id holding
`../`, `?` or `#` stays one path segment, so it can never reach another route or person
(issue 10, item 8)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cakap_shared.testing import FlaskTransport, service_test_config
from flask import Flask

pytestmark = pytest.mark.security

PERSONNEL_URL = "http://personnel.test"


def _peer_app(name: str, personnel: Flask, org: Any) -> tuple[Flask, FlaskTransport]:
    """`name`'s app whose personnel calls reach the real personnel app with a service token."""
    import importlib

    package = importlib.import_module(f"{name}_service")
    app = package.create_app(
        service_test_config(name, "sqlite://", SERVICE_URLS={"personnel": PERSONNEL_URL})
    )
    token = org.headers("service")["Authorization"].split(" ", 1)[1]
    app.extensions["cakap_service_tokens"] = lambda _audience: token
    return app, FlaskTransport(personnel)


@pytest.fixture
def catalog_side(app: Flask, org: Any) -> Iterator[tuple[Callable[..., Any], FlaskTransport]]:
    from catalog_service.clients import personnel

    catalog, transport = _peer_app("catalog", app, org)
    with catalog.app_context():
        personnel.client().session.mount(PERSONNEL_URL, transport)
        yield personnel, transport


@pytest.fixture
def evaluation_side(app: Flask, org: Any) -> Iterator[tuple[Any, FlaskTransport]]:
    from evaluation_service.clients import _peer, personnel

    evaluation, transport = _peer_app("evaluation", app, org)
    with evaluation.app_context():
        _peer.peer("personnel").session.mount(PERSONNEL_URL, transport)
        yield personnel, transport


def test_catalog_client_reads_the_real_supervisors_and_gaps(org, catalog_side):
    clients, _transport = catalog_side
    ids = org.ids
    assert clients.supervisor_ids(ids["staff"]) == [ids["kabid"], ids["kadis"]]
    gaps = clients.competency_gaps(ids["staff"])
    assert gaps and {g["code"] for g in gaps} >= {"M-INT", "SK-PB"}


@pytest.mark.parametrize(
    "trick",
    [
        "{other}/../{staff}",  # climbs back to another person
        "{staff}/competency-gaps?x=",  # the rest of the template becomes a query
        "{staff}/competency-gaps#",  # the rest of the template becomes a fragment
        "..",  # a bare dot segment
    ],
)
def test_catalog_client_keeps_a_hostile_id_in_one_segment(org, catalog_side, trick):
    clients, transport = catalog_side
    person_id = trick.format(**org.ids)
    assert clients.competency_gaps(person_id) is None  # unknown person, not someone's gaps
    assert clients.supervisor_ids(person_id) == []
    for sent in transport.paths:
        head, _, tail = sent.partition("/api/v1/people/")
        assert head == "" and "?" not in sent and tail.count("/") == 1, sent


def test_evaluation_client_never_reads_another_person(org, evaluation_side):
    personnel, transport = evaluation_side
    ids = org.ids
    assert personnel.person(ids["staff"])["id"] == ids["staff"]
    assert personnel.person(f"{ids['other']}/../{ids['staff']}") is None
    assert personnel.person(f"{ids['staff']}?") is None
    assert personnel.supervisors(f"{ids['staff']}/supervisors#") == []
    assert [p["id"] for p in personnel.supervisors(ids["staff"])] == [
        ids["kabid"],
        ids["kadis"],
    ]
    assert all(path.count("/") <= 5 for path in transport.paths), transport.paths

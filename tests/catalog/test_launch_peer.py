"""elearning's per-use check of a launch (issue 10, item 10) against catalog's real
learning-access API: once the learner withdraws in catalog, the player page and the
runtime commits of their still-signed launch link are refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cakap_shared.problems import CakapError
from cakap_shared.testing import FlaskTransport, mint_token, service_test_config
from flask import Flask

pytestmark = pytest.mark.security

CATALOG_URL = "http://catalog.test"
MODULE = "11111111-0000-4000-8000-00000000000a"


@pytest.fixture
def elearning(app: Flask) -> Iterator[Flask]:
    """An elearning app whose catalog calls reach this catalog app with a service token."""
    from elearning_service import create_app
    from elearning_service.clients.catalog import HttpCatalog

    peer = create_app(
        service_test_config(
            "elearning", "sqlite://", SERVICE_URLS={"catalog": CATALOG_URL}, LAUNCH_SECRET="x"
        )
    )
    token = mint_token("service:elearning", ["service"], audience="catalog")
    peer.extensions["cakap_service_tokens"] = lambda _audience: token
    gateway = HttpCatalog(peer)
    peer.extensions["elearning_catalog"] = gateway
    with peer.app_context():
        gateway._http().session.mount(CATALOG_URL, FlaskTransport(app))
        yield peer


def test_a_withdrawal_in_catalog_retires_the_attempt_in_elearning(cat, people, elearning):
    from elearning_service.domain.launches import require_in_use
    from elearning_service.models import Attempt

    course = cat.course(code="TIK-201", module_ids=[MODULE])
    enrolment = cat.request(cat.klass(course["id"])["id"])
    cat.ok(cat.act(enrolment["id"], "approve", as_="supervisor"))
    attempt = Attempt(learner_id=people.learner, module_id=MODULE, status="open")

    require_in_use(attempt, commit=False)  # the player page
    require_in_use(attempt, commit=True)  # a commit

    cat.ok(cat.act(enrolment["id"], "withdraw", as_="learner"))
    for commit in (False, True):
        with pytest.raises(CakapError) as refused:
            require_in_use(attempt, commit=commit)
        assert refused.value.code == 403
        assert refused.value.data["extra"]["code"] == "not-enrolled"


def test_a_review_attempt_is_usable_only_after_the_course_is_completed(cat, people, elearning):
    from elearning_service.domain.launches import require_in_use
    from elearning_service.models import Attempt

    course = cat.course(code="TIK-202", module_ids=[MODULE])
    enrolment = cat.request(cat.klass(course["id"])["id"])
    cat.ok(cat.act(enrolment["id"], "approve", as_="supervisor"))
    review = Attempt(learner_id=people.learner, module_id=MODULE, status="open", mode="review")
    with pytest.raises(CakapError) as refused:
        require_in_use(review, commit=True)  # enrolled, not yet completed
    assert refused.value.data["extra"]["code"] == "not-completed"

    completed = {
        "attempt_id": "a1",
        "module_id": MODULE,
        "learner_id": people.learner,
        "completed_at": "2026-11-30T08:00:00+00:00",
        "score": 90,
        "success": "passed",
    }
    cat.deliver("module.completed", completed)
    require_in_use(review, commit=False)
    require_in_use(review, commit=True)

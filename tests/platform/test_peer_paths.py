"""One way to put an id in a peer URL (cakap_shared.http.quoted_path), used by every peer
client: elearning's catalog client and the portal's gateway client are checked on the wire
here; catalog's and evaluation's clients against personnel's real API in tests/personnel."""

from __future__ import annotations

import pytest
import requests
from cakap_shared.http import path_segment, quoted_path
from cakap_shared.testing import service_test_config
from flask import Flask

pytestmark = [pytest.mark.security, pytest.mark.database_free]

TRICKS = ["../units", "..", ".", "a?b=1", "x#y", "a/b", "%2e%2e", "a\\b", "ü d", "%"]


def _on_the_wire(path: str) -> str:
    """The path requests really sends (urllib3 removes dot segments while preparing)."""
    return requests.Request("GET", f"http://peer.test{path}").prepare().path_url


@pytest.mark.parametrize("value", TRICKS)
def test_a_segment_survives_request_preparation_as_one_segment(value):
    sent = _on_the_wire(quoted_path("/api/v1/people/{}/supervisors", value))
    prefix, _, rest = sent.partition("/api/v1/people/")
    segment, _, tail = rest.partition("/")
    assert prefix == "" and tail == "supervisors", sent
    assert requests.utils.unquote(segment) == value


def test_plain_ids_are_unchanged_and_empty_is_refused():
    assert path_segment("0c3a8f59-0000-4000-8000-000000000002") == (
        "0c3a8f59-0000-4000-8000-000000000002"
    )
    assert path_segment(42) == "42"
    with pytest.raises(ValueError):
        path_segment("")


class _Recorder(requests.adapters.BaseAdapter):
    """Keeps each path as sent and answers 404."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []

    def send(self, request, **_kwargs):
        self.paths.append(request.path_url)
        response = requests.Response()
        response.status_code = 404
        response._content = b"{}"
        response.request = request
        return response

    def close(self) -> None:
        pass


@pytest.mark.parametrize("trick", ["../../people/x", "c?learner_id=y", "c#frag", ".."])
def test_elearning_catalog_client_quotes_every_segment(trick):
    from elearning_service import create_app
    from elearning_service.clients.catalog import HttpCatalog

    app = create_app(
        service_test_config(
            "elearning",
            "sqlite://",
            SERVICE_URLS={"catalog": "http://catalog.test"},
            LAUNCH_SECRET="x",
        )
    )
    recorder = _Recorder()
    with app.app_context():
        gateway = HttpCatalog(app)
        gateway._http().session.mount("http://catalog.test", recorder)
        assert gateway.roster(trick) is None
        assert gateway.course_class(trick) is None
        assert gateway.course(trick) is None
    for sent, kind in zip(recorder.paths, ["classes", "classes", "courses"], strict=True):
        assert sent.startswith(f"/api/v1/{kind}/") and "?" not in sent, sent
        segment = sent.removeprefix(f"/api/v1/{kind}/").removesuffix("/roster")
        assert "/" not in segment and requests.utils.unquote(segment) == trick


def test_portal_path_is_the_shared_helper():
    from portal_service.gateway import path

    for trick in TRICKS:
        assert path("/api/v1/enrolments/{}/withdraw", trick) == quoted_path(
            "/api/v1/enrolments/{}/withdraw", trick
        )
    # Not climbed to /api/v1/courses: ".." arrives as the id (see path_segment).
    assert _on_the_wire(path("/api/v1/courses/{}/classes", "..")) == "/api/v1/courses/../classes"


def test_flask_app_sees_the_id_not_another_route():
    app = Flask(__name__)

    @app.get("/api/v1/people/<string:person_id>/supervisors")
    def supervisors(person_id: str):
        return {"id": person_id}

    client = app.test_client()
    for value in ["a?b#c", "..", "../x"]:
        sent = _on_the_wire(quoted_path("/api/v1/people/{}/supervisors", value))
        answer = client.get(sent)
        if "/" in value:  # Werkzeug decodes %2F: no route matches, nobody is reached
            assert answer.status_code == 404
        else:
            assert answer.get_json() == {"id": value}


def _with_recorder(app, service: str, client_of) -> _Recorder:
    """Mount a recorder on the client a new service builds for its peer."""
    recorder = _Recorder()
    with app.app_context():
        client_of().session.mount(f"http://{service}.test", recorder)
    return recorder


@pytest.mark.parametrize("trick", ["../../people/x", "u?x=1", "u#frag", ".."])
def test_planning_and_notification_quote_the_ids_they_send_to_personnel(trick):
    from notification_service import create_app as notification_app
    from notification_service.clients import personnel as notification_personnel
    from planning_service import create_app as planning_app
    from planning_service.clients import personnel as planning_personnel
    from planning_service.clients._peer import peer

    urls = {"SERVICE_URLS": {"personnel": "http://personnel.test"}}
    planning = planning_app(service_test_config("planning", "sqlite://", **urls))
    notification = notification_app(service_test_config("notification", "sqlite://", **urls))
    sent = _with_recorder(planning, "personnel", lambda: peer("personnel"))
    with planning.app_context():
        assert planning_personnel.unit_exists(trick) is False
    sent_too = _with_recorder(notification, "personnel", notification_personnel._client)
    with notification.app_context():
        assert notification_personnel.person(trick) is None
    for path, prefix in ((sent.paths[0], "/api/v1/units/"), (sent_too.paths[0], "/api/v1/people/")):
        segment = path.removeprefix(prefix)
        assert path.startswith(prefix) and "/" not in segment and "?" not in segment, path
        assert requests.utils.unquote(segment) == trick

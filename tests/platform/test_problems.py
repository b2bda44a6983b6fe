"""The shared problem handlers: every error a problem+json answer."""

from __future__ import annotations

from cakap_shared.http import ServiceUnavailable
from cakap_shared.problems import CakapError, register_problem_handlers
from flask import Flask


def app_raising(error: Exception) -> Flask:
    app = Flask("probe")
    register_problem_handlers(app)

    @app.get("/probe")
    def probe() -> None:
        raise error

    return app


def test_a_peer_nobody_caught_is_a_503_problem_not_a_500() -> None:
    answer = app_raising(ServiceUnavailable("personnel answered 500")).test_client().get("/probe")
    assert answer.status_code == 503
    assert answer.mimetype == "application/problem+json"
    assert answer.json["status"] == 503
    assert "personnel" not in answer.get_data(as_text=True)  # the log names it, not the body


def test_a_service_that_names_the_peer_keeps_its_own_answer() -> None:
    error = CakapError(503, "A service planning relies on is unavailable (catalog). Try again.")
    answer = app_raising(error).test_client().get("/probe")
    assert answer.status_code == 503
    assert "catalog" in answer.json["detail"]


def test_an_unexpected_error_says_nothing_of_its_internals() -> None:
    answer = app_raising(RuntimeError("secret internals")).test_client().get("/probe")
    assert answer.status_code == 500
    assert "secret" not in answer.get_data(as_text=True)

"""CakapFlask: Flask's answers and hooks, with its two per-request costs removed."""

from __future__ import annotations

import decimal
import functools
import uuid
from datetime import UTC, date, datetime

import pytest
from cakap_shared.app import CakapFlask
from flask import Flask


def _answers(app_class: type[Flask]) -> bytes:
    app = app_class("answers")
    payload = {
        "z": [1, 2.5, None, True],
        "a": {"nama": "Bapak Ünal — Kepala Bidang", "id": uuid.UUID(int=7)},
        "when": datetime(2026, 11, 30, 9, 0, tzinfo=UTC),
        "day": date(2026, 11, 30),
        "jp": decimal.Decimal("20.5"),
    }

    @app.get("/")
    def index():
        return payload

    return app.test_client().get("/").data


def test_json_answers_are_byte_for_byte_flasks():
    assert _answers(CakapFlask) == _answers(Flask)


def test_json_settings_still_apply():
    app = CakapFlask("settings")
    with app.app_context():
        assert app.json.dumps({"b": "é", "a": 1}, separators=(",", ":")) == '{"a":1,"b":"\\u00e9"}'
        app.json.sort_keys = False  # changed after the first answer
        app.json.ensure_ascii = False
        assert app.json.dumps({"b": "é", "a": 1}, separators=(",", ":")) == '{"b":"é","a":1}'
        assert app.json.dumps({"b": 1}, indent=2) == '{\n  "b": 1\n}'  # other settings: Flask's


def test_plain_callables_are_used_as_they_are(monkeypatch):
    import flask.app

    app = CakapFlask("sync")

    def view():
        return "ok"

    class Hook:
        def method(self):
            return "ok"

    bound = Hook().method
    partial = functools.partial(view)
    asked = []
    monkeypatch.setattr(flask.app, "iscoroutinefunction", lambda f: asked.append(f) or False)
    assert app.ensure_sync(view) is view
    assert app.ensure_sync(bound) is bound
    assert asked == []  # told by their code flags, without Flask's check
    assert app.ensure_sync(partial) is partial
    assert asked == [partial]  # no code flags: Flask's own check


def test_coroutine_functions_still_go_to_flasks_async_wrapper():
    app = CakapFlask("async")

    async def view():
        return "ok"

    try:
        wrapped = app.ensure_sync(view)
    except RuntimeError as exc:  # Flask without its async extra says so
        assert "async" in str(exc)
    else:
        assert wrapped is not view
        with app.test_request_context():
            assert wrapped() == "ok"


@pytest.mark.parametrize("app_class", [Flask, CakapFlask])
def test_hooks_run_in_order(app_class):
    app = app_class("hooks")
    seen: list[str] = []
    app.before_request(lambda: seen.append("before"))
    app.after_request(lambda response: seen.append("after") or response)

    @app.get("/")
    def index():
        seen.append("view")
        return "ok"

    assert app.test_client().get("/").status_code == 200
    assert seen == ["before", "view", "after"]

"""The text guard refuses NUL characters and lone surrogates in JSON bodies however they are
written, while an ordinary body is not walked string by string (issue 20)."""

from __future__ import annotations

import pytest
from cakap_shared.problems import register_problem_handlers
from cakap_shared.text_guard import init_text_guard, may_hold_bad_text
from flask import Flask, request

pytestmark = pytest.mark.database_free


@pytest.fixture
def client():
    app = Flask(__name__)
    register_problem_handlers(app)
    init_text_guard(app)

    @app.post("/echo")
    def echo():
        return {"got": request.get_json()}

    return app.test_client()


def post(client, raw: bytes, content_type: str = "application/json"):
    return client.post("/echo", data=raw, content_type=content_type)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"name": "a\\u0000b"}',  # an escaped NUL
        b'{"name": "\\ud800"}',  # an escaped lone surrogate
        b'{"name": "\xed\xa0\x80"}',  # a lone surrogate as UTF-8 bytes (json.loads passes it)
        b'{"na\\u0000me": "x"}',  # in a key
        '{"name": "a\\u0000b"}'.encode("utf-16"),  # another encoding, zero bytes throughout
    ],
)
def test_bad_text_is_refused_however_it_is_written(client, raw):
    answer = post(client, raw)
    assert answer.status_code == 422, answer.get_data(as_text=True)


def test_ordinary_text_passes_and_is_not_walked():
    plain = '{"name": "Nyimas Ayu", "kota": "Palembang", "catatan": "ṣ — ok"}'.encode()
    assert not may_hold_bad_text(plain)
    assert may_hold_bad_text(b'{"a": "\\u00e9"}')  # any escape is walked


def test_an_ordinary_body_reaches_the_view(client):
    answer = post(client, '{"name": "Nyimas — ṣ", "n": [1, 2]}'.encode())
    assert answer.status_code == 200
    assert answer.get_json() == {"got": {"name": "Nyimas — ṣ", "n": [1, 2]}}

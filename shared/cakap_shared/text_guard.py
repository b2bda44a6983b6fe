"""Refuse text PostgreSQL cannot store: NUL characters and lone surrogates (a 500 otherwise).

Runs before the view, after authentication, on the JSON body, the query string and form
fields, so bad text gets a 422 naming the field and nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Flask, request
from werkzeug.datastructures import MultiDict

from .problems import invalid

MESSAGE = "must not contain NUL characters or unpaired surrogates"


def _bad_text(value: str) -> bool:
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """(field path, text) of every key and string in a JSON document."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            yield child, str(key)
            yield from _strings(item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}.{index}" if path else str(index))


def may_hold_bad_text(body: bytes) -> bool:
    """Whether parsing this JSON body could give a NUL or an unpaired surrogate.

    JSON writes them as `\\u` escapes, and json.loads decodes bytes with surrogatepass, so
    a surrogate may also come as its 3-byte UTF-8 form (first byte 0xED); a raw NUL is
    refused by the parser, but a UTF-16 or UTF-32 body is full of zero bytes. A body with
    none of the three (almost every one) is not walked string by string.
    """
    return b"\\u" in body or b"\xed" in body or b"\x00" in body


def _check() -> None:
    # Most requests have neither a query string nor a form: no pairs to walk then.
    multis: tuple[MultiDict[str, str], ...] = (request.args,) if request.query_string else ()
    if request.want_form_data_parsed:
        multis += (request.form,)
    if multis:
        pairs = [(k, v) for multi in multis for k, v in multi.items(multi=True)]
        for field, text in [*((k, k) for k, _ in pairs), *pairs]:
            if _bad_text(text):
                raise invalid(field, MESSAGE)
    if request.is_json and may_hold_bad_text(request.get_data(cache=True)):
        for field, text in _strings(request.get_json(silent=True), ""):
            if _bad_text(text):
                raise invalid(field or "_body", MESSAGE)


def init_text_guard(app: Flask) -> None:
    """Register the check; after init_auth, so unauthenticated calls still get 401."""
    app.before_request(_check)

"""Refuse JSON bodies nested too deep before anything parses them.

Python's json parser recurses once per level: a few thousand nested `[` raise a
RecursionError (a 500) in whatever parses first (webargs, Flask, the text guard).
The depth is measured on the raw bytes, without recursion, and such a body gets a
400 problem instead. A body limit alone does not help: 5,000 levels fit in 10 kB.
"""

from __future__ import annotations

from array import array
from itertools import accumulate

from flask import Flask, current_app, request

from .problems import CakapError

DEFAULT_MAX_DEPTH = 64
# Opening brackets become 1 and closing ones -1 (as signed bytes); the rest is deleted.
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")


def json_depth(data: bytes) -> int:
    """How deep the arrays and objects of a JSON text nest (0 for a scalar).

    Without recursion, in C-speed passes: escapes are dropped (an escaped backslash
    first, then an escaped quote), so every remaining quote opens or closes a string
    and the text outside strings is every other piece between quotes; there brackets
    become +1/-1 and the running sum's maximum is the depth. Invalid JSON gives some
    number too; the parser refuses it afterwards.
    """
    unescaped = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside = b"".join(unescaped.split(b'"')[::2])
    steps = outside.translate(_STEPS, _NOT_BRACKET)
    if not steps:
        return 0
    return max(0, max(accumulate(array("b", steps))))


def _check() -> None:
    if not request.is_json:
        return
    limit = current_app.config.get("JSON_MAX_DEPTH", DEFAULT_MAX_DEPTH)
    data = request.get_data(cache=True)
    # Fewer brackets than the limit cannot nest past it: the common case costs two counts.
    if data.count(b"[") + data.count(b"{") > limit and json_depth(data) > limit:
        raise CakapError(
            400,
            f"The JSON body nests arrays or objects deeper than {limit} levels.",
            code="json-too-deep",
        )


def init_json_guard(app: Flask) -> None:
    """Register the check; before anything that reads the body as JSON."""
    app.before_request(_check)

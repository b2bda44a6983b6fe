"""The Flask class every Cakap app is made of: Flask, less two per-request costs.

A profile of one authenticated read (issue 20) found them: Flask asks
`inspect.iscoroutinefunction` of every hook and view on every request (a dozen calls), and
its JSON provider builds a new `json.JSONEncoder` for every answer. Neither changes what a
request does or what an answer holds.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider

# What DefaultJSONProvider.response passes out of debug mode.
_COMPACT: dict[str, tuple[str, str]] = {"separators": (",", ":")}


class ReusedEncoderJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, with its compact encoder built once instead of per answer."""

    def __init__(self, app: Flask) -> None:
        super().__init__(app)
        self._compact: tuple[tuple[Any, ...], Callable[[Any], str]] | None = None

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """As DefaultJSONProvider.dumps; the compact answer's encoder is reused."""
        if kwargs != _COMPACT:
            return super().dumps(obj, **kwargs)
        settings = (self.default, self.ensure_ascii, self.sort_keys)
        if self._compact is None or self._compact[0] != settings:  # built again if changed
            encoder = json.JSONEncoder(
                default=settings[0],
                ensure_ascii=settings[1],
                sort_keys=settings[2],
                separators=_COMPACT["separators"],
            )
            self._compact = (settings, encoder.encode)
        return self._compact[1](obj)


class CakapFlask(Flask):
    """Flask with a reused JSON encoder and a cheap look for coroutine functions."""

    json_provider_class = ReusedEncoderJSONProvider

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """`func` itself unless it is a coroutine function (then Flask's async wrapper).

        A plain function or bound method says so in its code flags; anything else
        (partials, callable objects) gets Flask's full check.
        """
        code = getattr(func, "__code__", None)
        if code is not None and not code.co_flags & inspect.CO_COROUTINE:
            return func
        return super().ensure_sync(func)

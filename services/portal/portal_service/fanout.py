"""A page's independent API calls at once, on a small thread pool of the portal process.

A page that needs ten answers from five services used to wait for them one after the
other; the wait is the services', not the portal's, so asking all at once costs the page
only its slowest answer. Each call runs in a copy of the request's context, so it carries
the user's token, the request id and the browser's address exactly as a call made by the
request's own thread does.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from flask import current_app

from .auth import access_token

_lock = threading.Lock()
_pools: dict[int, ThreadPoolExecutor] = {}
# Set on the pool's threads: a call fanned out from a fanned-out call runs in place, so
# no pool thread ever waits for a task queued behind it (a deadlock when all are waiting).
_on_pool = threading.local()


def _pool(size: int) -> ThreadPoolExecutor:
    with _lock:
        pool = _pools.get(size)
        if pool is None:
            pool = _pools[size] = ThreadPoolExecutor(size, thread_name_prefix="portal-api")
        return pool


def _in_pool(context: contextvars.Context, fetch: Callable[[], Any]) -> Any:
    _on_pool.active = True
    try:
        return context.run(fetch)
    finally:
        _on_pool.active = False


def concurrently(*fetches: Callable[[], Any]) -> list[Any]:
    """Each fetch's result, in order, the fetches run at the same time.

    The first exception (in the order given) is raised once every fetch has ended, so no
    call outlives the page. The access token is read (and refreshed when about to expire)
    here first, once, before any call goes out.
    """
    size = current_app.config["PORTAL_API_FANOUT"]
    if len(fetches) < 2 or size < 2 or getattr(_on_pool, "active", False):
        return [fetch() for fetch in fetches]
    access_token()
    pool = _pool(size)
    futures: list[Future[Any]] = [
        pool.submit(_in_pool, contextvars.copy_context(), fetch) for fetch in fetches
    ]
    errors = [future.exception() for future in futures]  # waits for every one
    for error in errors:
        if error is not None:
            raise error
    return [future.result() for future in futures]

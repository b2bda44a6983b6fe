"""gunicorn hooks of the services with a background loop (boot.sh: `--config python:...`).

With DELIVER_EVENTS_IN_WEB_WORKER=1 (`make run`, .env.example) each web worker also runs its
service's background loop (the outbox delivery; notification's e-mail sender) on a thread,
so a laptop runs no `deliver-events` process beside each service (some 70 MB each).
Production keeps the loop a process of its own (deploy/), scaled and probed apart from the
web replicas. Either way one outbox loop delivers at a time (DeliveryLock), so a second
worker's loop stands by.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .background import BackgroundLoop

# gunicorn's master imports this file: what the hooks need is imported in the worker.
_loops: dict[int, BackgroundLoop] = {}


def post_worker_init(worker: Any) -> None:
    """Start the app's background loop on a thread of this worker, when asked."""
    if os.environ.get("DELIVER_EVENTS_IN_WEB_WORKER", "0") != "1":
        return
    from .background import background_loop

    loop = background_loop(worker.wsgi)
    if loop is not None:
        loop.run_in_thread()
        _loops[os.getpid()] = loop


def worker_exit(_server: Any, _worker: Any) -> None:
    """Let the loop finish its round (and give up its lock) as the worker goes."""
    loop = _loops.pop(os.getpid(), None)
    if loop is not None:
        loop.stop()

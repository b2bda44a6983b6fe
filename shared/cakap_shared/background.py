"""A service's background loop (outbox delivery, notification's e-mail sender): a process of
its own in production, or a thread of a web worker in development (gunicorn_hooks.py)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask

EXTENSION = "cakap_background_loop"


class BackgroundLoop:
    """Rounds until stopped; subclasses write `run_rounds`, this starts and stops them."""

    name = "background-loop"

    def __init__(self) -> None:
        self._stopped = threading.Event()  # a wait on it ends at once when stop() is called

    @property
    def running(self) -> bool:
        return not self._stopped.is_set()

    def stop(self, *_: Any) -> None:
        """Finish the current round, then leave run_forever."""
        self._stopped.set()

    def pause(self, seconds: float) -> None:
        """Sleep between rounds, cut short by stop()."""
        self._stopped.wait(seconds)

    def run_rounds(self) -> None:
        raise NotImplementedError

    def run_forever(self, *, handle_signals: bool = True) -> None:
        """Run until SIGTERM/SIGINT (a process of its own) or stop()."""
        if handle_signals:
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)
        self.run_rounds()

    def run_in_thread(self) -> threading.Thread:
        """Run on a daemon thread of this process, whose own signal handling stays as is."""
        thread = threading.Thread(
            target=self.run_forever, kwargs={"handle_signals": False}, name=self.name
        )
        thread.daemon = True  # a worker that exits mid-round leaves the round to be redone
        thread.start()
        return thread


def register_background_loop(app: Flask, make: Callable[[], BackgroundLoop]) -> None:
    """Name the app's background loop, for gunicorn_hooks to run in a web worker."""
    app.extensions[EXTENSION] = make


def background_loop(app: Flask) -> BackgroundLoop | None:
    """A new instance of the app's background loop, if it has one."""
    make = app.extensions.get(EXTENSION)
    return make() if make is not None else None

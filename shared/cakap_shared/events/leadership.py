"""One delivery loop per service at a time: a PostgreSQL advisory lock among replicas, a
file lock beside a SQLite database among the processes of one machine."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
from typing import IO

from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection

log = logging.getLogger("cakap.events")


class DeliveryLock:
    """A session advisory lock per producer, held on a connection of its own.

    Several replicas may run (Kubernetes); on PostgreSQL the one holding the lock
    delivers and the others stand by, taking over when its connection dies. That keeps
    each delivery sent once by one loop and the order per aggregate. On SQLite
    (development) the same holds among the processes of the machine by an exclusive
    `flock` on `<database file>.delivery-lock`, released by the kernel when its holder
    exits: each web worker may run its service's loop (DELIVER_EVENTS_IN_WEB_WORKER)
    beside a `deliver-events` process. An in-memory database has a single process.
    """

    def __init__(self, producer: str) -> None:
        self.producer = producer
        self._connection: Connection | None = None
        self._file: IO[bytes] | None = None

    @property
    def key(self) -> int:
        """A stable signed 64-bit key per producer (pg advisory locks take a bigint)."""
        digest = hashlib.sha256(f"cakap-delivery:{self.producer}".encode()).digest()
        return int.from_bytes(digest[:8], "big", signed=True)

    def hold(self, engine: Engine) -> bool:
        """Whether this process holds the lock now: checks it is still held, or tries to take it."""
        if engine.dialect.name == "sqlite":
            return self._hold_file(engine.url.database)
        if engine.dialect.name != "postgresql":
            return True
        if self._connection is not None:
            return self._still_held()
        return self._try_take(engine)

    def _still_held(self) -> bool:
        assert self._connection is not None
        try:
            self._connection.execute(text("SELECT 1"))
            self._connection.commit()
            return True
        except Exception:
            log.warning("lost the delivery lock's connection; standing by")
            self.release()
            return False

    def _try_take(self, engine: Engine) -> bool:
        connection = engine.connect()
        try:
            got = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
            ).scalar()
            connection.commit()
        except Exception:
            connection.close()
            raise
        if not got:
            connection.close()
            return False
        log.info("took the delivery lock", extra={"fields": {"producer": self.producer}})
        self._connection = connection
        return True

    def _hold_file(self, database: str | None) -> bool:
        if not database or database == ":memory:":
            return True
        if self._file is not None:
            return True
        handle = open(f"{database}.delivery-lock", "ab")  # noqa: SIM115  # held while leading
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        log.info("took the delivery lock", extra={"fields": {"producer": self.producer}})
        self._file = handle
        return True

    def release(self) -> None:
        """Let another replica deliver (closing the connection releases the lock)."""
        if self._file is not None:
            self._file.close()  # closing the file releases the flock
            self._file = None
        if self._connection is not None:
            # Invalidate, not close: a closed connection goes back to the pool still
            # holding the session lock; a dead one has nothing left to release.
            with contextlib.suppress(Exception):
                self._connection.invalidate()
                self._connection.close()
            self._connection = None

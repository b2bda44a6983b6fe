"""Database helpers every service uses: SQLite pragmas and write turns, ids, timestamps, pages."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import stat
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Self, overload
from zoneinfo import ZoneInfo

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Enum, Integer, Select, String, Uuid, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.sql.compiler import SQLCompiler

log = logging.getLogger("cakap.db")
OWNER_ONLY = 0o600


# SQLITE_SYNCHRONOUS: FULL (SQLite's default, kept) syncs the WAL to disk at every commit,
# so a commit survives a power loss; NORMAL syncs only at checkpoints: a commit survives a
# killed process but may be lost with the machine's power, and a commit no longer holds
# the file's one write lock for a disk flush (concurrent writers queue on that lock).
SQLITE_SYNCHRONOUS = ("FULL", "NORMAL")


def sqlite_synchronous() -> str:
    """The SQLITE_SYNCHRONOUS setting (FULL unless NORMAL is asked for)."""
    value = (os.environ.get("SQLITE_SYNCHRONOUS") or "FULL").strip().upper()
    if value not in SQLITE_SYNCHRONOUS:
        raise ValueError(f"SQLITE_SYNCHRONOUS must be one of {', '.join(SQLITE_SYNCHRONOUS)}")
    return value


BUSY_TIMEOUT_SECONDS = 15


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Several processes share one SQLite file in development: WAL lets readers
    # run beside the writer, and busy_timeout makes writers wait instead of failing.
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA synchronous={sqlite_synchronous()}")
        cursor.close()


class _WriteTurn:
    """Whose turn it is to write one SQLite file, among the threads of this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.owner: int | None = None

    def take(self) -> bool:
        """Wait for the turn (as long as SQLite's busy timeout); whether it was taken.

        Not taken: this thread already writes on another connection (waiting would be a
        deadlock), or the wait timed out; SQLite's own lock then decides, as without turns.
        """
        me = threading.get_ident()
        if self.owner == me or not self._lock.acquire(timeout=BUSY_TIMEOUT_SECONDS):
            return False
        self.owner = me
        return True

    def give_back(self) -> None:
        self.owner = None
        self._lock.release()


_turns: dict[str, _WriteTurn] = {}
_turns_lock = threading.Lock()
# What pysqlite opens a write transaction with (it BEGINs before INSERT, UPDATE, DELETE and
# REPLACE), and what opens one explicitly.
_WRITE_OPENERS = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN", "SAVEPOINT"})


def _turn_of(database: str) -> _WriteTurn:
    """The turn of this database file (one per file however it is named)."""
    if database != ":memory:" and not database.startswith("file:"):
        database = os.path.realpath(database)
    with _turns_lock:
        return _turns.setdefault(database, _WriteTurn())


class SerialisedWrites(sqlite3.Connection):
    """A SQLite connection whose write transactions take turns with the other threads' of
    this process, from the statement that opens one to its commit or rollback.

    SQLite has one writer per file; a writer that finds it taken sleeps in SQLite's busy
    handler, in steps growing to 100 ms, however soon the lock is free again: eight threads
    committing at once made tails of several hundred milliseconds out of 1 ms transactions.
    Waiting here instead wakes the next writer as soon as the last one ends. Reads never
    wait (WAL); other processes still meet SQLite's own lock and busy timeout.
    """

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self._turn = _turn_of(os.fsdecode(database))
        self._has_turn = False

    def cursor(self, factory: Callable[[sqlite3.Connection], Any] | None = None) -> Any:
        return super().cursor(factory or _TurnTakingCursor)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._end_turn()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._end_turn()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._end_turn(closed=True)

    def _before(self, statement: str) -> None:
        self._end_turn()  # a transaction ended where this class could not see it
        if not self._has_turn and not self.in_transaction:
            words = statement.lstrip()[:10].split(None, 1)
            if words and words[0].upper() in _WRITE_OPENERS:
                self._has_turn = self._turn.take()

    def _end_turn(self, closed: bool = False) -> None:
        if self._has_turn and (closed or not self.in_transaction):
            self._has_turn = False
            self._turn.give_back()


class _TurnTakingCursor(sqlite3.Cursor):
    connection: SerialisedWrites

    def execute(self, sql: str, parameters: Any = (), /) -> Self:
        self.connection._before(sql)
        try:
            return super().execute(sql, parameters)
        finally:
            self.connection._end_turn()  # a statement outside a transaction: done

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> Self:
        self.connection._before(sql)
        try:
            return super().executemany(sql, seq_of_parameters)
        finally:
            self.connection._end_turn()


def engine_options(database_url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """The engine options for this database: `options` without what it does not need.

    pool_pre_ping costs a statement at every pool checkout, that is every request: worth it
    for a server that drops connections (a PostgreSQL restart, a failover, an idle timeout
    in between), useless for a SQLite file, which has no connection to lose. SQLite
    connections take turns to write (SerialisedWrites). A memory database has no pool to size.
    """
    chosen = dict(options or {})
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        chosen.pop("pool_pre_ping", None)
        if url.database in (None, "", ":memory:") or url.query.get("mode") == "memory":
            # A memory database lives in one connection (SQLAlchemy's singleton pool).
            chosen.pop("pool_size", None)
            chosen.pop("max_overflow", None)
        chosen["connect_args"] = {"factory": SerialisedWrites, **chosen.get("connect_args", {})}
    return chosen


class DriverRead:
    """A fixed SELECT run on a pooled driver (DBAPI) connection, not through Core's execute.

    Core's execute costs some 50 µs a call here (cache key, execution context, result
    wrapper): a sixth of the platform's hottest one-row read, `/me` (issue 20). This runs
    the same SQL, compiled once per driver, on a connection from the same pool. Only for
    statements whose binds and columns need no conversion by SQLAlchemy (text and
    integers) and no rendering at execution (`in_()` lists): refused when built or
    first compiled. A lost connection is invalidated in the pool, as Core would.
    """

    def __init__(self, statement: Select[Any]) -> None:
        converted = [c.name for c in statement.selected_columns if not _plain(c.type)]
        if converted:
            raise TypeError(f"DriverRead needs plain text or integer columns: {converted}")
        self.statement = statement
        self._compiled: dict[tuple[str, str], SQLCompiler] = {}

    def _compile(self, engine: Engine) -> SQLCompiler:
        compiled = self.statement.compile(dialect=engine.dialect)
        converted = [name for name, p in compiled.binds.items() if not _plain(p.type)]
        if converted or compiled.post_compile_params or compiled.literal_execute_params:
            raise TypeError(f"DriverRead needs plain binds rendered once: {converted}")
        self._compiled[(engine.dialect.name, engine.dialect.driver)] = compiled
        return compiled

    def first(self, engine: Engine, **params: Any) -> tuple[Any, ...] | None:
        """The first row for these bind values, as the driver gives it; None if none."""
        dialect = engine.dialect
        compiled = self._compiled.get((dialect.name, dialect.driver)) or self._compile(engine)
        values: Any = compiled.construct_params(params)  # with the statement's own literals
        if compiled.positional:
            values = tuple(values[name] for name in compiled.positiontup or ())
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(compiled.string, values)
                row: tuple[Any, ...] | None = cursor.fetchone()
                return row
            finally:
                cursor.close()
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, connection.dbapi_connection, None):
                connection.invalidate(error)  # not handed to the next request
            raise
        finally:
            connection.close()  # back to the pool, rolled back as Core would


def _plain(type_: Any) -> bool:
    return isinstance(type_, String | Integer) and not isinstance(type_, Enum | Uuid)


def protect_sqlite_file(database_url: str) -> Path | None:
    """Make a SQLite database file readable and writable by its owner only (0600).

    The files hold password hashes, NIPs and exam answers; SQLite would create them
    with the umask's mode (0644: world-readable). The file is created empty (a valid
    empty database) before SQLite opens it, and SQLite gives its -wal, -shm and
    -journal files the database file's mode. A file left 0644 by an earlier version
    is narrowed too. Other databases are left alone; returns the file's path.
    """
    url = make_url(database_url)
    name = url.database
    if url.get_backend_name() != "sqlite" or not name or name == ":memory:":
        return None
    if name.startswith("file:") or url.query.get("uri"):
        return None  # a URI filename names its own options; not ours to touch
    path = Path(name)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(FileExistsError):  # another process made it first
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY))
    for part in (path, *(Path(f"{path}{suffix}") for suffix in ("-wal", "-shm", "-journal"))):
        try:
            mode = stat.S_IMODE(part.stat().st_mode)
            if mode & 0o077 and part.stat().st_uid == os.getuid():
                part.chmod(OWNER_ONLY)
                log.warning("narrowed %s from %o to 0600", part, mode)
        except FileNotFoundError:
            continue
    return path


def new_id() -> str:
    """A new public identifier (UUID4, not guessable, unique across services)."""
    return str(uuid.uuid4())


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


@overload
def aware(moment: datetime) -> datetime: ...
@overload
def aware(moment: None) -> None: ...
def aware(moment: datetime | None) -> datetime | None:
    """`moment` as aware UTC: SQLite hands stored moments back naive, and every one is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def local_date(moment: datetime) -> date:
    """The calendar date of `moment` where the city is (TIMEZONE, WIB by default)."""
    from flask import current_app, has_app_context

    zone = current_app.config["TIMEZONE"] if has_app_context() else "Asia/Jakarta"
    return moment.astimezone(ZoneInfo(zone)).date()


MAX_PER_PAGE = 100


def paginate(db: SQLAlchemy, select: Any, page: int, per_page: int) -> dict[str, Any]:
    """Run `select` one page at a time: {"items", "total", "page", "per_page"}."""
    per_page = min(per_page, MAX_PER_PAGE)
    result = db.paginate(select, page=page, per_page=per_page, error_out=False, count=True)
    return {"items": list(result.items), "total": result.total, "page": page, "per_page": per_page}

"""The shared engine settings (issue 20): SQLite files are not pinged at every checkout,
PostgreSQL connections are; SQLite's synchronous mode is FULL unless NORMAL is asked for;
the threads of a process take turns to write a SQLite file."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from cakap_shared import db
from cakap_shared.db import SerialisedWrites, engine_options, sqlite_synchronous
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import IntegrityError

pytestmark = pytest.mark.database_free


def test_pre_ping_is_kept_for_servers_and_dropped_for_sqlite_files():
    asked = {"pool_pre_ping": True, "pool_size": 5}
    assert engine_options("postgresql+psycopg://u@db/personnel", asked) == asked
    sqlite = engine_options("sqlite:////var/personnel.db", asked)
    assert sqlite == {"pool_size": 5, "connect_args": {"factory": SerialisedWrites}}
    assert engine_options("sqlite://", None) == {"connect_args": {"factory": SerialisedWrites}}
    sized = {"pool_size": 8, "max_overflow": 10}
    assert "pool_size" not in engine_options("sqlite://", sized)  # one connection, no pool
    assert engine_options("sqlite:////var/x.db", sized)["pool_size"] == 8
    assert asked == {"pool_pre_ping": True, "pool_size": 5}  # the caller's dict untouched


def test_sqlite_connect_args_of_the_caller_are_kept():
    asked = {"connect_args": {"timeout": 3, "factory": sqlite3.Connection}}
    assert engine_options("sqlite:////var/x.db", asked)["connect_args"] == asked["connect_args"]
    asked = {"connect_args": {"timeout": 3}}
    assert engine_options("sqlite:////var/x.db", asked)["connect_args"] == {
        "factory": SerialisedWrites,
        "timeout": 3,
    }


def _counter(tmp_path):
    """An engine as the services build it, on a file with one counter row; SQLite's busy
    timeout is 0, so a writer that meets another's lock fails at once instead of waiting."""
    url = f"sqlite:///{tmp_path / 'turns.db'}"
    engine = create_engine(url, **engine_options(url))

    @event.listens_for(engine, "connect")
    def _no_busy_wait(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER)"))
        conn.execute(text("INSERT INTO counter VALUES (1, 0)"))
    return engine


def test_threads_take_turns_to_write_and_never_meet_sqlites_lock(tmp_path):
    """Eight threads write at once, each transaction read then written as a request does,
    some committed, some rolled back, some failing on a constraint: not one is refused
    "database is locked", and every committed write is there."""
    engine = _counter(tmp_path)
    errors: list[Exception] = []

    def writer() -> None:
        try:
            for n in range(30):
                with engine.connect() as conn:
                    conn.execute(text("SELECT value FROM counter")).scalar()
                    conn.execute(text("UPDATE counter SET value = value + 1"))
                    if n % 3 == 0:
                        conn.rollback()
                        continue
                    if n % 5 == 0:
                        with pytest.raises(IntegrityError):
                            conn.execute(text("INSERT INTO counter VALUES (1, 0)"))
                        conn.rollback()
                        continue
                    conn.commit()
        except Exception as exc:  # reported below, with the others
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with engine.connect() as conn:
        # Per thread: 30 transactions, 10 rolled back (n % 3 == 0), 4 failing (n = 5, 10,
        # 20, 25), so 16 committed.
        assert conn.execute(text("SELECT value FROM counter")).scalar() == 8 * 16
    assert not db._turn_of(str(tmp_path / "turns.db"))._lock.locked()  # nothing kept
    engine.dispose()


def test_reads_do_not_wait_for_a_writer(tmp_path):
    engine = _counter(tmp_path)
    with engine.connect() as writing, engine.connect() as reading:
        assert reading.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        writing.execute(text("UPDATE counter SET value = 5"))
        assert reading.execute(text("SELECT value FROM counter")).scalar() == 0
        writing.commit()
        assert reading.execute(text("SELECT value FROM counter")).scalar() == 5
    engine.dispose()


def test_a_thread_writing_on_two_connections_is_left_to_sqlite(tmp_path):
    """Waiting for its own turn would never end: SQLite's lock answers instead."""
    engine = _counter(tmp_path)
    with engine.connect() as first, engine.connect() as second:
        first.execute(text("UPDATE counter SET value = 1"))
        with pytest.raises(Exception, match="database is locked"):
            second.execute(text("UPDATE counter SET value = 2"))
        second.rollback()
        first.commit()
    assert not db._turn_of(str(tmp_path / "turns.db"))._lock.locked()
    engine.dispose()


@pytest.mark.parametrize(("setting", "pragma"), [(None, 2), ("full", 2), ("NORMAL", 1)])
def test_sqlite_synchronous_is_full_unless_normal_is_asked_for(
    tmp_path, monkeypatch, setting, pragma
):
    if setting is None:
        monkeypatch.delenv("SQLITE_SYNCHRONOUS", raising=False)
    else:
        monkeypatch.setenv("SQLITE_SYNCHRONOUS", setting)
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA synchronous")).scalar() == pragma
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()


def test_an_unknown_synchronous_mode_is_refused(monkeypatch):
    monkeypatch.setenv("SQLITE_SYNCHRONOUS", "OFF")
    with pytest.raises(ValueError, match="SQLITE_SYNCHRONOUS"):
        sqlite_synchronous()


def _connections_opened(tmp_path, threads: int) -> int:
    from cakap_shared.config import pool_options

    url = f"sqlite:///{tmp_path}/pool.db"
    engine = create_engine(url, **engine_options(url, pool_options()))
    opened = []
    event.listen(engine, "connect", lambda *_: opened.append(1))
    start = threading.Barrier(threads)

    def requests() -> None:
        start.wait()
        for _ in range(50):
            with engine.connect() as connection:
                connection.execute(text("select 1"))
                start.wait()  # every thread holds a connection at once
            start.wait()  # and every one has given it back

    workers = [threading.Thread(target=requests) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    engine.dispose()
    return len(opened)


def test_the_pool_keeps_a_connection_per_request_thread(monkeypatch, tmp_path):
    for name in ("DB_POOL_SIZE", "DB_MAX_OVERFLOW"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WEB_THREADS", "8")
    assert _connections_opened(tmp_path, 8) == 8  # once each, not again at every peak
    monkeypatch.setenv("DB_POOL_SIZE", "2")
    monkeypatch.setenv("DB_MAX_OVERFLOW", "6")
    assert _connections_opened(tmp_path, 8) > 8  # a pool asked to be smaller still is

"""The shared engine settings (issue 20): SQLite files are not pinged at every checkout,
PostgreSQL connections are; SQLite's synchronous mode is FULL unless NORMAL is asked for."""

from __future__ import annotations

import pytest
from cakap_shared.db import engine_options, sqlite_synchronous
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.database_free


def test_pre_ping_is_kept_for_servers_and_dropped_for_sqlite_files():
    asked = {"pool_pre_ping": True, "pool_size": 5}
    assert engine_options("postgresql+psycopg://u@db/personnel", asked) == asked
    assert engine_options("sqlite:////var/personnel.db", asked) == {"pool_size": 5}
    assert engine_options("sqlite://", None) == {}
    assert asked == {"pool_pre_ping": True, "pool_size": 5}  # the caller's dict untouched


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

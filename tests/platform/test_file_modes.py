"""SQLite files and the folders the project creates under var/ are its owner's only
(issue 10, item 11a: they were created 0644 while holding password hashes and NIPs)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cakap_shared.config import var_dir
from cakap_shared.db import protect_sqlite_file
from cakap_shared.testing import backend
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.security


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def usual_umask():
    """The umask most shells have (022), which made the files world-readable."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_new_database_and_its_wal_files_are_0600(tmp_path, usual_umask):
    path = tmp_path / "var" / "personnel.db"
    url = f"sqlite:///{path}"
    assert protect_sqlite_file(url) == path
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("PRAGMA journal_mode=WAL"))
        conn.execute(text("CREATE TABLE accounts (password_hash TEXT)"))
        conn.execute(text("INSERT INTO accounts VALUES ('argon2id...')"))
        wal = Path(f"{path}-wal")
        assert wal.exists() and mode(wal) == 0o600
        assert mode(Path(f"{path}-shm")) == 0o600
    engine.dispose()
    assert mode(path) == 0o600


def test_a_file_left_world_readable_is_narrowed(tmp_path, usual_umask):
    path = tmp_path / "catalog.db"
    path.write_bytes(b"")
    path.chmod(0o644)
    protect_sqlite_file(f"sqlite:///{path}")
    assert mode(path) == 0o600


def test_other_databases_are_left_alone(tmp_path):
    assert protect_sqlite_file("sqlite://") is None
    assert protect_sqlite_file("sqlite:///:memory:") is None
    assert protect_sqlite_file("postgresql+psycopg://cakap@db:5432/personnel") is None
    assert list(tmp_path.iterdir()) == []


def test_var_dir_is_created_0700(tmp_path, monkeypatch, usual_umask):
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    assert mode(var_dir()) == 0o700


def test_every_service_creates_its_database_0600(service_app):
    if backend() != "sqlite":
        pytest.skip("SQLite files only")
    path = Path(service_app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    assert path.exists() and mode(path) == 0o600
    for extra in ("-wal", "-shm"):
        sibling = Path(f"{path}{extra}")
        if sibling.exists():
            assert mode(sibling) == 0o600

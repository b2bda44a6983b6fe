"""Database helpers every service uses: SQLite pragmas, ids, timestamps, states, pagination."""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, overload
from zoneinfo import ZoneInfo

import marshmallow as ma
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

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


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Several processes share one SQLite file in development: WAL lets readers
    # run beside the writer, and busy_timeout makes writers wait instead of failing.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA synchronous={sqlite_synchronous()}")
        cursor.close()


def engine_options(database_url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """The engine options for this database: `options` without what it does not need.

    pool_pre_ping costs a statement at every pool checkout, that is every request: worth it
    for a server that drops connections (a PostgreSQL restart, a failover, an idle timeout
    in between), useless for a SQLite file, which has no connection to lose.
    """
    chosen = dict(options or {})
    if make_url(database_url).get_backend_name() == "sqlite":
        chosen.pop("pool_pre_ping", None)
    return chosen


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


class UtcDateTime(ma.fields.DateTime):
    """A moment dumped with its UTC offset, as OpenAPI's date-time requires.

    SQLite hands stored moments back naive; every stored moment is UTC.
    """

    def _serialize(
        self, value: datetime | None, attr: str | None, obj: object, **kwargs: Any
    ) -> str | float | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


def state_field(
    enum: type[StrEnum], description: str | None = None, **kwargs: Any
) -> ma.fields.Enum[Any]:
    """A state kept as a StrEnum, loaded and dumped as its plain value ("published").

    `by_value=String`, not True: the OpenAPI document then says `type: string` beside the
    values.
    """
    metadata = {
        **kwargs.pop("metadata", {}),
        **({"description": description} if description else {}),
    }
    return ma.fields.Enum(enum, by_value=ma.fields.String, metadata=metadata, **kwargs)


MAX_PER_PAGE = 100


class PageArgsSchema(ma.Schema):
    """`page` from 1, `per_page` from 1; more than 100 per page is answered with 100."""

    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1_000_000))
    per_page = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=10_000))


def paginate(db: SQLAlchemy, select: Any, page: int, per_page: int) -> dict[str, Any]:
    """Run `select` one page at a time: {"items", "total", "page", "per_page"}."""
    per_page = min(per_page, MAX_PER_PAGE)
    result = db.paginate(select, page=page, per_page=per_page, error_out=False, count=True)
    return {"items": list(result.items), "total": result.total, "page": page, "per_page": per_page}


def page_schema(item_schema: type[ma.Schema], name: str | None = None) -> type[ma.Schema]:
    """A response schema for a page of `item_schema`."""
    fields: dict[str, ma.fields.Field[Any]] = {
        "items": ma.fields.List(ma.fields.Nested(item_schema)),
        "total": ma.fields.Integer(),
        "page": ma.fields.Integer(),
        "per_page": ma.fields.Integer(),
    }
    return ma.Schema.from_dict(fields, name=name or f"{item_schema.__name__}Page")

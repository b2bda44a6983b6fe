"""Idempotency-Key for POSTs: the same key and body answers the first result again.

Every POST that succeeds with a key is remembered for 24 hours per caller; the same
key with another body is 422. Each service keeps the records in its own table,
declared from `IdempotencyRecordMixin`.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from flask import Flask, Response, g, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, Integer, String, Text, delete
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from .db import aware, utcnow
from .problems import problem_response

HEADER = "Idempotency-Key"
RETENTION = timedelta(hours=24)
_MAX_STORED_BODY = 1024 * 1024


class IdempotencyRecordMixin:
    """Columns of the per-service `idempotency_records` table."""

    if TYPE_CHECKING:  # the declarative base's keyword constructor, for the type checker only

        def __init__(self, **columns: Any) -> None: ...

    __tablename__ = "idempotency_records"
    principal_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


IN_PROGRESS = 0  # status of a claimed key whose first request has not answered yet
# A claim older than this belongs to a request that died: the key may be used again.
ABANDONED_AFTER = timedelta(minutes=2)


def _request_hash() -> str:
    digest = hashlib.sha256()
    for part in (request.method, request.path, request.query_string.decode("latin-1")):
        digest.update(part.encode())
        digest.update(b"\0")
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


class _Guard:
    """The steps of one keyed POST: claim the key, replay or refuse a repeat, remember."""

    def __init__(self, db: SQLAlchemy, model: type[IdempotencyRecordMixin]) -> None:
        self.db = db
        self.model = model

    def before(self) -> Response | None:
        """Let a first request through with its key claimed; answer a repeat from the record."""
        if request.method != "POST":
            return None
        key = request.headers.get(HEADER)
        principal = getattr(g, "principal", None)
        if not key or principal is None:
            return None
        if len(key) > 200:
            return problem_response(422, "Idempotency-Key is longer than 200 characters.")
        request_hash = _request_hash()
        record = self.live_record(principal.id, key)
        if record is None:
            if self.claim(principal.id, key, request_hash):
                g.idempotency = (principal.id, key)
                return None
            record = self.db.session.get(self.model, (principal.id, key))  # a twin's claim
        return self.repeat(record, request_hash)

    def live_record(self, principal_id: str, key: str) -> IdempotencyRecordMixin | None:
        """The key's record, unless expired or abandoned (those are deleted)."""
        record = self.db.session.get(self.model, (principal_id, key))
        if record is None:
            return None
        age = utcnow() - aware(record.created_at)
        if age > RETENTION or (record.status == IN_PROGRESS and age > ABANDONED_AFTER):
            self.db.session.delete(record)
            self.db.session.commit()
            return None
        return record

    def claim(self, principal_id: str, key: str, request_hash: str) -> bool:
        """Record the key as in progress; False when a twin holds it already."""
        self.db.session.add(
            self.model(
                principal_id=principal_id,
                key=key,
                request_hash=request_hash,
                status=IN_PROGRESS,
                content_type="",
                body="",
            )
        )
        try:
            self.db.session.commit()
        except IntegrityError:
            self.db.session.rollback()
            return False
        return True

    @staticmethod
    def repeat(record: IdempotencyRecordMixin | None, request_hash: str) -> Response:
        """The answer to a repeated key: 422 for another request, 409 while the first runs,
        else the first answer again."""
        if record is None or record.request_hash != request_hash:
            return problem_response(
                422,
                "This Idempotency-Key was already used with a different request.",
                errors={HEADER: ["reused with a different request"]},
            )
        if record.status == IN_PROGRESS:
            return problem_response(
                409,
                "A request with this Idempotency-Key is still in progress; retry shortly.",
                headers={"Retry-After": "1"},
            )
        response = Response(record.body, status=record.status, content_type=record.content_type)
        response.headers["Idempotent-Replayed"] = "true"
        return response

    def after(self, response: Response) -> Response:
        """Keep a success for replay; free the key of anything else."""
        claimed = getattr(g, "idempotency", None)
        if not claimed:
            return response
        self.db.session.rollback()  # never carry the view's leftovers into this commit
        record = self.db.session.get(self.model, claimed)
        if record is None:
            return response
        body = "" if response.is_streamed else response.get_data(as_text=True)
        if 200 <= response.status_code < 300 and body and len(body) <= _MAX_STORED_BODY:
            record.status = response.status_code
            record.content_type = response.content_type or "application/json"
            record.body = body
        else:
            # Only successes are replayed: a refused or failed request may be sent again.
            self.db.session.delete(record)
        self.db.session.commit()
        return response


def init_idempotency(app: Flask, db: SQLAlchemy, model: type[IdempotencyRecordMixin]) -> None:
    """Replay or refuse repeated POSTs that carry an Idempotency-Key."""
    guard = _Guard(db, model)
    app.before_request(guard.before)
    app.after_request(guard.after)


def purge_expired(db: SQLAlchemy, model: type[IdempotencyRecordMixin]) -> int:
    """Delete records older than the retention; returns how many."""
    cutoff = utcnow() - RETENTION
    # A DELETE gives a CursorResult, which counts the rows.
    result = cast(
        "CursorResult[Any]", db.session.execute(delete(model).where(model.created_at < cutoff))
    )
    db.session.commit()
    return result.rowcount or 0


__all__ = ["HEADER", "IdempotencyRecordMixin", "init_idempotency", "purge_expired"]

"""Idempotency-Key for POSTs: the same key and body answers the first result again.

Every POST that succeeds with a key is remembered for 24 hours per caller; the same
key with another body is 422. Each service keeps the records in its own table,
declared from `IdempotencyRecordMixin`.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from flask import Flask, Response, g, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, Integer, String, Text, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from .db import utcnow
from .problems import problem_response

HEADER = "Idempotency-Key"
RETENTION = timedelta(hours=24)
_MAX_STORED_BODY = 1024 * 1024


class IdempotencyRecordMixin:
    """Columns of the per-service `idempotency_records` table."""

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


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


def init_idempotency(app: Flask, db: SQLAlchemy, model: type[IdempotencyRecordMixin]) -> None:
    """Replay or refuse repeated POSTs that carry an Idempotency-Key."""

    def claim(principal_id: str, key: str, request_hash: str) -> bool:
        """Record the key as in progress; False when a twin holds it already."""
        db.session.add(
            model(
                principal_id=principal_id,
                key=key,
                request_hash=request_hash,
                status=IN_PROGRESS,
                content_type="",
                body="",
            )
        )
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            return False
        return True

    @app.before_request
    def _replay() -> Response | None:
        key = request.headers.get(HEADER)
        principal = getattr(g, "principal", None)
        if request.method != "POST" or not key or principal is None:
            return None
        if len(key) > 200:
            return problem_response(422, "Idempotency-Key is longer than 200 characters.")
        request_hash = _request_hash()
        record = db.session.get(model, (principal.id, key))
        if record is not None:
            age = utcnow() - _aware(record.created_at)
            stale = age > RETENTION or (record.status == IN_PROGRESS and age > ABANDONED_AFTER)
            if stale:
                db.session.delete(record)
                db.session.commit()
                record = None
        if record is None:
            if not claim(principal.id, key, request_hash):
                record = db.session.get(model, (principal.id, key))
            else:
                g.idempotency = (principal.id, key)
                return None
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

    @app.after_request
    def _remember(response: Response) -> Response:
        claimed = getattr(g, "idempotency", None)
        if not claimed:
            return response
        db.session.rollback()  # never carry the view's leftovers into this commit
        record = db.session.get(model, claimed)
        if record is None:
            return response
        body = "" if response.is_streamed else response.get_data(as_text=True)
        if 200 <= response.status_code < 300 and body and len(body) <= _MAX_STORED_BODY:
            record.status = response.status_code
            record.content_type = response.content_type or "application/json"
            record.body = body
        else:
            # Only successes are replayed: a refused or failed request may be sent again.
            db.session.delete(record)
        db.session.commit()
        return response


def purge_expired(db: SQLAlchemy, model: type[IdempotencyRecordMixin]) -> int:
    """Delete records older than the retention; returns how many."""
    cutoff = utcnow() - RETENTION
    result = db.session.execute(delete(model).where(model.created_at < cutoff))
    db.session.commit()
    return result.rowcount or 0


__all__ = ["HEADER", "IdempotencyRecordMixin", "init_idempotency", "purge_expired"]

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


def _request_hash() -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.path.encode())
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def init_idempotency(app: Flask, db: SQLAlchemy, model: type[IdempotencyRecordMixin]) -> None:
    """Replay or refuse repeated POSTs that carry an Idempotency-Key."""

    @app.before_request
    def _replay() -> Response | None:
        key = request.headers.get(HEADER)
        principal = getattr(g, "principal", None)
        if request.method != "POST" or not key or principal is None:
            return None
        if len(key) > 200:
            return problem_response(422, "Idempotency-Key is longer than 200 characters.")
        g.idempotency = (principal.id, key, _request_hash())
        record = db.session.get(model, (principal.id, key))
        if record is None:
            return None
        created = record.created_at
        if created.tzinfo is None:  # SQLite returns naive datetimes
            created = created.replace(tzinfo=utcnow().tzinfo)
        if created < utcnow() - RETENTION:
            db.session.delete(record)
            db.session.commit()
            return None
        if record.request_hash != g.idempotency[2]:
            g.idempotency = None
            return problem_response(
                422,
                "This Idempotency-Key was already used with a different request body.",
                errors={HEADER: ["reused with a different request"]},
            )
        g.idempotency = None
        response = Response(record.body, status=record.status, content_type=record.content_type)
        response.headers["Idempotent-Replayed"] = "true"
        return response

    @app.after_request
    def _remember(response: Response) -> Response:
        pending = getattr(g, "idempotency", None)
        if not pending or not 200 <= response.status_code < 300 or response.is_streamed:
            return response
        body = response.get_data(as_text=True)
        if len(body) > _MAX_STORED_BODY:
            return response
        principal_id, key, request_hash = pending
        db.session.rollback()  # never carry the view's leftovers into this commit
        db.session.add(
            model(
                principal_id=principal_id,
                key=key,
                request_hash=request_hash,
                status=response.status_code,
                content_type=response.content_type or "application/json",
                body=body,
            )
        )
        try:
            db.session.commit()
        except IntegrityError:  # a concurrent twin stored it first
            db.session.rollback()
        return response


def purge_expired(db: SQLAlchemy, model: type[IdempotencyRecordMixin]) -> int:
    """Delete records older than the retention; returns how many."""
    cutoff = utcnow() - RETENTION
    result = db.session.execute(delete(model).where(model.created_at < cutoff))
    db.session.commit()
    return result.rowcount or 0


__all__ = ["HEADER", "IdempotencyRecordMixin", "init_idempotency", "purge_expired"]

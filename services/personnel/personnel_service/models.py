"""Personnel tables: people, their sign-in accounts, and the platform's event/idempotency tables."""

from __future__ import annotations

from datetime import datetime

from cakap_shared.db import new_id, utcnow
from cakap_shared.events import InboxEventMixin, OutboxDeliveryMixin, OutboxEventMixin
from cakap_shared.idempotency import IdempotencyRecordMixin
from sqlalchemy import DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db


class Person(db.Model):
    """A civil servant (with NIP) or a non-ASN trainer/admin (without)."""

    __tablename__ = "people"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    nip: Mapped[str | None] = mapped_column(String(18), unique=True, nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_code: Mapped[str | None] = mapped_column(String(50), nullable=True, index=True)
    position: Mapped[str | None] = mapped_column(String(200), nullable=True)
    grade: Mapped[str | None] = mapped_column(String(10), nullable=True)
    supervisor_id: Mapped[str | None] = mapped_column(
        ForeignKey("people.id"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    account: Mapped[Account | None] = relationship(back_populates="person", uselist=False)


class Account(db.Model):
    """How a person signs in: a login name (or their NIP), an argon2 hash, and roles."""

    __tablename__ = "accounts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), unique=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    roles: Mapped[str] = mapped_column(String(200), default="asn")
    is_active: Mapped[bool] = mapped_column(default=True)

    person: Mapped[Person] = relationship(back_populates="account")

    @property
    def role_list(self) -> list[str]:
        """Roles as a list."""
        return [r for r in self.roles.split(",") if r]


class LoginFailure(db.Model):
    """One failed sign-in, counted per user name and per address by every worker."""

    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(200))
    failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_login_failures_scope_time", "scope", "failed_at"),)


class OutboxEvent(OutboxEventMixin, db.Model):
    """Events personnel publishes."""


class OutboxDelivery(OutboxDeliveryMixin, db.Model):
    """Personnel's deliveries in flight."""


class InboxEvent(InboxEventMixin, db.Model):
    """Events personnel has handled."""


class IdempotencyRecord(IdempotencyRecordMixin, db.Model):
    """Remembered POST answers for Idempotency-Key."""

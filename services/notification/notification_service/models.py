"""Notification tables: contacts, inbox items, preferences, e-mail deliveries, digests."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from cakap_shared.db import new_id, utcnow
from cakap_shared.events import InboxEventMixin, OutboxDeliveryMixin, OutboxEventMixin
from cakap_shared.idempotency import IdempotencyRecordMixin
from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db

# Delivery states: waiting to be sent (now or later), in tomorrow's digest, sent,
# refused for good by the mail server (5xx), given up after the retries, nothing to send to.
PENDING, DIGEST, SENT, BOUNCED, FAILED, SKIPPED = (
    "pending",
    "digest",
    "sent",
    "bounced",
    "failed",
    "skipped",
)


class Contact(db.Model):
    """Whom to reach: a copy of personnel's person, refreshed by person.updated."""

    __tablename__ = "contacts"
    person_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    unit_code: Mapped[str | None] = mapped_column(String(50), nullable=True)
    supervisor_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    status: Mapped[str | None] = mapped_column(String(30), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Notification(db.Model):
    """One item in a person's inbox, made once per (event, person)."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("event_id", "person_id", name="uq_notification_event"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(String(36), index=True)
    event_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str] = mapped_column(String(300))
    body_en: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(500))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )

    @property
    def read(self) -> bool:
        return self.read_at is not None


class Preference(db.Model):
    """A person's choices: e-mail per kind (instant, digest, off) and quiet hours."""

    __tablename__ = "preferences"
    person_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    quiet_start: Mapped[int | None] = mapped_column(Integer, nullable=True)
    quiet_end: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Digest(db.Model):
    """One daily summary e-mail for one person."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("person_id", "day", name="uq_digest_person_day"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(String(36), index=True)
    day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Delivery(db.Model):
    """A notification on its way through one channel: unique per (event, person, channel)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "person_id", "channel", name="uq_delivery_event_channel"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    notification_id: Mapped[str] = mapped_column(ForeignKey("notifications.id"), index=True)
    event_id: Mapped[str] = mapped_column(String(36))
    person_id: Mapped[str] = mapped_column(String(36), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    address: Mapped[str | None] = mapped_column(String(254), nullable=True)
    digest_id: Mapped[str | None] = mapped_column(ForeignKey("digests.id"), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    notification: Mapped[Notification] = relationship()


class OutboxEvent(OutboxEventMixin, db.Model):
    """Unused while notification publishes nothing; the platform's tables stay uniform."""


class OutboxDelivery(OutboxDeliveryMixin, db.Model):
    pass


class InboxEvent(InboxEventMixin, db.Model):
    pass


class IdempotencyRecord(IdempotencyRecordMixin, db.Model):
    pass


class Nudge(db.Model):
    """A supervisor's reminder to a team member below the JP target: one per member and week.

    The unique (person, week) makes the limit hold when two supervisors press at once.
    """

    __tablename__ = "nudges"
    __table_args__ = (UniqueConstraint("person_id", "week", name="uq_nudge_person_week"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(String(36), index=True)
    sender_id: Mapped[str] = mapped_column(String(36), index=True)
    week: Mapped[str] = mapped_column(String(8))  # ISO week in CAKAP_TIMEZONE, e.g. 2026-W49
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Announcement(db.Model):
    """A BKPSDM announcement to everyone or to one unit and its sub-units.

    Its readers are fixed when it is sent: each gets an inbox item (event id = this id).
    """

    __tablename__ = "announcements"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    author_id: Mapped[str] = mapped_column(String(36))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    unit_code: Mapped[str | None] = mapped_column(String(50), nullable=True)  # None: everyone
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    # The last local day it is shown on the beranda (None: until read).
    expires_on: Mapped[date | None] = mapped_column(Date, nullable=True)

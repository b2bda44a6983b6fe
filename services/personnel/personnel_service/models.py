"""Personnel tables: units, people and their accounts, competencies, the JP ledger, events."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from cakap_shared.db import new_id, utcnow
from cakap_shared.events import InboxEventMixin, OutboxDeliveryMixin, OutboxEventMixin
from cakap_shared.idempotency import IdempotencyRecordMixin
from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db


class Unit(db.Model):
    """An organisational unit: an OPD (no parent) or one of its bidang, bagian, seksi."""

    __tablename__ = "units"
    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("units.code"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Person(db.Model):
    """A civil servant (with NIP) or a non-ASN trainer/admin (without)."""

    __tablename__ = "people"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    nip: Mapped[str | None] = mapped_column(String(18), unique=True, nullable=True)
    # Indexed with the id (ix_people_name_id below): the back office's people list is
    # sorted by name, ties by id, a page at a time.
    name: Mapped[str] = mapped_column(String(200))
    # Both derived from the NIP; kept as columns so reports need not parse NIPs.
    birth_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    sex: Mapped[str | None] = mapped_column(String(1), nullable=True)
    employment_type: Mapped[str | None] = mapped_column(String(10), nullable=True)
    unit_code: Mapped[str | None] = mapped_column(
        ForeignKey("units.code", name="fk_people_unit_code_units"), nullable=True, index=True
    )
    position: Mapped[str | None] = mapped_column(String(200), nullable=True)
    position_type: Mapped[str | None] = mapped_column(String(20), nullable=True)
    grade: Mapped[str | None] = mapped_column(String(10), nullable=True)
    supervisor_id: Mapped[str | None] = mapped_column(
        ForeignKey("people.id"), nullable=True, index=True
    )
    status: Mapped[str] = mapped_column(String(20), default="active", server_default="active")
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow, server_default=func.now()
    )

    account: Mapped[Account | None] = relationship(back_populates="person", uselist=False)

    # (grade, id): the list sorted by golongan, a page at a time, as by name.
    __table_args__ = (
        Index("ix_people_name_id", "name", "id"),
        Index("ix_people_grade_id", "grade", "id"),
    )


class PersonUnitHistory(db.Model):
    """Where a person worked from when to when; the open row (to_date None) is the current unit."""

    __tablename__ = "person_unit_history"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"))
    from_date: Mapped[date] = mapped_column(Date)
    to_date: Mapped[date | None] = mapped_column(Date, nullable=True)


class AccountState(StrEnum):
    """Where a person's account is: none yet, waiting for activation, in use, or locked."""

    NONE = "none"
    PENDING = "pending"
    ACTIVE = "active"
    DEACTIVATED = "deactivated"


class Account(db.Model):
    """How a person signs in: a login name (or their NIP), an argon2 hash, and roles.

    Pending (never activated): inactive, no deactivated_at. Active: signs in. Deactivated:
    inactive with deactivated_at set (retired, moved away); a new activation reopens it.
    """

    __tablename__ = "accounts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), unique=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    roles: Mapped[str] = mapped_column(String(200), default="asn")
    is_active: Mapped[bool] = mapped_column(default=True)
    # Set by an admin reset: the next sign-in gets a token that can only change the password.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    password_changed_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )

    person: Mapped[Person] = relationship(back_populates="account")

    @property
    def state(self) -> AccountState:
        """pending, active or deactivated."""
        if self.is_active:
            return AccountState.ACTIVE
        return AccountState.DEACTIVATED if self.deactivated_at is not None else AccountState.PENDING

    @property
    def role_list(self) -> list[str]:
        """Roles as a list."""
        return [r for r in self.roles.split(",") if r]


class AccountCode(db.Model):
    """A one-time code (activation or password reset), stored as its SHA-256 only."""

    __tablename__ = "account_codes"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # activation | reset
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RefreshToken(db.Model):
    """One refresh token (its SHA-256): used once, replaced by the next of its family."""

    __tablename__ = "refresh_tokens"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    family_id: Mapped[str] = mapped_column(String(36), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The family's end (the sign-in plus REFRESH_TOKEN_TTL): rotation never extends it.
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class LoginFailure(db.Model):
    """One failed sign-in, counted per user name and per address by every worker."""

    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(200))
    failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_login_failures_scope_time", "scope", "failed_at"),)


class PositionStandard(db.Model):
    """The level a position requires in one competency.

    `position` is either a position type ("pengawas": the managerial standard every
    pengawas shares) or a position name ("Pranata Komputer Ahli Pertama"), which
    overrides the type's level for the competencies it names.
    """

    __tablename__ = "position_standards"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    position: Mapped[str] = mapped_column(String(200))
    competency_code: Mapped[str] = mapped_column(String(50))
    required_level: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("position", "competency_code", name="uq_standard_position_code"),
        CheckConstraint("required_level BETWEEN 1 AND 5", name="ck_standard_level"),
    )


class CompetencyAssessment(db.Model):
    """One assessed level (1-5) of one competency of one person, with its source and date."""

    __tablename__ = "competency_assessments"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"))
    competency_code: Mapped[str] = mapped_column(String(50))
    level: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(30))
    assessed_on: Mapped[date] = mapped_column(Date)
    assessed_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    # What the level rests on when an event recorded it ("enrolment:<id>", "impact:<id>"):
    # one row per competency and piece of evidence, however often the event arrives.
    source_ref: Mapped[str | None] = mapped_column(String(80), nullable=True)
    # The evidence as a person reads it (the course title).
    evidence: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        Index("ix_assessments_person_code", "person_id", "competency_code"),
        CheckConstraint("level BETWEEN 1 AND 5", name="ck_assessment_level"),
        UniqueConstraint(
            "person_id", "competency_code", "source_ref", name="uq_assessment_evidence"
        ),
    )


class JpEntry(db.Model):
    """JP (jam pelajaran) earned by one person from one completed development activity."""

    __tablename__ = "jp_entries"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"))
    year: Mapped[int] = mapped_column(Integer)
    course_code: Mapped[str | None] = mapped_column(String(50), nullable=True)
    title: Mapped[str] = mapped_column(String(300))
    jp: Mapped[int] = mapped_column(Integer)
    form: Mapped[str] = mapped_column(String(50))
    completed_on: Mapped[date] = mapped_column(Date)
    # The catalog event that produced it: at most one entry per event.
    source_event_id: Mapped[str | None] = mapped_column(String(36), unique=True, nullable=True)
    evidence_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    recorded_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    # Covering (jp too): the people list's below-target test sums a person's year here.
    __table_args__ = (Index("ix_jp_entries_person_year_jp", "person_id", "year", "jp"),)


class JpTarget(db.Model):
    """A yearly JP target for an employment type, optionally only in one agency (root OPD)."""

    __tablename__ = "jp_targets"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    employment_type: Mapped[str] = mapped_column(String(10))
    # "" = every agency (NULL would not be unique on PostgreSQL).
    agency_code: Mapped[str] = mapped_column(String(50), default="")
    target: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("employment_type", "agency_code", name="uq_jp_target_type_agency"),
    )


class Appreciation(db.Model):
    """Recognition (apresiasi) a supervisor gave a subordinate, with the reason."""

    __tablename__ = "appreciations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    from_person_id: Mapped[str] = mapped_column(ForeignKey("people.id"))
    to_person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    # What it rests on: "training" (a course the person completed: course_code/title from
    # their JP ledger) or "improvement" (a shown improvement); None before these existed.
    basis: Mapped[str | None] = mapped_column(String(20), nullable=True)
    course_code: Mapped[str | None] = mapped_column(String(50), nullable=True)
    course_title: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    giver: Mapped[Person] = relationship(foreign_keys=[from_person_id], lazy="joined")
    receiver: Mapped[Person] = relationship(foreign_keys=[to_person_id], lazy="joined")


class ImportJob(db.Model):
    """A people import running in the background: its progress, then its counts and row errors."""

    __tablename__ = "import_jobs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    filename: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    stage: Mapped[str] = mapped_column(String(20), default="queued")
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    # JSON list of {"row", "field", "message"}; written once, when the job ends.
    errors: Mapped[str] = mapped_column(Text, default="[]")
    detail: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ImportJobPerson(db.Model):
    """A person an import job created: whom "activation for this import" reaches."""

    __tablename__ = "import_job_people"
    job_id: Mapped[str] = mapped_column(ForeignKey("import_jobs.id"), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), primary_key=True, index=True)


class AccountMail(db.Model):
    """An activation or reset e-mail someone asked for, handed to notification by an event.

    The event carries no code: notification asks for one (POST /account-mails/{id}/code)
    when it writes the mail, so no plaintext code sits in an outbox or an inbox.
    """

    __tablename__ = "account_mails"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # activation | reset
    created_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # After this, or after MAX_CODES_PER_MAIL codes, the request gives no more codes.
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    codes_issued: Mapped[int] = mapped_column(Integer, default=0)


class OutboxEvent(OutboxEventMixin, db.Model):
    """Events personnel publishes."""


class OutboxDelivery(OutboxDeliveryMixin, db.Model):
    """Personnel's deliveries in flight."""


class InboxEvent(InboxEventMixin, db.Model):
    """Events personnel has handled."""


class IdempotencyRecord(IdempotencyRecordMixin, db.Model):
    """Remembered POST answers for Idempotency-Key."""

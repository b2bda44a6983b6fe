"""Catalog tables: dictionary, providers, courses, classes, enrolments, budgets, events."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from cakap_shared.db import new_id, utcnow
from cakap_shared.events import InboxEventMixin, OutboxDeliveryMixin, OutboxEventMixin
from cakap_shared.idempotency import IdempotencyRecordMixin
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from .extensions import db

COMPETENCY_TYPES = ("teknis", "manajerial", "sosial_kultural")
PROVIDER_KINDS = (
    "internal_unit",
    "national_agency",
    "provincial_agency",
    "university",
    "professional_body",
    "private",
)
COURSE_FORMS = (
    "klasikal",
    "e_learning",
    "blended",
    "coaching",
    "mentoring",
    "magang",
    "seminar",
    "degree_programme",
)
# Classroom forms complete by the trainer under the course's rule (attendance, tests),
# never by themselves, even when they hold modules or a post test.
CLASSROOM_FORMS = ("klasikal", "blended")
DEFAULT_MIN_ATTENDANCE = 80


class CourseStatus(StrEnum):
    """Where a course is in its life: drafted, open to learners, closed."""

    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class EnrolmentStatus(StrEnum):
    """Where an enrolment is (domain/enrolment_transitions.py has the moves between them)."""

    REQUESTED = "requested"
    ENROLLED = "enrolled"
    WAITLISTED = "waitlisted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    COMPLETED = "completed"


COURSE_STATUSES = tuple(s.value for s in CourseStatus)
ENROLMENT_STATUSES = tuple(s.value for s in EnrolmentStatus)
# An active enrolment holds (or waits for) a place: one per learner per class.
ACTIVE_STATUSES = (
    EnrolmentStatus.REQUESTED,
    EnrolmentStatus.WAITLISTED,
    EnrolmentStatus.ENROLLED,
)
_ACTIVE_SQL = "status IN ('requested', 'waitlisted', 'enrolled')"


class StatusType(TypeDecorator[StrEnum]):
    """A StrEnum kept as its value in a plain string column: rows read back as members."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[StrEnum], length: int = 20) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> StrEnum | None:
        return None if value is None else self.enum(value)


class Competency(db.Model):
    """A competency of the national dictionary or an agency's technical one."""

    __tablename__ = "competencies"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # {"1": "...", ..., "5": "..."}: the behaviour indicator of each level.
    indicators: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Provider(db.Model):
    """Who runs a course: an internal unit, a national agency, a university ..."""

    __tablename__ = "providers"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    contact_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    contact_email: Mapped[str | None] = mapped_column(String(200), nullable=True)
    contact_phone: Mapped[str | None] = mapped_column(String(50), nullable=True)
    address: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Course(db.Model):
    """A course in the catalog; learners see it once published."""

    __tablename__ = "courses"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    form: Mapped[str] = mapped_column(String(30), index=True)
    jp: Mapped[int] = mapped_column(Integer, index=True)
    provider_id: Mapped[str | None] = mapped_column(
        ForeignKey("providers.id"), nullable=True, index=True
    )
    # Rupiah per participant; 0 = free (no budget involved).
    cost_per_participant: Mapped[int] = mapped_column(BigInteger, default=0)
    prerequisites: Mapped[list[str]] = mapped_column(JSON, default=list)
    pre_test_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    post_test_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    # Completion rule of hand-completed courses: the share of session days attended (None:
    # attendance is not required).
    min_attendance_percent: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[CourseStatus] = mapped_column(
        StatusType(CourseStatus), default=CourseStatus.DRAFT, index=True
    )

    @validates("status")
    def _status(self, _key: str, value: str) -> CourseStatus:
        # A member even before the row is read back: the API dumps it with fields.Enum.
        return CourseStatus(value)

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    provider: Mapped[Provider | None] = relationship(lazy="joined")
    competency_links: Mapped[list[CourseCompetency]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CourseCompetency.position"
    )
    module_links: Mapped[list[CourseModule]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CourseModule.position"
    )

    __table_args__ = (
        # Browsing sorts published courses by title: this index avoids sorting them all.
        Index("ix_courses_status_title", "status", "title"),
        CheckConstraint("jp > 0", name="ck_courses_jp_positive"),
        CheckConstraint("cost_per_participant >= 0", name="ck_courses_cost"),
        CheckConstraint(
            "min_attendance_percent IS NULL OR min_attendance_percent BETWEEN 0 AND 100",
            name="ck_courses_min_attendance",
        ),
    )

    @property
    def module_ids(self) -> list[str]:
        """The e-learning modules whose completion (with the post test) completes the course."""
        return [link.module_id for link in self.module_links]

    @property
    def competencies(self) -> list[dict[str, Any]]:
        """Targeted competencies with the level the course brings the learner to."""
        return [{"code": c.competency_code, "level": c.level} for c in self.competency_links]

    @property
    def is_classroom(self) -> bool:
        """Tatap muka or blended: completed by a trainer under the completion rule."""
        return self.form in CLASSROOM_FORMS

    @property
    def completes_by_itself(self) -> bool:
        """True when modules/post test complete it; else a trainer or admin completes it."""
        if self.is_classroom:
            return False
        return bool(self.module_links) or self.post_test_id is not None


class CourseCompetency(db.Model):
    """A competency a course targets, and the level it reaches."""

    __tablename__ = "course_competencies"
    course_id: Mapped[str] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True
    )
    competency_code: Mapped[str] = mapped_column(ForeignKey("competencies.code"), primary_key=True)
    level: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        # Covering index for the competency filter and recommendations.
        Index("ix_course_competencies_code_course", "competency_code", "course_id", "level"),
        CheckConstraint("level BETWEEN 1 AND 5", name="ck_course_comp_level"),
    )


class CourseModule(db.Model):
    """An e-learning module (elearning's id) belonging to a course, in order."""

    __tablename__ = "course_modules"
    course_id: Mapped[str] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True
    )
    module_id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class CourseClass(db.Model):
    """A class (angkatan) of a course: dates, place, capacity, enrolment window, trainers."""

    __tablename__ = "classes"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    course_id: Mapped[str] = mapped_column(ForeignKey("courses.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str | None] = mapped_column(String(300), nullable=True)
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    capacity: Mapped[int] = mapped_column(Integer)
    # Changed only by conditional UPDATEs (domain/enrolment_transitions): never read-modify-write.
    seats_taken: Mapped[int] = mapped_column(Integer, default=0)
    enrolment_opens_on: Mapped[date] = mapped_column(Date)
    enrolment_closes_on: Mapped[date] = mapped_column(Date)
    trainer_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    course: Mapped[Course] = relationship(lazy="joined")

    @property
    def enrolment_open(self) -> bool:
        """True when today lies inside the enrolment window."""
        from .domain import clock

        return self.enrolment_opens_on <= clock.today() <= self.enrolment_closes_on

    __table_args__ = (
        # Covering index for "has an open class" (window contains today).
        Index("ix_classes_window", "enrolment_closes_on", "enrolment_opens_on", "course_id"),
        CheckConstraint("capacity >= 1", name="ck_classes_capacity"),
        CheckConstraint("seats_taken >= 0 AND seats_taken <= capacity", name="ck_classes_seats"),
        CheckConstraint("ends_on >= starts_on", name="ck_classes_dates"),
        CheckConstraint("enrolment_closes_on >= enrolment_opens_on", name="ck_classes_window"),
    )


class Enrolment(db.Model):
    """A learner's place (or request for one) in a class."""

    __tablename__ = "enrolments"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    class_id: Mapped[str] = mapped_column(ForeignKey("classes.id"), index=True)
    course_id: Mapped[str] = mapped_column(ForeignKey("courses.id"), index=True)
    learner_id: Mapped[str] = mapped_column(String(36), index=True)
    # Snapshots from the learner's token, kept fresh by person.updated.
    learner_name: Mapped[str] = mapped_column(String(200), default="")
    unit_code: Mapped[str | None] = mapped_column(String(50), nullable=True, index=True)
    supervisor_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    status: Mapped[EnrolmentStatus] = mapped_column(
        StatusType(EnrolmentStatus), default=EnrolmentStatus.REQUESTED, index=True
    )

    @validates("status")
    def _status(self, _key: str, value: str) -> EnrolmentStatus:
        # A member even before the row is read back: the API dumps it with fields.Enum.
        return EnrolmentStatus(value)

    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    cost_reserved: Mapped[int] = mapped_column(BigInteger, default=0)
    budget_id: Mapped[str | None] = mapped_column(ForeignKey("budgets.id"), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    post_test_passed: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    waitlisted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    enrolled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    course_class: Mapped[CourseClass] = relationship(lazy="joined")
    completions: Mapped[list[ModuleCompletion]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    __table_args__ = (
        # One active enrolment per learner and class; a partial index works on both databases.
        Index(
            "uq_enrolments_active_learner_class",
            "class_id",
            "learner_id",
            unique=True,
            sqlite_where=text(_ACTIVE_SQL),
            postgresql_where=text(_ACTIVE_SQL),
        ),
        Index("ix_enrolments_class_status", "class_id", "status"),
    )

    @property
    def completed_module_ids(self) -> list[str]:
        """Modules of the course the learner has completed while enrolled."""
        return sorted(c.module_id for c in self.completions)


class ModuleCompletion(db.Model):
    """A module.completed signal recorded on an enrolment."""

    __tablename__ = "enrolment_module_completions"
    enrolment_id: Mapped[str] = mapped_column(
        ForeignKey("enrolments.id", ondelete="CASCADE"), primary_key=True
    )
    module_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    completed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ClassSession(db.Model):
    """A session day of a class (tatap muka), between its start and end."""

    __tablename__ = "class_sessions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    class_id: Mapped[str] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)

    __table_args__ = (UniqueConstraint("class_id", "day", name="uq_class_sessions_day"),)


class Attendance(db.Model):
    """A learner present on a session day."""

    __tablename__ = "attendances"
    session_id: Mapped[str] = mapped_column(
        ForeignKey("class_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    enrolment_id: Mapped[str] = mapped_column(
        ForeignKey("enrolments.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    recorded_by: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


PLAN_STATUSES = ("draft", "submitted", "approved", "returned")


class DevelopmentPlan(db.Model):
    """An ASN's personal development plan for a year: courses they intend to take, which
    their supervisor approves or returns with a comment."""

    __tablename__ = "development_plans"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(String(36))
    year: Mapped[int] = mapped_column(Integer)
    # Snapshots from the person's token (as on enrolments): who decides, and the team lists.
    person_name: Mapped[str] = mapped_column(String(200), default="")
    unit_code: Mapped[str | None] = mapped_column(String(50), nullable=True)
    supervisor_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    supervisor_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    items: Mapped[list[DevelopmentPlanItem]] = relationship(
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="DevelopmentPlanItem.added_at, DevelopmentPlanItem.id",
    )

    __table_args__ = (
        UniqueConstraint("person_id", "year", name="uq_development_plans_person_year"),
        CheckConstraint(
            "status IN ('draft', 'submitted', 'approved', 'returned')",
            name="ck_development_plans_status",
        ),
        Index("ix_development_plans_supervisor_status", "supervisor_id", "status"),
    )


class DevelopmentPlanItem(db.Model):
    """A course in a development plan, with the person's note on why."""

    __tablename__ = "development_plan_items"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    plan_id: Mapped[str] = mapped_column(
        ForeignKey("development_plans.id", ondelete="CASCADE"), index=True
    )
    course_id: Mapped[str] = mapped_column(ForeignKey("courses.id"), index=True)
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    course: Mapped[Course] = relationship(lazy="joined")

    __table_args__ = (
        UniqueConstraint("plan_id", "course_id", name="uq_development_plan_items_course"),
    )


class Budget(db.Model):
    """A unit's training budget for one year (rupiah); `reserved` moves only atomically."""

    __tablename__ = "budgets"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    unit_code: Mapped[str] = mapped_column(String(50))
    year: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(BigInteger)
    reserved: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        UniqueConstraint("unit_code", "year", name="uq_budgets_unit_year"),
        CheckConstraint("amount >= 0", name="ck_budgets_amount"),
        CheckConstraint("reserved >= 0", name="ck_budgets_reserved"),
    )


class BudgetOverride(db.Model):
    """An admin's approval beyond the budget, with the reason given."""

    __tablename__ = "budget_overrides"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    budget_id: Mapped[str] = mapped_column(ForeignKey("budgets.id"), index=True)
    enrolment_id: Mapped[str] = mapped_column(ForeignKey("enrolments.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OutboxEvent(OutboxEventMixin, db.Model):
    """Events catalog publishes."""


class OutboxDelivery(OutboxDeliveryMixin, db.Model):
    """Catalog's deliveries in flight."""


class InboxEvent(InboxEventMixin, db.Model):
    """Events catalog has handled."""


class IdempotencyRecord(IdempotencyRecordMixin, db.Model):
    """Remembered POST answers for Idempotency-Key."""

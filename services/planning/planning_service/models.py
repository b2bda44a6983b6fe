"""Planning tables: plans with their assignments and the admin's pins, mandatory trainings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cakap_shared.db import new_id, utcnow
from cakap_shared.idempotency import IdempotencyRecordMixin
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db

PLAN_STATUSES = ("optimal", "feasible", "infeasible")
DECISIONS = ("pin", "forbid")


class Plan(db.Model):
    """A yearly development plan of a unit (or the city, unit_code "*") within a budget."""

    __tablename__ = "plans"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    unit_code: Mapped[str] = mapped_column(String(50), index=True)
    year: Mapped[int] = mapped_column(Integer)
    budget: Mapped[int] = mapped_column(BigInteger)
    max_classes_per_person: Mapped[int] = mapped_column(Integer)
    max_days_away: Mapped[int] = mapped_column(Integer)
    class_ids: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    objective: Mapped[int] = mapped_column(BigInteger, default=0)
    bound: Mapped[int] = mapped_column(BigInteger, default=0)
    spent: Mapped[int] = mapped_column(BigInteger, default=0)
    levels_closed: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    candidates: Mapped[int] = mapped_column(Integer, default=0)
    pruned: Mapped[int] = mapped_column(Integer, default=0)
    # What the next 10, 50 and 100 million rupiah would add.
    margins: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    unmet: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    notes: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The people and classes the plan was solved on, so a re-solve needs no peer and
    # changes only what the admin changed.
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    enrolled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    assignments: Mapped[list[Assignment]] = relationship(
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="(Assignment.person_name, Assignment.class_id)",
    )
    decisions: Mapped[list[Decision]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="Decision.created_at"
    )

    __table_args__ = (CheckConstraint("budget >= 0", name="ck_plans_budget"),)


class Assignment(db.Model):
    """One person in one class, and why."""

    __tablename__ = "plan_assignments"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[str] = mapped_column(String(36))
    person_name: Mapped[str] = mapped_column(String(200), default="")
    class_id: Mapped[str] = mapped_column(String(36))
    class_name: Mapped[str] = mapped_column(String(300), default="")
    course_code: Mapped[str] = mapped_column(String(40), default="")
    cost: Mapped[int] = mapped_column(BigInteger, default=0)
    gap_closed: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(Text, default="")
    # [{competency_code, from_level, to_level}] credited to this assignment.
    closes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    mandatory: Mapped[bool] = mapped_column(Boolean, default=False)
    below_jp: Mapped[bool] = mapped_column(Boolean, default=False)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    enrolment_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    enrolment_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    enrolment_problem: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        UniqueConstraint("plan_id", "person_id", "class_id", name="uq_assignment_pair"),
    )


class Decision(db.Model):
    """The admin's edit of a draft: this person must (pin) or must not (forbid) take this class."""

    __tablename__ = "plan_decisions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[str] = mapped_column(String(36))
    class_id: Mapped[str] = mapped_column(String(36))
    decision: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        UniqueConstraint("plan_id", "person_id", "class_id", name="uq_decision_pair"),
    )


class MandatoryTraining(db.Model):
    """A course some people must attend (e.g. Latsar for new CPNS, PKP for new pengawas)."""

    __tablename__ = "mandatory_trainings"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    course_code: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300), default="")
    # Who: a position type, appointed within so many months before the plan year; either
    # may be empty (any).
    position_type: Mapped[str | None] = mapped_column(String(20), nullable=True)
    appointed_within_months: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IdempotencyRecord(IdempotencyRecordMixin, db.Model):
    """Remembered POST answers for Idempotency-Key."""

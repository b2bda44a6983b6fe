"""Evaluation tables: banks, questions, assessments, attempts, certificates, surveys, impact."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from cakap_shared.db import new_id, utcnow
from cakap_shared.events import InboxEventMixin, OutboxDeliveryMixin, OutboxEventMixin
from cakap_shared.idempotency import IdempotencyRecordMixin
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    select,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from .extensions import db


class AssessmentKind(StrEnum):
    """What an assessment is for (stored as its value)."""

    PRE_TEST = "pre_test"
    POST_TEST = "post_test"
    EXAM = "exam"


class AttemptStatus(StrEnum):
    """An attempt is open until submitted, or expired when its deadline closed it."""

    OPEN = "open"
    SUBMITTED = "submitted"
    EXPIRED = "expired"


OPEN, SUBMITTED, EXPIRED = AttemptStatus.OPEN, AttemptStatus.SUBMITTED, AttemptStatus.EXPIRED


class QuestionBank(db.Model):
    """A trainer's collection of questions, tagged by competency and level."""

    __tablename__ = "question_banks"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(String(80), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    questions: Mapped[list[Question]] = relationship(
        back_populates="bank", cascade="all, delete-orphan", order_by="Question.position"
    )


class Question(db.Model):
    """One question; `body` is the canonical dict of questions.model (answers included).

    Questions written inline in an assessment belong to no bank (bank_id is null).
    """

    __tablename__ = "questions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    bank_id: Mapped[str | None] = mapped_column(
        ForeignKey("question_banks.id"), nullable=True, index=True
    )
    owner_id: Mapped[str] = mapped_column(String(80), index=True)
    type: Mapped[str] = mapped_column(String(20))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    level: Mapped[int | None] = mapped_column(Integer, nullable=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    bank: Mapped[QuestionBank | None] = relationship(back_populates="questions")


# How many questions a bank holds, loaded with the bank itself (a correlated subquery).
QuestionBank.question_count = column_property(
    select(func.count(Question.id))
    .where(Question.bank_id == QuestionBank.id)
    .correlate_except(Question)
    .scalar_subquery()
)


class Assessment(db.Model):
    """A pre test, post test or exam: fixed questions or a draw rule, and its rules."""

    __tablename__ = "assessments"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(String(80), index=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    course_code: Mapped[str | None] = mapped_column(String(50), nullable=True, index=True)
    passing_score: Mapped[float] = mapped_column(Float)
    time_limit_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_attempts: Mapped[int | None] = mapped_column(Integer, nullable=True)
    shuffle: Mapped[bool] = mapped_column(Boolean, default=False)
    show_feedback: Mapped[bool] = mapped_column(Boolean, default=True)
    # Ordered question ids for a fixed assessment; empty when `draw` is set.
    question_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    # {"bank_id", "tags": [...], "count"}: each attempt draws its own questions.
    draw: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Attempt(db.Model):
    """One learner's sitting of an assessment, with the questions exactly as served.

    `snapshot` is [{"id", "question" (with answers), "order" (original choice index
    per presented position)}]: grading never depends on later edits of the bank.
    `responses` holds autosaved answers in presented choice order.
    """

    __tablename__ = "attempts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    assessment_id: Mapped[str] = mapped_column(ForeignKey("assessments.id"), index=True)
    learner_id: Mapped[str] = mapped_column(String(80), index=True)
    number: Mapped[int] = mapped_column(Integer, default=1)
    snapshot: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    responses: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    course_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    class_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    unit_code: Mapped[str | None] = mapped_column(String(50), nullable=True, index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default=OPEN, index=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    passed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    results: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    # True from submission until a trainer has graded every essay of the attempt.
    pending_review: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), index=True
    )
    # {question id: {"score" 0..1, "comment", "graded_by", "graded_at"}} for essays.
    manual_grades: Mapped[dict[str, dict[str, Any]] | None] = mapped_column(
        JSON, nullable=True, default=dict
    )
    # When assessment.passed went out: an attempt passes at most once, even if re-graded.
    passed_published_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )

    assessment: Mapped[Assessment] = relationship()

    __table_args__ = (UniqueConstraint("assessment_id", "learner_id", "number"),)


class Course(db.Model):
    """What evaluation knows of a catalog course (from course.published/enrolment.completed)."""

    __tablename__ = "courses"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(50), index=True)
    title: Mapped[str] = mapped_column(String(300))
    pre_test_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    post_test_id: Mapped[str | None] = mapped_column(String(36), nullable=True)


class Completion(db.Model):
    """A completed enrolment as catalog announced it: the root of L1, L3 and certificates."""

    __tablename__ = "completions"
    enrolment_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    learner_id: Mapped[str] = mapped_column(String(80), index=True)
    learner_name: Mapped[str] = mapped_column(String(200), default="")
    unit_code: Mapped[str | None] = mapped_column(String(50), nullable=True, index=True)
    course_id: Mapped[str] = mapped_column(String(36), index=True)
    course_code: Mapped[str] = mapped_column(String(50), index=True)
    course_title: Mapped[str] = mapped_column(String(300))
    jp: Mapped[int] = mapped_column(Integer, default=0)
    class_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    class_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    trainer_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    competencies: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    starts_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    completed_on: Mapped[date] = mapped_column(Date)


class Certificate(db.Model):
    """A certificate of completion; `code` is the unguessable public verification key."""

    __tablename__ = "certificates"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    serial: Mapped[int] = mapped_column(Integer)
    enrolment_id: Mapped[str] = mapped_column(String(36), unique=True)
    learner_id: Mapped[str] = mapped_column(String(80), index=True)
    name: Mapped[str] = mapped_column(String(200))
    nip: Mapped[str | None] = mapped_column(String(18), nullable=True)
    grade: Mapped[str | None] = mapped_column(String(20), nullable=True)
    position: Mapped[str | None] = mapped_column(String(200), nullable=True)
    agency: Mapped[str | None] = mapped_column(String(200), nullable=True)
    course_id: Mapped[str] = mapped_column(String(36))
    course_code: Mapped[str] = mapped_column(String(50))
    course_title: Mapped[str] = mapped_column(String(300))
    class_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    jp: Mapped[int] = mapped_column(Integer, default=0)
    starts_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    completed_on: Mapped[date] = mapped_column(Date)
    issued_on: Mapped[date] = mapped_column(Date)

    __table_args__ = (UniqueConstraint("year", "serial"),)


class SurveyTemplate(db.Model):
    """A Likert questionnaire: items [{"key", "dimension", "text"}], each rated 1..5."""

    __tablename__ = "survey_templates"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class Survey(db.Model):
    """A reaction survey sent to one learner for one completed enrolment, and its answer."""

    __tablename__ = "surveys"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    template_id: Mapped[str] = mapped_column(ForeignKey("survey_templates.id"))
    enrolment_id: Mapped[str] = mapped_column(String(36), unique=True)
    learner_id: Mapped[str] = mapped_column(String(80), index=True)
    course_id: Mapped[str] = mapped_column(String(36))
    course_code: Mapped[str] = mapped_column(String(50), index=True)
    course_title: Mapped[str] = mapped_column(String(300))
    class_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    trainer_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    ratings: Mapped[dict[str, int] | None] = mapped_column(JSON, nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)

    template: Mapped[SurveyTemplate] = relationship()


class ImpactEvaluation(db.Model):
    """The post-training behaviour/results evaluation by the supervisor (or the learner)."""

    __tablename__ = "impact_evaluations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    enrolment_id: Mapped[str] = mapped_column(String(36), index=True)
    evaluator_role: Mapped[str] = mapped_column(String(20))  # supervisor | self
    evaluator_id: Mapped[str | None] = mapped_column(String(80), nullable=True, index=True)
    learner_id: Mapped[str] = mapped_column(String(80), index=True)
    learner_name: Mapped[str] = mapped_column(String(200), default="")
    unit_code: Mapped[str | None] = mapped_column(String(50), nullable=True, index=True)
    course_id: Mapped[str] = mapped_column(String(36))
    course_code: Mapped[str] = mapped_column(String(50), index=True)
    course_title: Mapped[str] = mapped_column(String(300))
    class_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    competencies: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    completed_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    reminded_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # the day impact_evaluation.due went out (on or after due_on), once
    due_notified_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    escalated_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    escalated_to: Mapped[str | None] = mapped_column(String(80), nullable=True, index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    submitted_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    submission: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    impact_rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    behaviour_average: Mapped[float | None] = mapped_column(Float, nullable=True)

    __table_args__ = (UniqueConstraint("enrolment_id", "evaluator_role"),)


class OutboxEvent(OutboxEventMixin, db.Model):
    """Events evaluation publishes."""


class OutboxDelivery(OutboxDeliveryMixin, db.Model):
    """Evaluation's deliveries in flight."""


class InboxEvent(InboxEventMixin, db.Model):
    """Events evaluation has handled."""


class IdempotencyRecord(IdempotencyRecordMixin, db.Model):
    """Remembered POST answers for Idempotency-Key."""

"""Elearning tables: modules and their versions, attempts with their runtime state, events."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from cakap_shared.db import new_id, utcnow
from cakap_shared.events import InboxEventMixin, OutboxDeliveryMixin, OutboxEventMixin
from cakap_shared.idempotency import IdempotencyRecordMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from .extensions import db


class ModuleKind(StrEnum):
    """What a module plays: a SCORM package or one PDF, video or Markdown page."""

    SCORM12 = "scorm12"
    SCORM2004 = "scorm2004"
    PDF = "pdf"
    VIDEO = "video"
    PAGE = "page"


SCORM_KINDS = (ModuleKind.SCORM12, ModuleKind.SCORM2004)


class Mode(StrEnum):
    """How an attempt was launched: "normal" counts toward completion; "review" (a learner
    replaying a completed course) and "preview" (the module's owner or an admin seeing it
    as a learner does) run with no credit and never change progress, completion, JP or
    certificates."""

    NORMAL = "normal"
    REVIEW = "review"
    PREVIEW = "preview"


# The open_slot each mode takes: one open attempt per learner, module and mode.
OPEN_SLOTS = {Mode.NORMAL: "1", Mode.REVIEW: "r", Mode.PREVIEW: "p"}


class AttemptStatus(StrEnum):
    """An open attempt is resumed by the next launch; a closed one never again."""

    OPEN = "open"
    CLOSED = "closed"


class Completion(StrEnum):
    """An attempt's (or a learner's best) completion."""

    NOT_ATTEMPTED = "not_attempted"
    INCOMPLETE = "incomplete"
    COMPLETED = "completed"


class Success(StrEnum):
    """Whether the content says the learner passed."""

    UNKNOWN = "unknown"
    PASSED = "passed"
    FAILED = "failed"


class EnumString(TypeDecorator[StrEnum]):
    """A StrEnum kept as its plain value in a string column (the columns predate the enums):
    rows read back as members, and only members' values can be written."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[StrEnum], length: int) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: Any, dialect: Any) -> StrEnum | None:
        return None if value is None else self.enum(value)


class Module(db.Model):
    """A content module a trainer uploaded; its content lives in versions."""

    __tablename__ = "modules"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[ModuleKind] = mapped_column(EnumString(ModuleKind, 20))
    owner_id: Mapped[str] = mapped_column(String(80), index=True)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    versions: Mapped[list[ModuleVersion]] = relationship(
        back_populates="module", order_by="ModuleVersion.number"
    )

    __table_args__ = (
        CheckConstraint(
            "kind IN ('scorm12', 'scorm2004', 'pdf', 'video', 'page')", name="ck_modules_kind"
        ),
    )

    @validates("kind")
    def _kind(self, _: str, value: str) -> ModuleKind:
        return ModuleKind(value)

    def version(self, number: int | None = None) -> ModuleVersion:
        """One version (the current one by default)."""
        wanted = number or self.current_version
        return next(v for v in self.versions if v.number == wanted)

    @property
    def launch_url(self) -> str:
        """Where a learner POSTs to launch the module (the API's public address)."""
        return f"/api/v1/modules/{self.id}/attempts"

    @property
    def scos(self) -> list[dict[str, Any]] | None:
        """The current version's launchable items for SCORM, in manifest order; else None."""
        if self.kind not in SCORM_KINDS:
            return None
        return self.version().info["scos"]


class ModuleVersion(db.Model):
    """One upload of a module: where its files are and what its manifest says."""

    __tablename__ = "module_versions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    module_id: Mapped[str] = mapped_column(ForeignKey("modules.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[ModuleKind] = mapped_column(EnumString(ModuleKind, 20))
    storage_key: Mapped[str] = mapped_column(String(128), unique=True)
    # {"title", "scos": [{identifier, title, href, scorm_type, mastery_score, ...}],
    #  "mastery_score", "edition", "launch"} - what the player and the rollup need.
    summary: Mapped[str] = mapped_column(Text)
    uploaded_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    module: Mapped[Module] = relationship(back_populates="versions")

    __table_args__ = (UniqueConstraint("module_id", "number", name="uq_module_version_number"),)

    @validates("kind")
    def _kind(self, _: str, value: str) -> ModuleKind:
        return ModuleKind(value)

    @property
    def info(self) -> dict[str, Any]:
        """The summary as a dict."""
        return json.loads(self.summary)


class Attempt(db.Model):
    """A learner's run through one module version, with the runtime state per SCO."""

    __tablename__ = "attempts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    learner_id: Mapped[str] = mapped_column(String(80), index=True)
    learner_name: Mapped[str] = mapped_column(String(200), default="")
    module_id: Mapped[str] = mapped_column(ForeignKey("modules.id"), index=True)
    # Pinned at start: a re-upload never changes what an open attempt plays.
    version_id: Mapped[str] = mapped_column(ForeignKey("module_versions.id"))
    number: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[AttemptStatus] = mapped_column(
        EnumString(AttemptStatus, 10), default=AttemptStatus.OPEN
    )
    mode: Mapped[Mode] = mapped_column(
        EnumString(Mode, 10), default=Mode.NORMAL, server_default="normal"
    )
    # OPEN_SLOTS[mode] while open, NULL once closed: the unique constraint allows one open
    # attempt per mode (a review never resumes, or blocks, the counting attempt).
    open_slot: Mapped[str | None] = mapped_column(String(1), nullable=True, default="1")
    # {"<sco identifier>": {"cmi.element": "value", ...}}
    cmi: Mapped[str] = mapped_column(Text, default="{}")
    completion: Mapped[Completion] = mapped_column(
        EnumString(Completion, 20), default=Completion.NOT_ATTEMPTED
    )
    success: Mapped[Success] = mapped_column(EnumString(Success, 10), default=Success.UNKNOWN)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    total_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    launch_nonce: Mapped[str] = mapped_column(String(40))
    completed_published: Mapped[bool] = mapped_column(Boolean, default=False)
    passed_published: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # When catalog last allowed a runtime commit of this attempt (domain/launches.py): the
    # next commits rely on it for LAUNCH_ACCESS_TTL_SECONDS; any refusal clears it.
    access_confirmed_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    # Optimistic locking: two commits racing on one attempt cannot lose each other's data.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    version: Mapped[ModuleVersion] = relationship()
    module: Mapped[Module] = relationship()

    __mapper_args__ = {"version_id_col": revision}
    __table_args__ = (
        UniqueConstraint("learner_id", "module_id", "open_slot", name="uq_attempt_one_open"),
        CheckConstraint("mode IN ('normal', 'review', 'preview')", name="ck_attempts_mode"),
        Index("ix_attempts_module_learner", "module_id", "learner_id"),
    )

    @validates("status", "mode", "completion", "success")
    def _state(self, key: str, value: str) -> StrEnum:
        # A state set from a plain string (an API argument, the SCORM engine's rollup)
        # is a member at once, as it is when read back from the database.
        return _STATES[key](value)

    @property
    def counts(self) -> bool:
        """Whether this attempt counts toward completion (only a normal launch does)."""
        return self.mode == Mode.NORMAL

    @property
    def state(self) -> dict[str, dict[str, Any]]:
        """The runtime state per SCO (element -> value), and the 2004 sequencing tracking."""
        return json.loads(self.cmi or "{}")


_STATES: dict[str, type[StrEnum]] = {
    "status": AttemptStatus,
    "mode": Mode,
    "completion": Completion,
    "success": Success,
}


class LearnerObjective(db.Model):
    """A learner's global objective shared by every module whose manifest keeps its
    globals system-wide (SCORM 2004 adlseq:objectivesGlobalToSystem, true by default).

    Globals of a package that keeps them per attempt live in that attempt's state.
    """

    __tablename__ = "learner_objectives"
    learner_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    objective_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    status_known: Mapped[bool] = mapped_column(Boolean, default=False)
    satisfied: Mapped[bool] = mapped_column(Boolean, default=False)
    measure_known: Mapped[bool] = mapped_column(Boolean, default=False)
    measure: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def record(self) -> dict[str, Any]:
        """The objective as the sequencing engine keeps it."""
        return {
            "status_known": self.status_known,
            "satisfied": self.satisfied,
            "measure_known": self.measure_known,
            "measure": self.measure,
        }


class OutboxEvent(OutboxEventMixin, db.Model):
    """Events elearning publishes."""


class OutboxDelivery(OutboxDeliveryMixin, db.Model):
    """Elearning's deliveries in flight."""


class InboxEvent(InboxEventMixin, db.Model):
    """Events elearning has handled."""


class IdempotencyRecord(IdempotencyRecordMixin, db.Model):
    """Remembered POST answers for Idempotency-Key."""

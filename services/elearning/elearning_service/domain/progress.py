"""Progress: a learner's per module, and a module's per class roster.

Only counting (normal) attempts are progress: reviews and previews never count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from cakap_shared.auth import Principal
from cakap_shared.problems import CakapError
from sqlalchemy import select

from ..clients.catalog import ServiceUnavailable, catalog, unavailable
from ..extensions import db
from ..models import Attempt, Completion, Mode, Module, ModuleKind, Success
from .modules import get_module

_RANK = {Completion.NOT_ATTEMPTED: 0, Completion.INCOMPLETE: 1, Completion.COMPLETED: 2}


@dataclass(frozen=True)
class Summary:
    """Best status and score over a learner's attempts on one module, total time of all."""

    status: Completion = Completion.NOT_ATTEMPTED
    success: Success = Success.UNKNOWN
    score: float | None = None
    total_time: float = 0.0
    attempts: int = 0
    last_activity: datetime | None = None


@dataclass(frozen=True)
class ModuleProgress:
    """One learner's progress in one module (best attempt): the module and its Summary."""

    module_id: str
    title: str
    kind: ModuleKind
    status: Completion
    success: Success
    score: float | None
    total_time: float
    attempts: int
    last_activity: datetime | None


@dataclass(frozen=True)
class LearnerProgress:
    """A learner's progress per module."""

    learner_id: str
    items: list[ModuleProgress]


@dataclass(frozen=True)
class RosterProgress:
    """One roster member's progress in the module."""

    learner_id: str
    name: str
    status: Completion
    score: float | None
    total_time: float
    attempts: int

    @property
    def started(self) -> bool:
        """Whether the learner launched the module at least once."""
        return self.attempts > 0

    @property
    def completed(self) -> bool:
        """Whether one of the learner's attempts completed the module."""
        return self.status == Completion.COMPLETED


@dataclass(frozen=True)
class ClassProgress:
    """A module's progress in one class."""

    module_id: str
    class_id: str
    items: list[RosterProgress]

    @property
    def learners(self) -> int:
        """Members of the roster."""
        return len(self.items)

    @property
    def started(self) -> int:
        """Members who launched the module."""
        return sum(i.started for i in self.items)

    @property
    def completed(self) -> int:
        """Members who completed it."""
        return sum(i.completed for i in self.items)

    @property
    def average_score(self) -> float | None:
        """The mean of the members' best scores, None when nobody has one."""
        scores = [i.score for i in self.items if i.score is not None]
        return round(sum(scores) / len(scores), 2) if scores else None

    @property
    def total_time(self) -> float:
        """Seconds all members spent in the module."""
        return round(sum(i.total_time for i in self.items), 2)


def summarise(attempts: Iterable[Attempt]) -> Summary:
    """Best status and score over a learner's attempts on one module, total time of all."""
    rows = list(attempts)
    if not rows:
        return Summary()
    best = max(
        rows, key=lambda a: (_RANK[a.completion], a.success == Success.PASSED, a.score or -1)
    )
    scores = [a.score for a in rows if a.score is not None]
    return Summary(
        status=best.completion,
        success=best.success,
        score=max(scores) if scores else None,
        total_time=round(sum(a.total_seconds for a in rows), 2),
        attempts=len(rows),
        last_activity=max(a.updated_at for a in rows),
    )


def learner_progress(who: Principal, learner_id: str | None) -> LearnerProgress:
    """Per module: status, score, total time and attempts (yourself, or anyone for admins)."""
    learner_id = learner_id or who.id
    if learner_id != who.id and not (who.is_admin or who.is_service):
        raise CakapError(403, "You may only see your own progress.")
    attempts = db.session.scalars(
        select(Attempt)
        .where(Attempt.learner_id == learner_id, Attempt.mode == Mode.NORMAL)
        .order_by(Attempt.started_at)
    ).all()
    by_module: dict[str, list[Attempt]] = defaultdict(list)
    for attempt in attempts:
        by_module[attempt.module_id].append(attempt)
    items = []
    for module_id, rows in by_module.items():
        module = db.session.get(Module, module_id)
        assert module is not None
        summary = asdict(summarise(rows))
        items.append(
            ModuleProgress(module_id=module_id, title=module.title, kind=module.kind, **summary)
        )
    return LearnerProgress(learner_id, items)


def class_progress(who: Principal, module_id: str, class_id: str) -> ClassProgress:
    """Who of a class started and completed the module, their scores and time (class
    trainer or admin); catalog, asked for the class and its roster, must answer (503)."""
    module = get_module(module_id)
    if not (who.is_admin or who.has_role("trainer")):
        raise CakapError(403, "Only the class's trainers or an administrator see its progress.")
    try:
        roster = _class_roster(class_id, module.id, who)
    except ServiceUnavailable:
        raise unavailable() from None
    members = [m for m in map(_member, roster.get("items") or []) if m]
    ids = [m[0] for m in members]
    attempts = (
        db.session.scalars(
            select(Attempt).where(
                Attempt.module_id == module.id,
                Attempt.learner_id.in_(ids),
                Attempt.mode == Mode.NORMAL,
            )
        ).all()
        if ids
        else []
    )
    by_learner: dict[str, list[Attempt]] = defaultdict(list)
    for attempt in attempts:
        by_learner[attempt.learner_id].append(attempt)
    items = []
    for learner_id, name in members:
        s = summarise(by_learner.get(learner_id, []))
        items.append(RosterProgress(learner_id, name, s.status, s.score, s.total_time, s.attempts))
    return ClassProgress(module.id, class_id, items)


def _member(entry: Any) -> tuple[str, str] | None:
    """(learner id, name) of a roster entry, whatever the roster calls its fields."""
    if not isinstance(entry, dict):
        return None
    learner_id = entry.get("learner_id") or entry.get("person_id") or entry.get("id")
    name = entry.get("learner_name") or entry.get("name") or ""
    return (str(learner_id), str(name)) if learner_id else None


def _class_roster(class_id: str, module_id: str, who: Principal) -> dict[str, Any]:
    """The roster of a class whose course uses the module, for the class's trainers and admins.

    Elearning reads the roster with its own service token, so the caller's right to the
    class is checked here, against catalog's own record of the class (trainer_ids).
    """
    gateway = catalog()
    course_class = gateway.course_class(class_id)
    if course_class is None:
        raise CakapError(404, "No such class.")
    trainers = course_class.get("trainer_ids") or []
    if not (who.is_admin or (isinstance(trainers, list) and who.id in trainers)):
        raise CakapError(403, "Only the class's trainers or an administrator see its progress.")
    course_id = course_class.get("course_id")
    course = gateway.course(str(course_id)) if course_id else None
    module_ids = (course or {}).get("module_ids") or []
    if not isinstance(module_ids, list) or module_id not in module_ids:
        raise CakapError(404, "This module is not part of the class's course.")
    roster = gateway.roster(class_id)
    if roster is None:
        raise CakapError(404, "No such class.")
    return roster

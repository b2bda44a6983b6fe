"""Launching a module: who may launch it in which mode, and the attempt that starts or resumes.

A normal launch counts toward completion and needs an `enrolled` place in a class of a
published course holding the module. Two launches never count (no credit, no events):
- review: a learner replays a module of a course they completed;
- preview: the module's owner (trainer) or an administrator sees it as a learner does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cakap_shared.auth import Principal
from cakap_shared.db import aware, utcnow
from cakap_shared.logs import audit
from cakap_shared.problems import CakapError
from flask import current_app
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from ..clients.catalog import ServiceUnavailable, catalog, unavailable
from ..extensions import db
from ..models import Attempt, AttemptStatus, Mode, Module
from . import runtime
from .credentials import launch_url, tokens


@dataclass(frozen=True)
class Launch:
    """A started or resumed attempt and where the browser opens it."""

    attempt: Attempt
    launch_url: str
    launch_expires_in: int


def may_preview(who: Principal, module: Module) -> bool:
    """The module's owner (a trainer) or an administrator."""
    return who.is_admin or (who.has_role("trainer") and module.owner_id == who.id)


def _access(learner_id: str, module_id: str, event: str) -> dict[str, Any]:
    """Catalog's answer for this learner and module; no answer is a 503, never a yes."""
    try:
        return catalog().learning_access(learner_id, module_id)
    except ServiceUnavailable as exc:
        audit(event, module_id=module_id, reason=str(exc))
        raise unavailable() from None


def check_launch(who: Principal, module: Module, mode: Mode) -> None:
    """Refuse (403 with a `code`) a launch the caller may not make in this mode."""
    if who.is_service:
        raise CakapError(403, "Only people launch modules.", code="not-a-person")
    if mode == Mode.PREVIEW:
        if not may_preview(who, module):
            audit("module.preview_refused", module_id=module.id)
            raise CakapError(
                403,
                "Only the module's owner or an administrator may preview it.",
                code="not-module-owner",
            )
        return
    access = _access(who.id, module.id, "module.launch_unavailable")
    if mode == Mode.REVIEW:
        if access.get("reviewable") is not True:
            audit("module.review_refused", module_id=module.id)
            raise CakapError(
                403,
                "You have not completed a course with this module, so it cannot be reviewed.",
                code="not-completed",
            )
        return
    if access.get("allowed") is not True:
        audit("module.launch_refused", module_id=module.id)
        raise CakapError(
            403,
            "You are not enrolled in a class of a course with this module.",
            code="not-enrolled",
        )


def launch(module_id: str, who: Principal, mode: Mode) -> Launch:
    """Check the caller's right on this module, then start or resume their attempt of
    this mode (a twin request that opened it first is resumed)."""
    module = db.session.get(Module, module_id)
    if module is None:
        raise CakapError(404, "No such module.")
    check_launch(who, module, mode)
    name = who.name or who.username
    attempt = runtime.start_or_resume(module, who.id, name, mode)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        attempt = runtime.start_or_resume(module, who.id, name, mode)
        db.session.commit()
    if mode != Mode.NORMAL:
        audit(f"module.{mode}_launched", module_id=module.id, attempt_id=attempt.id)
    return Launch(attempt, launch_url(attempt), tokens().ttl)


def still_usable(attempt: Attempt) -> tuple[bool, str]:
    """Whether the attempt's learner may still play or save it: (allowed, refusal code).

    Catalog is asked, because a launch credential stays valid for hours after a
    withdrawal. A preview's right (owner or admin of the module) was checked on the module
    at launch and does not lapse the way an enrolment does, so catalog is not asked.
    """
    if attempt.mode == Mode.PREVIEW:
        return True, ""
    access = _access(attempt.learner_id, attempt.module_id, "module.use_unavailable")
    if attempt.mode == Mode.REVIEW:
        return access.get("reviewable") is True, "not-completed"
    return access.get("allowed") is True, "not-enrolled"


def require_in_use(attempt: Attempt, *, commit: bool, runtime_call: bool = False) -> None:
    """Refuse a player page or a commit unless the attempt is open and its learner may
    still take the module: checked on every use, because a launch credential stays
    valid for hours after a withdrawal or after the attempt closed.

    The one exception: the session that completed the attempt may commit for
    LAUNCH_CLOSED_GRACE_SECONDS more (SCORM content sends its session time on finish).

    `runtime_call` (the runtime's commits and navigation requests, many a minute while a SCO
    plays): catalog's yes is kept on the attempt and relied on for
    LAUNCH_ACCESS_TTL_SECONDS (RuntimeAccess), so a withdrawal stops them within that
    bound. The player page and package pages always ask; a no (or no answer) from
    catalog there or on a commit clears the kept yes at once.
    """
    if attempt.status != AttemptStatus.OPEN:
        if commit and _closed_moments_ago(attempt):
            return
        audit("module.closed_attempt_refused", attempt_id=attempt.id)
        raise CakapError(
            409,
            "This attempt is already finished; open the module again from your course.",
            code="attempt-closed",
        )
    kept = RuntimeAccess.from_config()
    if runtime_call and kept.fresh(attempt):
        return
    try:
        allowed, code = still_usable(attempt)
    except CakapError:
        kept.forget(attempt)  # catalog could not answer: nothing is relied upon meanwhile
        raise
    if not allowed:
        kept.forget(attempt)
        audit("module.use_refused", attempt_id=attempt.id, mode=attempt.mode)
        raise CakapError(
            403,
            "You are no longer enrolled in a course with this module (withdrawn or ended), "
            "so this attempt cannot be played or saved."
            if code == "not-enrolled"
            else "You have not completed a course with this module, so it cannot be reviewed.",
            code=code,
        )
    if runtime_call:
        kept.confirm(attempt)


@dataclass(frozen=True)
class RuntimeAccess:
    """Catalog's last yes for an attempt's runtime commits, kept on the attempt's row.

    On the row, not in a process: every worker and replica sees a refusal that clears it.
    A confirmation is written by the commit's own UPDATE (no statement of its own); only a
    refusal of an attempt that had one writes, and commits it, before the 403/503 is
    raised. A moment ahead of this clock (another replica's clock) counts as stale.
    """

    ttl: timedelta
    clock: Callable[[], float]

    @classmethod
    def from_config(cls) -> RuntimeAccess:
        """The app's TTL, and the launch credentials' clock (a FakeClock in tests)."""
        ttl = timedelta(seconds=current_app.config["LAUNCH_ACCESS_TTL_SECONDS"])
        return cls(ttl, tokens().clock)

    def now(self) -> datetime:
        """This clock's moment, aware UTC."""
        return datetime.fromtimestamp(self.clock(), UTC)

    def fresh(self, attempt: Attempt) -> bool:
        """Whether catalog's yes for this attempt is younger than the TTL."""
        confirmed = aware(attempt.access_confirmed_at)
        if confirmed is None or not self.ttl:
            return False
        age = self.now() - confirmed
        return timedelta(0) <= age < self.ttl

    def confirm(self, attempt: Attempt) -> None:
        """Keep catalog's yes (written with the commit that asked)."""
        if self.ttl:
            attempt.access_confirmed_at = self.now()

    def forget(self, attempt: Attempt) -> None:
        """Drop a kept yes now, whatever the request does next (it is about to fail)."""
        if attempt.access_confirmed_at is None:
            return
        if attempt.id is not None:  # stored: clear the row (not a flush: no revision bump)
            db.session.execute(
                update(Attempt)
                .where(Attempt.id == attempt.id)
                .values(access_confirmed_at=None)
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
        set_committed_value(attempt, "access_confirmed_at", None)


def _closed_moments_ago(attempt: Attempt) -> bool:
    closed = attempt.completed_at
    if closed is None:
        return False
    if closed.tzinfo is None:  # SQLite gives naive UTC datetimes back
        closed = closed.replace(tzinfo=UTC)
    grace = timedelta(seconds=current_app.config["LAUNCH_CLOSED_GRACE_SECONDS"])
    return utcnow() - closed <= grace

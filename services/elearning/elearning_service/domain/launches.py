"""Launching a module: who may launch it in which mode, and the attempt that starts or resumes.

A normal launch counts toward completion and needs an `enrolled` place in a class of a
published course holding the module. Two launches never count (no credit, no events):
- review: a learner replays a module of a course they completed;
- preview: the module's owner (trainer) or an administrator sees it as a learner does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any

from cakap_shared.auth import Principal
from cakap_shared.db import utcnow
from cakap_shared.logs import audit
from cakap_shared.problems import CakapError
from flask import current_app
from sqlalchemy.exc import IntegrityError

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

    Checked on every use, because a launch credential stays valid for hours after a
    withdrawal. A preview's right (owner or admin of the module) was checked on the module
    at launch and does not lapse the way an enrolment does, so catalog is not asked.
    """
    if attempt.mode == Mode.PREVIEW:
        return True, ""
    access = _access(attempt.learner_id, attempt.module_id, "module.use_unavailable")
    if attempt.mode == Mode.REVIEW:
        return access.get("reviewable") is True, "not-completed"
    return access.get("allowed") is True, "not-enrolled"


def require_in_use(attempt: Attempt, *, commit: bool) -> None:
    """Refuse a player page or a commit unless the attempt is open and its learner may
    still take the module: checked on every use, because a launch credential stays
    valid for hours after a withdrawal or after the attempt closed.

    The one exception: the session that completed the attempt may commit for
    LAUNCH_CLOSED_GRACE_SECONDS more (SCORM content sends its session time on finish).
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
    allowed, code = still_usable(attempt)
    if not allowed:
        audit("module.use_refused", attempt_id=attempt.id, mode=attempt.mode)
        raise CakapError(
            403,
            "You are no longer enrolled in a course with this module (withdrawn or ended), "
            "so this attempt cannot be played or saved."
            if code == "not-enrolled"
            else "You have not completed a course with this module, so it cannot be reviewed.",
            code=code,
        )


def _closed_moments_ago(attempt: Attempt) -> bool:
    closed = attempt.completed_at
    if closed is None:
        return False
    if closed.tzinfo is None:  # SQLite gives naive UTC datetimes back
        closed = closed.replace(tzinfo=UTC)
    grace = timedelta(seconds=current_app.config["LAUNCH_CLOSED_GRACE_SECONDS"])
    return utcnow() - closed <= grace

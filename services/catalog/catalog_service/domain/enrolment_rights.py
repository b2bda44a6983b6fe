"""Who may see and act on an enrolment: the learner, their supervisors, trainers, admins.

An enrolment someone may not see is answered 404 (its existence is not disclosed); one
they see but may not act on, 403.
"""

from __future__ import annotations

from typing import Any

from cakap_shared.auth import Principal
from cakap_shared.http import ServiceUnavailable
from cakap_shared.problems import CakapError

from ..clients import personnel
from ..extensions import db
from ..models import CourseClass, Enrolment


def team_filter(who: Principal, learner_id: str | None) -> Any:
    """The enrolments a supervisor's team list holds: their direct reports' (by the
    enrolment's supervisor snapshot), or, for one named learner, that learner's when
    personnel puts the caller anywhere in the learner's line of supervisors."""
    if learner_id and who.has_role("supervisor") and learner_id != who.id:
        try:
            line = personnel.supervisor_ids(learner_id)
        except ServiceUnavailable as exc:
            raise CakapError(
                503, "Personnel is unavailable, so the line of supervisors cannot be read."
            ) from exc
        if who.id in line:
            return Enrolment.learner_id == learner_id
    return Enrolment.supervisor_id == who.id


def can_see(enrolment: Enrolment, who: Principal) -> bool:
    """The learner, their supervisor (snapshot), admins and services."""
    return (
        who.is_admin
        or who.is_service
        or enrolment.learner_id == who.id
        or (enrolment.supervisor_id is not None and enrolment.supervisor_id == who.id)
    )


def is_trainer_of(course_class: CourseClass, who: Principal) -> bool:
    """A trainer named on the class."""
    return who.has_role("trainer") and who.id in (course_class.trainer_ids or [])


def load(enrolment_id: str) -> Enrolment:
    """The enrolment, or 404."""
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None:
        raise CakapError(404, "No enrolment with this id.")
    return enrolment


def for_viewer(enrolment_id: str, who: Principal) -> Enrolment:
    """The enrolment if `who` may see it; else 404 (its existence is not disclosed)."""
    enrolment = load(enrolment_id)
    if not can_see(enrolment, who):
        raise CakapError(404, "No enrolment with this id.")
    return enrolment


def for_decision(enrolment_id: str, who: Principal) -> Enrolment:
    """Approve/reject: the learner's direct supervisor or an admin; 403 for other viewers."""
    enrolment = for_viewer(enrolment_id, who)
    is_supervisor = enrolment.supervisor_id == who.id and enrolment.learner_id != who.id
    if not (who.is_admin or is_supervisor):
        raise CakapError(403, "Only the learner's supervisor or an admin may decide.")
    return enrolment


def for_withdrawal(enrolment_id: str, who: Principal) -> Enrolment:
    """Withdraw: the learner or an admin; 403 for other viewers."""
    enrolment = for_viewer(enrolment_id, who)
    if not (who.is_admin or enrolment.learner_id == who.id):
        raise CakapError(403, "Only the learner or an admin may withdraw.")
    return enrolment


def for_completion(enrolment_id: str, who: Principal) -> Enrolment:
    """Complete: an admin or a trainer of the class; 403 for other viewers, else 404."""
    enrolment = load(enrolment_id)
    if who.is_admin or is_trainer_of(enrolment.course_class, who):
        return enrolment
    if can_see(enrolment, who):
        raise CakapError(403, "Only an admin or a trainer of the class may complete.")
    raise CakapError(404, "No enrolment with this id.")

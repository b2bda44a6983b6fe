"""Competency levels that follow evidence: a passed training, a supervisor's impact rating.

Both arrive as events (decision 0003) and become competency assessments with their
source, so the precedence in domain/competencies.py decides the current level: a supervisor's
rating outranks a training, a training outranks the person's own view.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from cakap_shared.events import EventRejected
from sqlalchemy import select

from ..extensions import db
from ..models import CompetencyAssessment, Person


def _person(data: dict[str, Any], field: str) -> str:
    person_id = data.get(field)
    if not isinstance(person_id, str) or db.session.get(Person, person_id) is None:
        raise EventRejected(f"{field} names no known person")
    return person_id


def _day(value: Any, field: str) -> date:
    try:
        return date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError):
        raise EventRejected(f"{field} must be a date") from None


def _levels(items: Any, code_key: str, level_key: str) -> dict[str, int]:
    """{code: level} from a list of objects; anything but codes with levels 1-5 is refused."""
    if not isinstance(items, list):
        raise EventRejected("the competencies must be a list")
    levels: dict[str, int] = {}
    for item in items:
        code = item.get(code_key) if isinstance(item, dict) else None
        level = item.get(level_key) if isinstance(item, dict) else None
        if not isinstance(code, str) or not code.strip() or len(code) > 50:
            raise EventRejected(f"{code_key} must be a competency code")
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 5:
            raise EventRejected(f"{level_key} must be 1 to 5")
        levels[code] = level
    return levels


def _record(
    person_id: str,
    levels: dict[str, int],
    source: str,
    source_ref: str,
    on: date,
    by: str | None,
    evidence: str,
) -> int:
    """Add one assessment per competency not yet recorded from this evidence."""
    have = set(
        db.session.scalars(
            select(CompetencyAssessment.competency_code).where(
                CompetencyAssessment.person_id == person_id,
                CompetencyAssessment.source_ref == source_ref,
            )
        )
    )
    added = 0
    for code, level in sorted(levels.items()):
        if code in have:
            continue
        db.session.add(
            CompetencyAssessment(
                person_id=person_id,
                competency_code=code,
                level=level,
                source=source,
                assessed_on=on,
                assessed_by=by,
                source_ref=source_ref,
                evidence=evidence[:300] or None,
            )
        )
        added += 1
    db.session.flush()
    return added


def record_training(data: dict[str, Any]) -> int:
    """enrolment.completed: the course's target levels, as `training`, if the post test passed.

    A course without a passed post test proves attendance, not the level, so it records
    nothing (its JP still count).
    """
    if data.get("post_test_passed") is not True:
        return 0
    learner_id = _person(data, "learner_id")
    enrolment_id = data.get("enrolment_id")
    if not isinstance(enrolment_id, str) or not enrolment_id:
        raise EventRejected("enrolment_id is required")
    levels = _levels(data.get("competencies") or [], "code", "level")
    title = str(data.get("course_title") or data.get("course_code") or "")
    return _record(
        learner_id,
        levels,
        "training",
        f"enrolment:{enrolment_id}",
        _day(data.get("completed_on"), "completed_on"),
        None,
        title,
    )


def record_impact_rating(data: dict[str, Any]) -> int:
    """impact_evaluation.submitted: a supervisor's behaviour rating per competency, as
    `supervisor`; the learner's own evaluation is a self view and records nothing here."""
    if data.get("evaluator_role") != "supervisor":
        return 0
    learner_id = _person(data, "learner_id")
    evaluation_id = data.get("evaluation_id")
    if not isinstance(evaluation_id, str) or not evaluation_id:
        raise EventRejected("evaluation_id is required")
    evaluator = data.get("evaluator_id")
    levels = _levels(data.get("behaviour_ratings") or [], "competency_code", "rating")
    return _record(
        learner_id,
        levels,
        "supervisor",
        f"impact:{evaluation_id}",
        _day(data.get("submitted_on"), "submitted_on"),
        evaluator if isinstance(evaluator, str) else None,
        str(data.get("course_title") or data.get("course_code") or ""),
    )

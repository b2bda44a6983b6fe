"""Event handlers: progress signals complete enrolments; person.updated refreshes snapshots.

Handlers run inside the inbox transaction (the platform commits); duplicates of one event
never reach them, and a second signal for the same module or test changes nothing.

The progress signals of one enrolment arrive from different producers, so at the same time
(a module's completion from elearning, the post test from evaluation): each handler locks
the enrolments it records on, or each would record its own signal, not see the other's
uncommitted one, and leave the enrolment unfinished for good.
"""

from __future__ import annotations

from typing import Any

from cakap_shared.events import EventRejected, required_text
from sqlalchemy import bindparam, or_, select, update

from .domain.enrolment_transitions import maybe_complete
from .extensions import db, events
from .models import (
    ACTIVE_STATUSES,
    Course,
    CourseModule,
    Enrolment,
    EnrolmentStatus,
    ModuleCompletion,
)


def _id(data: dict[str, Any], name: str) -> str:
    return required_text(data, name, max_length=100)


@events.handler("module.completed", version=1)
def on_module_completed(envelope: dict[str, Any]) -> None:
    """Record the module on the learner's enrolled enrolments whose course holds it."""
    data = envelope["data"]
    learner_id, module_id = _id(data, "learner_id"), _id(data, "module_id")
    enrolments = db.session.scalars(
        select(Enrolment)
        .join(CourseModule, CourseModule.course_id == Enrolment.course_id)
        .where(
            Enrolment.learner_id == learner_id,
            Enrolment.status == EnrolmentStatus.ENROLLED,
            CourseModule.module_id == module_id,
        )
        .with_for_update(of=Enrolment)
    ).all()
    for enrolment in enrolments:
        if module_id not in enrolment.completed_module_ids:
            enrolment.completions.append(ModuleCompletion(module_id=module_id))
            db.session.flush()
        maybe_complete(enrolment)


@events.handler("assessment.passed", version=1)
def on_assessment_passed(envelope: dict[str, Any]) -> None:
    """Record a passed post test on the learner's enrolled enrolments whose course uses it."""
    data = envelope["data"]
    learner_id, assessment_id = _id(data, "learner_id"), _id(data, "assessment_id")
    if data.get("passed") is not True:
        raise EventRejected("assessment.passed must say passed: true")
    enrolments = db.session.scalars(
        select(Enrolment)
        .join(Course, Course.id == Enrolment.course_id)
        .where(
            Enrolment.learner_id == learner_id,
            Enrolment.status == EnrolmentStatus.ENROLLED,
            Course.post_test_id == assessment_id,
        )
        .with_for_update(of=Enrolment)
    ).all()
    for enrolment in enrolments:
        if not enrolment.post_test_passed:
            enrolment.post_test_passed = True
            db.session.flush()
        maybe_complete(enrolment)


def _snapshot(data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(person id, the enrolment columns person.updated refreshes); EventRejected if malformed."""
    person_id = _id(data, "person_id")
    values: dict[str, Any] = {}
    if isinstance(data.get("name"), str) and data["name"].strip():
        values["learner_name"] = data["name"][:200]
    for field, column in (("unit_code", "unit_code"), ("supervisor_id", "supervisor_id")):
        if field in data:
            if data[field] is not None and not isinstance(data[field], str):
                raise EventRejected(f"{field} must be a string or null")
            values[column] = data[field]
    return person_id, values


@events.batch_handler("person.updated", version=1)
def on_people_updated(envelopes: list[dict[str, Any]]) -> None:
    """Refresh name, unit and supervisor on each person's open enrolments, in event order.

    One UPDATE statement executed for many people at once (an import sends thousands);
    consecutive events refreshing the same columns share it.
    """
    updates = [_snapshot(envelope["data"]) for envelope in envelopes]
    table = Enrolment.__table__
    start = 0
    while start < len(updates):
        columns = sorted(updates[start][1])
        end = start
        while end < len(updates) and sorted(updates[end][1]) == columns:
            end += 1
        if columns:
            # One parameter per open status: an IN list would expand, which executemany
            # cannot do.
            statuses = {f"b_status_{i}": status for i, status in enumerate(ACTIVE_STATUSES)}
            statement = (
                update(table)
                .where(
                    table.c.learner_id == bindparam("b_person_id"),
                    or_(*(table.c.status == bindparam(name) for name in statuses)),
                )
                .values({column: bindparam(f"b_{column}") for column in columns})
            )
            params = [
                {"b_person_id": person_id, **statuses, **{f"b_{c}": v for c, v in values.items()}}
                for person_id, values in updates[start:end]
            ]
            db.session.execute(statement, params)
        start = end

"""Handlers of the events evaluation subscribes to (run inside the inbox transaction)."""

from __future__ import annotations

from datetime import date
from typing import Any

from cakap_shared.events import EventRejected, required_text
from sqlalchemy import select

from .domain import certificates, impact, surveys
from .extensions import db, events
from .models import Completion, Course, ImpactEvaluation


def parse_day(value: Any, name: str) -> date:
    """A date from 'YYYY-MM-DD' or an ISO datetime; EventRejected otherwise."""
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            pass
    raise EventRejected(f"{name} must be an ISO date")


def _optional_day(value: Any, name: str) -> date | None:
    return None if value in (None, "") else parse_day(value, name)


def completion_from(data: dict[str, Any]) -> Completion:
    """Validate enrolment.completed data into an (unsaved) Completion."""
    jp = data.get("jp", 0)
    if not isinstance(jp, int) or isinstance(jp, bool) or jp < 0:
        raise EventRejected("jp must be a non-negative integer")
    trainers = data.get("trainer_ids") or []
    competencies = data.get("competencies") or []
    if not isinstance(trainers, list) or not isinstance(competencies, list):
        raise EventRejected("trainer_ids and competencies must be lists")
    return Completion(
        enrolment_id=required_text(data, "enrolment_id"),
        learner_id=required_text(data, "learner_id"),
        learner_name=data.get("learner_name") or "",
        unit_code=data.get("unit_code"),
        course_id=required_text(data, "course_id"),
        course_code=required_text(data, "course_code"),
        course_title=required_text(data, "course_title"),
        jp=jp,
        class_id=data.get("class_id"),
        class_name=data.get("class_name"),
        trainer_ids=[str(t) for t in trainers],
        competencies=[c for c in competencies if isinstance(c, dict)],
        starts_on=_optional_day(data.get("starts_on"), "starts_on"),
        ends_on=_optional_day(data.get("ends_on"), "ends_on"),
        completed_on=parse_day(data.get("completed_on"), "completed_on"),
    )


def _remember_course(course_id: str, code: str, title: str, **tests: Any) -> None:
    course = db.session.get(Course, course_id)
    if course is None:
        course = Course(id=course_id, code=code, title=title)
        db.session.add(course)
    course.code, course.title = code, title
    for key, value in tests.items():
        setattr(course, key, value)


@events.handler("enrolment.completed", version=1)
def on_enrolment_completed(envelope: dict[str, Any]) -> None:
    """Certificate, reaction survey and impact evaluation(s); once per enrolment."""
    completion = completion_from(envelope["data"])
    if db.session.get(Completion, completion.enrolment_id) is not None:
        return  # a second event for the same enrolment (the inbox dedupes by event id only)
    supervisor_id = envelope["data"].get("supervisor_id")
    _remember_course(completion.course_id, completion.course_code, completion.course_title)
    db.session.add(completion)
    certificates.issue(completion)  # raises 503 while personnel is down: the event is retried
    surveys.send(completion)
    impact.schedule(completion, supervisor_id if isinstance(supervisor_id, str) else None)


@events.handler("course.published", version=1)
def on_course_published(envelope: dict[str, Any]) -> None:
    """Remember which pre and post test belong to a course (for learning gain)."""
    data = envelope["data"]
    _remember_course(
        required_text(data, "course_id"),
        required_text(data, "code"),
        required_text(data, "title"),
        pre_test_id=data.get("pre_test_id"),
        post_test_id=data.get("post_test_id"),
    )


@events.batch_handler("person.updated", version=1)
def on_people_updated(envelopes: list[dict[str, Any]]) -> None:
    """A new supervisor takes over each person's open impact evaluations, in event order.

    The open evaluations of every person in the batch are read in one query.
    """
    people = [(required_text(e["data"], "person_id"), e["data"]) for e in envelopes]
    open_ones: dict[str, list[ImpactEvaluation]] = {}
    for evaluation in db.session.scalars(
        select(ImpactEvaluation).where(
            ImpactEvaluation.learner_id.in_({person_id for person_id, _ in people}),
            ImpactEvaluation.submitted_at.is_(None),
        )
    ):
        open_ones.setdefault(evaluation.learner_id, []).append(evaluation)
    for person_id, data in people:
        for evaluation in open_ones.get(person_id, []):
            if data.get("name"):
                evaluation.learner_name = data["name"]
            if "unit_code" in data:
                evaluation.unit_code = data["unit_code"]
            if evaluation.evaluator_role == "supervisor" and "supervisor_id" in data:
                evaluation.evaluator_id = data["supervisor_id"]

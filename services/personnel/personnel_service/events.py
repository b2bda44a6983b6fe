"""Handlers of the events personnel consumes (docs/events.md)."""

from __future__ import annotations

from datetime import date
from typing import Any

from cakap_shared.events import EventRejected
from sqlalchemy import select

from .domain import evidence
from .domain.jp import add_entry
from .extensions import db, events
from .models import JpEntry, Person


@events.handler("enrolment.completed", version=1)
def on_enrolment_completed(envelope: dict[str, Any]) -> None:
    """A completed course earns its JP and, with a passed post test, its competency levels."""
    record_jp(envelope)
    evidence.record_training(envelope["data"])


@events.handler("impact_evaluation.submitted", version=1)
def on_impact_evaluation_submitted(envelope: dict[str, Any]) -> None:
    """A supervisor's impact ratings become `supervisor` competency assessments."""
    evidence.record_impact_rating(envelope["data"])


def record_jp(envelope: dict[str, Any]) -> None:
    """A completed course earns its JP: one ledger entry per event, whatever the redeliveries."""
    data = envelope["data"]
    event_id = str(envelope["id"])
    if db.session.scalar(select(JpEntry.id).where(JpEntry.source_event_id == event_id)):
        return
    try:
        learner_id = str(data["learner_id"])
        jp = int(data["jp"])
        completed_on = date.fromisoformat(str(data["completed_on"])[:10])
        title = str(data.get("course_title") or data.get("course_code") or "")[:300]
        course_code = str(data["course_code"])[:50] if data.get("course_code") else None
    except (KeyError, TypeError, ValueError) as err:
        raise EventRejected(f"learner_id, jp and completed_on are required ({err})") from None
    if jp < 0 or not title:
        raise EventRejected("jp must be 0 or more and the course needs a code or title")
    if db.session.get(Person, learner_id) is None:
        raise EventRejected(f"no person {learner_id}")
    if jp == 0:
        return  # nothing earned: no entry
    add_entry(
        learner_id,
        {
            "course_code": course_code,
            "title": title,
            "jp": jp,
            "form": str(data.get("form") or "lainnya")[:50],
            "completed_on": completed_on,
            "source_event_id": event_id,
        },
        recorded_by=f"event:{envelope.get('producer', 'catalog')}",
    )
    db.session.flush()

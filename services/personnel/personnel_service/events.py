"""Handlers of the events personnel consumes (docs/events.md)."""

from __future__ import annotations

from typing import Any

from .domain import evidence, jp
from .extensions import events


@events.handler("enrolment.completed", version=1)
def on_enrolment_completed(envelope: dict[str, Any]) -> None:
    """A completed course earns its JP and, with a passed post test, its competency levels."""
    jp.record_completion(envelope)
    evidence.record_training(envelope["data"])


@events.handler("impact_evaluation.submitted", version=1)
def on_impact_evaluation_submitted(envelope: dict[str, Any]) -> None:
    """A supervisor's impact ratings become `supervisor` competency assessments."""
    evidence.record_impact_rating(envelope["data"])

"""What evaluation asks catalog: may this learner sit this assessment."""

from __future__ import annotations

from typing import Any

from cakap_shared.http import ServiceUnavailable

from ._peer import get_json


def learning_access(learner_id: str, assessment_id: str) -> dict[str, Any]:
    """Ask catalog whether the learner is enrolled in a course using the assessment."""
    body = get_json(
        "catalog", "/api/v1/learning-access", learner_id=learner_id, assessment_id=assessment_id
    )
    if not isinstance(body, dict) or not isinstance(body.get("allowed"), bool):
        raise ServiceUnavailable("catalog: unusable learning-access answer")
    return body

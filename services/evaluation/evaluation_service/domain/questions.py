"""Questions between the API and the database: validation with field names, storage."""

from __future__ import annotations

from typing import Any

from cakap_shared.problems import CakapError

from ..models import Question
from ..questions.model import Question as QuestionShape
from ..questions.model import validate_question

QUESTION_KEYS = frozenset(QuestionShape.__annotations__)


def clean(question: dict[str, Any]) -> dict[str, Any]:
    """Only the keys of the canonical shape (unknown keys are dropped, not stored)."""
    return {k: v for k, v in question.items() if k in QUESTION_KEYS}


def check(question: Any, prefix: str = "") -> dict[str, Any]:
    """The cleaned question, or 422 naming each invalid field (e.g. questions.2.answer)."""
    problems = validate_question(question)
    if problems:
        errors: dict[str, list[str]] = {}
        for name, message in problems:
            errors.setdefault(f"{prefix}{name}", []).append(message)
        first = next(iter(errors))
        raise CakapError(422, f"{first}: {errors[first][0]}", errors=errors)
    return clean(question)


def new_question(
    body: dict[str, Any], owner_id: str, bank_id: str | None, position: int
) -> Question:
    """A Question row from a validated canonical dict."""
    return Question(
        bank_id=bank_id,
        owner_id=owner_id,
        type=body["type"],
        body=body,
        tags=list(body.get("tags") or []),
        level=body.get("level"),
        position=position,
    )


def dump(question: Question) -> dict[str, Any]:
    """The owner's view: the canonical dict plus id and bank."""
    return {
        **question.body,
        "id": question.id,
        "bank_id": question.bank_id,
        "tags": question.tags or [],
        "level": question.level,
    }

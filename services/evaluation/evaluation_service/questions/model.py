"""The canonical question shape shared by the parsers, the grader and the API.

A question is a plain JSON-able dict. Keys common to every type:

    type       one of QUESTION_TYPES
    text       the stem (required, non-empty)
    title      optional short name
    feedback   optional general feedback shown after answering
    tags       list of str, e.g. competency codes (default [])
    level      optional int 1..5
    format     optional "html" | "markdown" | "plain"; absent means plain Moodle text
    category   optional question-bank category (from GIFT ``$CATEGORY:``)

Per type:

    single        choices [str] (>= 2), answer int index,
                  choice_feedback [str|None] per choice (optional),
                  credit [float 0..1] per choice (optional; partial credit for
                  near-miss choices, the answer's entry must be 1)
    multiple      choices [str] (>= 2), answer [int] (>= 1, unique),
                  choice_feedback (optional)
    true_false    answer bool, feedback_true / feedback_false (optional; shown
                  when the learner answers true / false)
    short_answer  answers [str] (>= 1), answer_feedback [str|None] (optional),
                  credit [float 0..1] per answer (optional; >= one must be 1).
                  ``*`` in an accepted answer matches any text.
    numeric       answer number + tolerance number >= 0 (default 0), or
                  answers [{value, tolerance, credit?, feedback?}] (>= one credit 1)
    essay         no answer: graded by a trainer
    description   text only, nothing to answer (GIFT descriptions); never graded
"""

from __future__ import annotations

import math
from typing import Any, NotRequired, TypedDict, TypeGuard

QUESTION_TYPES = (
    "single",
    "multiple",
    "true_false",
    "short_answer",
    "numeric",
    "essay",
    "description",
)
TEXT_FORMATS = ("html", "markdown", "plain")

FieldError = tuple[str, str]


class NumericAnswer(TypedDict):
    """One accepted numeric value: right when |response - value| <= tolerance."""

    value: float
    tolerance: float
    credit: NotRequired[float]
    feedback: NotRequired[str | None]


class Question(TypedDict):
    """Documentation of the question dict; see the module docstring per type."""

    type: str
    text: str
    title: NotRequired[str]
    feedback: NotRequired[str]
    tags: NotRequired[list[str]]
    level: NotRequired[int]
    format: NotRequired[str]
    category: NotRequired[str]
    choices: NotRequired[list[str]]
    answer: NotRequired[Any]
    answers: NotRequired[list[Any]]
    choice_feedback: NotRequired[list[str | None]]
    answer_feedback: NotRequired[list[str | None]]
    credit: NotRequired[list[float]]
    tolerance: NotRequired[float]
    feedback_true: NotRequired[str | None]
    feedback_false: NotRequired[str | None]


def is_int(value: Any) -> TypeGuard[int]:
    """True for a real int (bool is an int in Python but never an index here)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> TypeGuard[int | float]:
    """True for a finite int or float, excluding bool."""
    return (is_int(value) or isinstance(value, float)) and math.isfinite(value)


def _optional_str(q: dict, key: str, errors: list[FieldError]) -> None:
    if key in q and q[key] is not None and not isinstance(q[key], str):
        errors.append((key, "must be a string"))


def _per_item(q: dict, key: str, count: int, errors: list[FieldError]) -> None:
    """A list with one optional string per choice/answer (feedback lists)."""
    if key not in q or q[key] is None:
        return
    value = q[key]
    if not isinstance(value, list) or len(value) != count:
        errors.append((key, f"must be a list of {count} entries, one per choice"))
    elif not all(v is None or isinstance(v, str) for v in value):
        errors.append((key, "entries must be strings or null"))


def _credit(q: dict, count: int, errors: list[FieldError]) -> list[float] | None:
    """Validate an optional per-item credit list; return it when usable."""
    if q.get("credit") is None:
        return None
    credit = q["credit"]
    if not isinstance(credit, list) or len(credit) != count:
        errors.append(("credit", f"must be a list of {count} numbers, one per choice"))
        return None
    if not all(is_number(c) and 0 <= c <= 1 for c in credit):
        errors.append(("credit", "entries must be numbers between 0 and 1"))
        return None
    return credit


def _validate_common(q: dict, errors: list[FieldError]) -> None:
    text = q.get("text")
    if not isinstance(text, str) or not text.strip():
        errors.append(("text", "is required"))
    _optional_str(q, "title", errors)
    _optional_str(q, "feedback", errors)
    _optional_str(q, "category", errors)
    tags = q.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
        errors.append(("tags", "must be a list of non-empty strings"))
    level = q.get("level")
    if level is not None and not (is_int(level) and 1 <= level <= 5):
        errors.append(("level", "must be an integer from 1 to 5"))
    fmt = q.get("format")
    if fmt is not None and fmt not in TEXT_FORMATS:
        errors.append(("format", f"must be one of {', '.join(TEXT_FORMATS)}"))


def _validate_choices(q: dict, errors: list[FieldError]) -> int | None:
    """Check ``choices``; return how many there are, or None when unusable."""
    choices = q.get("choices")
    if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
        errors.append(("choices", "must be a list of strings"))
        return None
    if len(choices) < 2:
        errors.append(("choices", "needs at least 2 choices"))
        return None
    if any(not c.strip() for c in choices):
        errors.append(("choices", "choices must not be empty"))
    _per_item(q, "choice_feedback", len(choices), errors)
    return len(choices)


def _validate_single(q: dict, errors: list[FieldError]) -> None:
    count = _validate_choices(q, errors)
    answer = q.get("answer")
    if not is_int(answer):
        errors.append(("answer", "must be the index of the correct choice"))
        return
    if count is None:
        return
    if not 0 <= answer < count:
        errors.append(("answer", f"index {answer} is out of range 0..{count - 1}"))
        return
    credit = _credit(q, count, errors)
    if credit is not None and credit[answer] != 1:
        errors.append(("credit", "the answer's credit must be 1"))


def _validate_multiple(q: dict, errors: list[FieldError]) -> None:
    count = _validate_choices(q, errors)
    answer = q.get("answer")
    if not isinstance(answer, list) or not all(is_int(a) for a in answer):
        errors.append(("answer", "must be a list of indexes of the correct choices"))
        return
    if not answer:
        errors.append(("answer", "needs at least one correct choice"))
    elif len(set(answer)) != len(answer):
        errors.append(("answer", "indexes must be unique"))
    elif count is not None and not all(0 <= a < count for a in answer):
        errors.append(("answer", f"indexes must be in range 0..{count - 1}"))


def _validate_true_false(q: dict, errors: list[FieldError]) -> None:
    if not isinstance(q.get("answer"), bool):
        errors.append(("answer", "must be true or false"))
    _optional_str(q, "feedback_true", errors)
    _optional_str(q, "feedback_false", errors)


def _validate_short_answer(q: dict, errors: list[FieldError]) -> None:
    answers = q.get("answers")
    if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
        errors.append(("answers", "must be a list of accepted answers"))
        return
    if not answers or any(not a.strip() for a in answers):
        errors.append(("answers", "needs at least one non-empty accepted answer"))
        return
    _per_item(q, "answer_feedback", len(answers), errors)
    credit = _credit(q, len(answers), errors)
    if credit is not None and 1 not in credit:
        errors.append(("credit", "at least one answer must have credit 1"))


def _validate_numeric_entry(entry: Any, errors: list[FieldError]) -> float | None:
    """Check one {value, tolerance, credit?, feedback?}; return its credit."""
    if not isinstance(entry, dict) or not is_number(entry.get("value")):
        errors.append(("answers", "each answer needs a numeric value"))
        return None
    tolerance = entry.get("tolerance", 0)
    if not (is_number(tolerance) and tolerance >= 0):
        errors.append(("answers", "tolerance must be a number >= 0"))
    credit = entry.get("credit", 1)
    if not (is_number(credit) and 0 <= credit <= 1):
        errors.append(("answers", "credit must be a number between 0 and 1"))
        return None
    if entry.get("feedback") is not None and not isinstance(entry["feedback"], str):
        errors.append(("answers", "feedback must be a string"))
    return credit


def _validate_numeric(q: dict, errors: list[FieldError]) -> None:
    if "answers" in q:
        answers = q["answers"]
        if not isinstance(answers, list) or not answers:
            errors.append(("answers", "must be a non-empty list of {value, tolerance}"))
            return
        credits = [_validate_numeric_entry(a, errors) for a in answers]
        if 1 not in credits:
            errors.append(("answers", "at least one answer must have credit 1"))
        return
    if not is_number(q.get("answer")):
        errors.append(("answer", "must be a number"))
    tolerance = q.get("tolerance", 0)
    if not (is_number(tolerance) and tolerance >= 0):
        errors.append(("tolerance", "must be a number >= 0"))


_VALIDATORS = {
    "single": _validate_single,
    "multiple": _validate_multiple,
    "true_false": _validate_true_false,
    "short_answer": _validate_short_answer,
    "numeric": _validate_numeric,
    "essay": lambda q, errors: None,
    "description": lambda q, errors: None,
}


def validate_question(question: Any) -> list[FieldError]:
    """Return (field, message) for every problem in a question dict; [] when valid."""
    if not isinstance(question, dict):
        return [("question", "must be an object")]
    qtype = question.get("type")
    if qtype not in QUESTION_TYPES:
        return [("type", f"must be one of {', '.join(QUESTION_TYPES)}")]
    errors: list[FieldError] = []
    _validate_common(question, errors)
    _VALIDATORS[qtype](question, errors)
    return errors


def numeric_answers(question: dict) -> list[NumericAnswer]:
    """Both numeric shapes as one list of {value, tolerance, credit, feedback}."""
    if "answers" in question:
        return [
            {
                "value": a["value"],
                "tolerance": a.get("tolerance", 0),
                "credit": a.get("credit", 1),
                "feedback": a.get("feedback"),
            }
            for a in question["answers"]
        ]
    return [
        {
            "value": question["answer"],
            "tolerance": question.get("tolerance", 0),
            "credit": 1,
            "feedback": None,
        }
    ]

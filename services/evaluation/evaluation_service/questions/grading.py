"""Grade a learner's response to a question, and a whole attempt, as pure functions.

Rules per type (a response of None means "not answered" and scores 0):

- single: 1 for the answer; a wrong choice scores its ``credit`` entry, if any.
- multiple: max(0, (correct picked - wrong picked) / number correct). Picking
  everything therefore scores 0 unless every choice is correct; ``correct`` is
  True only for exactly the right set.
- true_false: 1 or 0.
- short_answer: the best credit among accepted answers that match after
  normalisation (see ``normalise``); ``*`` in an accepted answer matches any text.
- numeric: the best credit among answers with |response - value| <= tolerance.
- essay: pending (a trainer grades it); description: nothing to grade.

Malformed responses score 0 instead of raising; the API calls
``validate_response`` first to answer 422.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .model import FieldError, is_int, is_number, numeric_answers


@dataclass(frozen=True)
class Grade:
    """Score 0..1; correct is None while ungraded (essay) or ungradable."""

    score: float
    correct: bool | None
    pending: bool = False


ZERO = Grade(0.0, False)
# Floats like 0.1 + 0.2 must still match 0.3 with tolerance 0.
_EPSILON = 1e-9


def normalise(text: str) -> str:
    """Case-fold, strip accents, trim and collapse whitespace for short answers.

    Accents are stripped because Indonesian spelling has none: they only show
    up in loanwords and names, which learners often type without them.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def _answer_pattern(accepted: str) -> re.Pattern[str]:
    """Compile an accepted answer; ``*`` is a wildcard, ``\\*`` a literal star."""
    parts = re.split(r"(\\\*|\*)", normalise(accepted))
    regex = "".join(
        ".*" if p == "*" else re.escape("*") if p == "\\*" else re.escape(p) for p in parts
    )
    return re.compile(regex, re.DOTALL)


def short_answer_matches(accepted: str, response: str) -> bool:
    """True when a response matches one accepted short answer."""
    return _answer_pattern(accepted).fullmatch(normalise(response)) is not None


def validate_response(question: dict, response: Any) -> list[FieldError]:
    """Return ("response", message) problems; None (unanswered) is always valid."""
    if response is None:
        return []
    qtype = question.get("type")
    count = len(question.get("choices") or [])
    if qtype == "single":
        if not is_int(response):
            return [("response", "must be the index of a choice")]
        if not 0 <= response < count:
            return [("response", f"index {response} is out of range 0..{count - 1}")]
    elif qtype == "multiple":
        if not isinstance(response, list) or not all(is_int(r) for r in response):
            return [("response", "must be a list of choice indexes")]
        if len(set(response)) != len(response):
            return [("response", "indexes must be unique")]
        if not all(0 <= r < count for r in response):
            return [("response", f"indexes must be in range 0..{count - 1}")]
    elif qtype == "true_false":
        if not isinstance(response, bool):
            return [("response", "must be true or false")]
    elif qtype in ("short_answer", "essay"):
        if not isinstance(response, str):
            return [("response", "must be a string")]
    elif qtype == "numeric":
        if not is_number(response):
            return [("response", "must be a number")]
    elif qtype == "description":
        return [("response", "a description takes no answer")]
    else:
        return [("type", "unknown question type")]
    return []


def _full(score: float) -> Grade:
    return Grade(score, score == 1.0)


def _grade_single(q: dict, response: Any) -> Grade:
    if response == q["answer"]:
        return Grade(1.0, True)
    credit = q.get("credit")
    return Grade(float(credit[response]) if credit else 0.0, False)


def _grade_multiple(q: dict, response: Any) -> Grade:
    correct = set(q["answer"])
    picked = set(response)
    right, wrong = len(picked & correct), len(picked - correct)
    score = max(0.0, (right - wrong) / len(correct))
    return Grade(score, picked == correct)


def _grade_short_answer(q: dict, response: str) -> Grade:
    credit = q.get("credit") or [1.0] * len(q["answers"])
    pairs = zip(q["answers"], credit, strict=True)
    scores = [c for a, c in pairs if short_answer_matches(a, response)]
    return _full(float(max(scores, default=0.0)))


def _grade_numeric(q: dict, response: float) -> Grade:
    scores = [
        a.get("credit", 1)
        for a in numeric_answers(q)
        if abs(response - a["value"]) <= a["tolerance"] + _EPSILON * max(1.0, abs(a["value"]))
    ]
    return _full(float(max(scores, default=0.0)))


def grade(question: dict, response: Any) -> Grade:
    """Grade one response; malformed or missing responses score 0 rather than raise."""
    qtype = question.get("type")
    if qtype == "essay":
        return Grade(0.0, None, pending=True)
    if qtype == "description":
        return Grade(0.0, None)
    if response is None or validate_response(question, response):
        return ZERO
    if qtype == "single":
        return _grade_single(question, response)
    if qtype == "multiple":
        return _grade_multiple(question, response)
    if qtype == "true_false":
        return _full(1.0 if response == question["answer"] else 0.0)
    if qtype == "short_answer":
        return _grade_short_answer(question, response)
    return _grade_numeric(question, response)


def grade_attempt(
    questions: Sequence[dict],
    responses: Sequence[Any] | Mapping[int, Any],
    weights: Sequence[float] | None = None,
    manual_scores: Mapping[int, float] | None = None,
) -> float:
    """Weighted percent score 0..100 for a whole attempt.

    ``responses`` is aligned with ``questions`` (a list, or a mapping by
    position; missing ones count as unanswered). Descriptions carry no weight.
    Essays score ``manual_scores[i]`` (0..1) once a trainer has graded them,
    else 0, so the percent is provisional while any essay is pending.
    """
    if weights is not None and len(weights) != len(questions):
        raise ValueError("weights must have one entry per question")
    if weights is not None and any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    if isinstance(responses, Mapping):
        answers = [responses.get(i) for i in range(len(questions))]
    else:
        answers = [responses[i] if i < len(responses) else None for i in range(len(questions))]
    manual = manual_scores or {}
    total = earned = 0.0
    for i, question in enumerate(questions):
        if question.get("type") == "description":
            continue
        weight = 1.0 if weights is None else float(weights[i])
        if question.get("type") == "essay":
            score = min(1.0, max(0.0, float(manual.get(i, 0.0))))
        else:
            score = grade(question, answers[i]).score
        total += weight
        earned += weight * score
    return 100.0 * earned / total if total else 0.0

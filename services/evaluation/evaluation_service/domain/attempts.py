"""Attempts: what a learner is served, the deadline, grading and the assessment.passed event.

A served question never carries answers or grading data. Choice indexes a learner
sends are positions in the order served; `order` maps them back to the bank's.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from cakap_shared.problems import CakapError
from sqlalchemy import select, update

from .. import clock
from ..extensions import db, events
from ..models import EXPIRED, OPEN, SUBMITTED, Assessment, Attempt, Question
from ..questions.grading import grade, grade_attempt, validate_response
from ..questions.model import is_number

_random = secrets.SystemRandom()
CHOICE_TYPES = ("single", "multiple")


def matching_bank_questions(bank_id: str, tags: list[str]) -> list[Question]:
    """Questions of a bank carrying every tag (descriptions are never drawn)."""
    rows = db.session.scalars(
        select(Question).where(Question.bank_id == bank_id).order_by(Question.position)
    )
    wanted = set(tags)
    return [q for q in rows if q.type != "description" and wanted <= set(q.tags or [])]


def _pick_questions(assessment: Assessment) -> list[Question]:
    if assessment.draw:
        pool = matching_bank_questions(assessment.draw["bank_id"], assessment.draw.get("tags", []))
        count = min(assessment.draw["count"], len(pool))
        if count == 0:
            raise CakapError(
                409, "The assessment's draw rule matches no questions.", code="assessment-empty"
            )
        return _random.sample(pool, count)
    rows = {
        q.id: q
        for q in db.session.scalars(
            select(Question).where(Question.id.in_(assessment.question_ids or []))
        )
    }
    questions = [rows[i] for i in assessment.question_ids or [] if i in rows]
    if not questions:
        raise CakapError(409, "The assessment has no questions.", code="assessment-empty")
    return questions


def build_snapshot(assessment: Assessment) -> list[dict[str, Any]]:
    """Freeze the questions of a new attempt, shuffled when the assessment says so."""
    questions = _pick_questions(assessment)
    if assessment.shuffle:
        questions = _random.sample(questions, len(questions))
    snapshot = []
    for q in questions:
        count = len(q.body.get("choices") or []) if q.type in CHOICE_TYPES else 0
        order = list(range(count))
        if assessment.shuffle and count:
            _random.shuffle(order)
        snapshot.append({"id": q.id, "question": q.body, "order": order})
    return snapshot


def served_questions(attempt: Attempt) -> list[dict[str, Any]]:
    """The questions as the learner sees them: id, type, text, choices in served order."""
    served = []
    for entry in attempt.snapshot:
        q = entry["question"]
        choices = [q["choices"][i] for i in entry["order"]] if entry["order"] else []
        item = {"id": entry["id"], "type": q["type"], "text": q["text"], "choices": choices}
        if q.get("format"):
            item["format"] = q["format"]
        served.append(item)
    return served


def bank_response(entry: dict[str, Any], response: Any) -> Any:
    """A response with choice indexes as the bank orders them (as `answer` does)."""
    order = entry["order"]
    if response is None or not order:
        return response
    if entry["question"]["type"] == "single":
        return order[response]
    return [order[r] for r in response]


def check_answers(attempt: Attempt, answers: dict[str, Any]) -> None:
    """422 naming `answers.<id>` for unknown questions or malformed responses."""
    entries = {e["id"]: e for e in attempt.snapshot}
    errors: dict[str, list[str]] = {}
    for qid, response in answers.items():
        entry = entries.get(qid)
        if entry is None:
            errors[f"answers.{qid}"] = ["is not a question of this attempt"]
            continue
        for _field, message in validate_response(entry["question"], response):
            errors.setdefault(f"answers.{qid}", []).append(message)
    if errors:
        first = next(iter(errors))
        raise CakapError(422, f"{first}: {errors[first][0]}", errors=errors)


def deadline_for(assessment: Assessment, started_at: datetime) -> datetime | None:
    """When an attempt started now must be submitted; None without a time limit."""
    if not assessment.time_limit_minutes:
        return None
    return started_at + timedelta(minutes=assessment.time_limit_minutes)


def is_overdue(attempt: Attempt, now: datetime | None = None) -> bool:
    """True when an open attempt's deadline has passed."""
    deadline = clock.aware(attempt.deadline)
    return deadline is not None and (now or clock.now()) >= deadline


def _feedback(question: dict[str, Any], response: Any) -> list[str]:
    texts: list[str | None] = []
    qtype = question["type"]
    if qtype in CHOICE_TYPES and response is not None and question.get("choice_feedback"):
        picked = [response] if qtype == "single" else response
        texts += [question["choice_feedback"][i] for i in picked]
    if qtype == "true_false" and isinstance(response, bool):
        texts.append(question.get("feedback_true" if response else "feedback_false"))
    texts.append(question.get("feedback"))
    return [t for t in texts if t]


def grade_responses(
    attempt: Attempt, responses: dict[str, Any], manual: dict[str, dict[str, Any]] | None = None
) -> tuple[float, list[dict]]:
    """Score 0..100 (two decimals) and per-question results, responses in served order.

    `manual` holds a trainer's essay grades by question id; an essay without one
    is pending and scores 0 for now.
    """
    manual = manual or {}
    questions, bank_responses, results, manual_scores = [], [], [], {}
    for i, entry in enumerate(attempt.snapshot):
        question = entry["question"]
        response = bank_response(entry, responses.get(entry["id"]))
        graded = grade(question, response)
        result = {
            "question_id": entry["id"],
            "correct": graded.correct,
            "score": graded.score,
            "pending": graded.pending,
            "feedback": _feedback(question, response),
        }
        given = manual.get(entry["id"]) if question["type"] == "essay" else None
        if given is not None:
            manual_scores[i] = given["score"]
            result.update(score=given["score"], pending=False)
            if given.get("comment"):
                result["feedback"].append(given["comment"])
        questions.append(question)
        bank_responses.append(response)
        results.append(result)
    score = grade_attempt(questions, bank_responses, manual_scores=manual_scores)
    return round(score, 2), results


def _announce_pass(attempt: Attempt) -> None:
    """Publish assessment.passed once per attempt, in the caller's transaction.

    The conditional UPDATE claims the announcement, so neither a re-grade nor two
    simultaneous requests can send it twice.
    """
    now = clock.now()
    claimed = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.passed_published_at.is_(None))
        .values(passed_published_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        return
    attempt.passed_published_at = now
    assessment = attempt.assessment
    events.publish(
        "assessment.passed",
        {
            "attempt_id": attempt.id,
            "assessment_id": assessment.id,
            "kind": assessment.kind,
            "learner_id": attempt.learner_id,
            "score": attempt.score,
            "passed": True,
            "submitted_at": clock.aware(attempt.submitted_at).isoformat(),
        },
        aggregate_id=attempt.id,
    )


def _set_grade(attempt: Attempt) -> None:
    """(Re)compute score, passed, results and pending_review from responses and manual grades."""
    manual = attempt.manual_grades or {}
    score, results = grade_responses(attempt, attempt.responses or {}, manual)
    attempt.score = score
    attempt.passed = score >= attempt.assessment.passing_score
    attempt.results = results
    attempt.pending_review = any(r["pending"] for r in results)
    if attempt.passed:
        _announce_pass(attempt)


def finalize(
    attempt: Attempt, responses: dict[str, Any], submitted_at: datetime, status: str
) -> None:
    """Grade and close an open attempt once; 409 if another request closed it first.

    The status change is a conditional UPDATE, so two simultaneous submits cannot
    both grade. assessment.passed joins the same transaction.
    """
    # Share-lock the assessment (PostgreSQL): a settings change, which locks it for update
    # (domain/assessments.update), either waits for this grading and then sees the attempt
    # as submitted, or commits first and this attempt is graded by the settings it set.
    db.session.scalars(
        select(Assessment)
        .where(Assessment.id == attempt.assessment_id)
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    ).one()
    changed = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.status == OPEN)
        .values(status=status)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        raise CakapError(409, "This attempt is already closed.", code="attempt-closed")
    attempt.status = status
    attempt.responses = responses
    attempt.submitted_at = submitted_at
    _set_grade(attempt)


ESSAY_COMMENT_MAX = 5000


def check_grades(attempt: Attempt, grades: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Validate {question id: {"score", "comment"?}}; 422 naming `grades.<id>[.field]`."""
    types = {e["id"]: e["question"]["type"] for e in attempt.snapshot}
    errors: dict[str, list[str]] = {}
    clean: dict[str, dict[str, Any]] = {}
    for qid, given in grades.items():
        where = f"grades.{qid}"
        if qid not in types:
            errors[where] = ["is not a question of this attempt"]
            continue
        if types[qid] != "essay":
            errors[where] = [f"is a {types[qid]} question; only essays are graded by hand"]
            continue
        if not isinstance(given, dict):
            errors[where] = ['must be an object {"score", "comment"?}']
            continue
        for key in set(given) - {"score", "comment"}:
            errors[f"{where}.{key}"] = ["unknown field"]
        score, comment = given.get("score"), given.get("comment")
        if not is_number(score) or not 0 <= score <= 1:
            errors[f"{where}.score"] = ["must be a number from 0 to 1"]
        if comment is not None and (
            not isinstance(comment, str) or len(comment) > ESSAY_COMMENT_MAX
        ):
            errors[f"{where}.comment"] = [f"must be text of at most {ESSAY_COMMENT_MAX} characters"]
        clean[qid] = {"score": float(score) if is_number(score) else 0.0, "comment": comment}
    if errors:
        first = next(iter(errors))
        raise CakapError(422, f"{first}: {errors[first][0]}", errors=errors)
    return clean


def apply_grades(attempt: Attempt, grades: dict[str, dict[str, Any]], grader_id: str) -> list[str]:
    """Record checked essay grades and regrade; returns the ids whose grade changed.

    A grade identical to the stored one is kept as it is (who and when included),
    so sending the same body again changes nothing.
    """
    manual = dict(attempt.manual_grades or {})
    changed = []
    for qid, given in grades.items():
        old = manual.get(qid)
        if old and (old["score"], old.get("comment")) == (given["score"], given["comment"]):
            continue
        manual[qid] = {
            **given,
            "graded_by": grader_id,
            "graded_at": clock.now().isoformat(),
        }
        changed.append(qid)
    if changed:
        attempt.manual_grades = manual
        _set_grade(attempt)
    return changed


def expire(attempt: Attempt) -> None:
    """Close an overdue attempt as of its deadline, with the answers saved before it."""
    finalize(attempt, dict(attempt.responses or {}), clock.aware(attempt.deadline), EXPIRED)


def submit(attempt: Attempt, answers: dict[str, Any]) -> None:
    """Submit now; past the deadline only what was autosaved in time counts."""
    now = clock.now()
    if is_overdue(attempt, now):
        finalize(attempt, dict(attempt.responses or {}), clock.aware(attempt.deadline), SUBMITTED)
    else:
        finalize(attempt, {**(attempt.responses or {}), **answers}, now, SUBMITTED)


def close_overdue_attempts(now: datetime | None = None) -> int:
    """The job: close every open attempt whose deadline has passed; returns how many."""
    now = now or clock.now()
    overdue = db.session.scalars(
        select(Attempt).where(Attempt.status == OPEN, Attempt.deadline.is_not(None))
    ).all()
    closed = 0
    for attempt in overdue:
        if not is_overdue(attempt, now):
            continue
        try:
            expire(attempt)
            db.session.commit()
            closed += 1
        except CakapError:  # closed meanwhile by a submit
            db.session.rollback()
    return closed

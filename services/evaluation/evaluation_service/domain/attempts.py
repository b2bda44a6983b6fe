"""Attempts: what a learner is served, the deadline, grading and the assessment.passed event.

A served question never carries answers or grading data. Choice indexes a learner
sends are positions in the order served; `order` maps them back to the bank's.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from cakap_shared.auth import Principal, current_principal
from cakap_shared.db import aware, paginate
from cakap_shared.logs import audit
from cakap_shared.problems import CakapError
from sqlalchemy import func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..clients import clients
from ..extensions import db, events
from ..models import EXPIRED, OPEN, SUBMITTED, Assessment, Attempt, Question
from ..questions.grading import grade, grade_attempt, validate_response
from ..questions.model import is_number
from .access import not_found
from .assessments import matching_bank_questions, questions_of

_random = secrets.SystemRandom()
CHOICE_TYPES = ("single", "multiple")


def _pick_questions(assessment: Assessment) -> list[Question]:
    if assessment.draw:
        pool = matching_bank_questions(assessment.draw["bank_id"], assessment.draw.get("tags", []))
        count = min(assessment.draw["count"], len(pool))
        if count == 0:
            raise CakapError(
                409, "The assessment's draw rule matches no questions.", code="assessment-empty"
            )
        return _random.sample(pool, count)
    questions = questions_of(assessment)
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
    deadline = aware(attempt.deadline)
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
    claimed = cast(
        "CursorResult[Any]",  # an UPDATE's result, which counts the rows
        db.session.execute(
            update(Attempt)
            .where(Attempt.id == attempt.id, Attempt.passed_published_at.is_(None))
            .values(passed_published_at=now)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if claimed != 1:
        return
    attempt.passed_published_at = now
    assessment = attempt.assessment
    submitted_at = aware(attempt.submitted_at)
    assert submitted_at is not None, "only a submitted attempt is graded"
    events.publish(
        "assessment.passed",
        {
            "attempt_id": attempt.id,
            "assessment_id": assessment.id,
            "kind": assessment.kind,
            "learner_id": attempt.learner_id,
            "score": attempt.score,
            "passed": True,
            "submitted_at": submitted_at.isoformat(),
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
    changed = cast(
        "CursorResult[Any]",  # an UPDATE's result, which counts the rows
        db.session.execute(
            update(Attempt)
            .where(Attempt.id == attempt.id, Attempt.status == OPEN)
            .values(status=status)
            .execution_options(synchronize_session=False)
        ),
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
    deadline = aware(attempt.deadline)
    assert deadline is not None, "only an attempt with a deadline is overdue"
    finalize(attempt, dict(attempt.responses or {}), deadline, EXPIRED)


def submit(attempt: Attempt, answers: dict[str, Any]) -> None:
    """Submit now; past the deadline only what was autosaved in time counts."""
    now = clock.now()
    deadline = aware(attempt.deadline)
    if deadline is not None and is_overdue(attempt, now):
        finalize(attempt, dict(attempt.responses or {}), deadline, SUBMITTED)
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


# --- the attempt's life through the API ----------------------------------------------------

GRADES = ("score", "passed", "pending_review", "results")


def hidden_from_learner(attempt: Attempt) -> set[str]:
    """What an attempt's answer leaves out: grades while open, results without feedback."""
    if attempt.status == OPEN:
        return set(GRADES)
    return set() if attempt.assessment.show_feedback else {"results"}


def _learner_access(principal: Principal, assessment: Assessment) -> dict[str, Any]:
    access = clients().access(principal.id, assessment.id)
    if not access.get("allowed"):
        audit("assessment.attempt_refused", assessment_id=assessment.id)
        raise CakapError(
            403, "You are not enrolled in a course that uses this assessment.", code="not-enrolled"
        )
    return access


def _open_attempt(assessment_id: str, learner_id: str) -> Attempt | None:
    return db.session.scalar(
        select(Attempt).where(
            Attempt.assessment_id == assessment_id,
            Attempt.learner_id == learner_id,
            Attempt.status == OPEN,
        )
    )


def _assessment(assessment_id: str) -> Assessment:
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None:
        raise not_found("assessment")
    return assessment


def attempt_page(principal: Principal, assessment_id: str, args: dict[str, Any]) -> dict[str, Any]:
    """Attempts at an assessment: the owner and admins see all, a learner their own."""
    assessment = _assessment(assessment_id)
    query = select(Attempt).where(Attempt.assessment_id == assessment.id)
    if not (principal.is_admin or assessment.owner_id == principal.id):
        query = query.where(Attempt.learner_id == principal.id)
    elif args.get("learner_id"):
        query = query.where(Attempt.learner_id == args["learner_id"])
    if args.get("status"):
        query = query.where(Attempt.status == args["status"])
    if args.get("pending_review") is not None:
        # Only closed attempts can await review; open ones are not "reviewed".
        query = query.where(
            Attempt.status != OPEN, Attempt.pending_review == args["pending_review"]
        )
    query = query.order_by(Attempt.started_at, Attempt.id)
    return paginate(db, query, args["page"], args["per_page"])


def _attempts_taken(assessment: Assessment, learner_id: str) -> int:
    taken = db.session.scalar(
        select(func.count()).where(
            Attempt.assessment_id == assessment.id, Attempt.learner_id == learner_id
        )
    )
    return taken or 0


def _new_attempt(
    assessment: Assessment, principal: Principal, access: dict[str, Any], number: int
) -> Attempt:
    started = clock.now()
    return Attempt(
        assessment_id=assessment.id,
        learner_id=principal.id,
        number=number,
        snapshot=build_snapshot(assessment),
        responses={},
        course_ids=list(access.get("course_ids") or []),
        class_ids=list(access.get("class_ids") or []),
        unit_code=principal.claims.get("unit_code"),
        started_at=started,
        deadline=deadline_for(assessment, started),
        status=OPEN,
    )


def start(principal: Principal, assessment_id: str) -> Attempt:
    """Start an attempt, or resume the learner's open one (closing it first if overdue).

    403 unless catalog says the learner is enrolled; 409 once every attempt is used.
    """
    if principal.is_service:
        raise CakapError(403, "Only learners sit assessments.")
    assessment = _assessment(assessment_id)
    access = _learner_access(principal, assessment)
    current = _open_attempt(assessment.id, principal.id)
    if current is not None and is_overdue(current):
        expire(current)
        db.session.commit()
        current = None
    if current is not None:
        return current
    taken = _attempts_taken(assessment, principal.id)
    if assessment.max_attempts and taken >= assessment.max_attempts:
        raise CakapError(
            409,
            f"All {assessment.max_attempts} attempts have been used.",
            code="attempts-exhausted",
        )
    attempt = _new_attempt(assessment, principal, access, taken + 1)
    db.session.add(attempt)
    try:
        db.session.commit()
    except IntegrityError:  # a simultaneous start won the race
        db.session.rollback()
        current = _open_attempt(assessment.id, principal.id)
        if current is None:
            raise CakapError(
                409, "Another attempt was started at the same time.", code="stale"
            ) from None
        return current
    audit("assessment.attempt_started", attempt_id=attempt.id, assessment_id=assessment.id)
    return attempt


def visible(attempt_id: str, *, act: bool) -> Attempt:
    """The attempt if the caller may see it (learner, assessment owner, admin).

    Only the learner may act on it (`act`): others get 403 once they can see it.
    """
    principal = current_principal()
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None:
        raise not_found("attempt")
    mine = attempt.learner_id == principal.id
    if not (mine or principal.is_admin or attempt.assessment.owner_id == principal.id):
        raise not_found("attempt")
    if act and not mine:
        raise CakapError(403, "Only the learner may answer this attempt.")
    return attempt


def _held(attempt: Attempt) -> Attempt:
    """The attempt read afresh and locked (PostgreSQL) until the transaction ends."""
    return db.session.scalars(
        select(Attempt)
        .where(Attempt.id == attempt.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _close_if_overdue(attempt: Attempt) -> None:
    if attempt.status == OPEN and is_overdue(attempt):
        expire(attempt)
        db.session.commit()


def show(attempt_id: str) -> Attempt:
    """An attempt as of now: one past its deadline is closed first."""
    attempt = visible(attempt_id, act=False)
    _close_if_overdue(attempt)
    return attempt


def save_answers(attempt_id: str, answers: dict[str, Any]) -> Attempt:
    """Autosave answers (merged; null clears one); 409 once closed or past the deadline."""
    # Held: an autosave that read the attempt before a submission committed must see it
    # closed, not write its answers over the graded ones (nor over another tab's save).
    attempt = _held(visible(attempt_id, act=True))
    _close_if_overdue(attempt)
    if attempt.status != OPEN:
        raise CakapError(
            409, "This attempt is closed; answers are no longer accepted.", code="attempt-closed"
        )
    check_answers(attempt, answers)
    merged = {**(attempt.responses or {}), **answers}
    attempt.responses = {k: v for k, v in merged.items() if v is not None}
    db.session.commit()
    return attempt


def submit_answers(attempt_id: str, answers: dict[str, Any]) -> Attempt:
    """Submit and grade (as of the deadline when past it); 409 for a second submit."""
    attempt = visible(attempt_id, act=True)
    if attempt.status != OPEN:
        raise CakapError(
            409, "This attempt has already been submitted or closed.", code="attempt-closed"
        )
    check_answers(attempt, answers)
    submit(attempt, {k: v for k, v in answers.items() if v is not None})
    db.session.commit()
    audit("assessment.submitted", attempt_id=attempt.id, score=attempt.score, passed=attempt.passed)
    return attempt


def for_review(attempt_id: str) -> Attempt:
    """A closed attempt the caller may grade: its assessment's owner or an admin.

    Its learner gets 403 (they may see it, not grade it); anyone else 404.
    An attempt still open is 409: there is nothing to review before submission.
    """
    attempt = visible(attempt_id, act=False)
    principal = current_principal()
    if not (principal.is_admin or attempt.assessment.owner_id == principal.id):
        raise CakapError(403, "Only the assessment's owner or an admin reviews attempts.")
    _close_if_overdue(attempt)
    if attempt.status == OPEN:
        raise CakapError(409, "The attempt has not been submitted yet.")
    return attempt


@dataclass(frozen=True)
class ReviewedQuestion:
    """One question of a closed attempt as its grader sees it."""

    id: str
    question: dict[str, Any]
    response: Any
    result: dict[str, Any] | None
    grade: dict[str, Any] | None


def reviewed_questions(attempt: Attempt) -> list[ReviewedQuestion]:
    """The attempt's questions with answers, responses in bank order, results and grades."""
    manual = attempt.manual_grades or {}
    results = {r["question_id"]: r for r in attempt.results or []}
    responses = attempt.responses or {}
    return [
        ReviewedQuestion(
            id=entry["id"],
            question=entry["question"],
            response=bank_response(entry, responses.get(entry["id"])),
            result=results.get(entry["id"]),
            grade=manual.get(entry["id"]),
        )
        for entry in attempt.snapshot
    ]


def grade_essays(grader: Principal, attempt_id: str, grades: dict[str, Any]) -> Attempt:
    """Record a grader's essay grades (0..1 each) and regrade; audited per changed grade."""
    # Held, so that two graders merge their grades instead of racing.
    attempt = _held(for_review(attempt_id))
    checked = check_grades(attempt, grades)
    was_passed = bool(attempt.passed)
    changed = apply_grades(attempt, checked, grader.id)
    db.session.commit()
    for question_id in changed:
        audit(
            "assessment.essay_graded",
            attempt_id=attempt.id,
            question_id=question_id,
            score=checked[question_id]["score"],
        )
    if changed:
        audit(
            "assessment.regraded",
            attempt_id=attempt.id,
            score=attempt.score,
            passed=attempt.passed,
            was_passed=was_passed,
            pending_review=attempt.pending_review,
        )
    return attempt

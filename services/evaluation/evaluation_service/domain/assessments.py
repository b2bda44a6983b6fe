"""Assessments: where their questions come from, and which settings may change when.

Once a learner has submitted an attempt (or had one closed at its deadline), the test is
"in use": every later learner must be held to the rules the earlier ones were graded by.
From then on:

- the questions (`questions`, `question_ids`, `draw`), the `passing_score` and the `kind`
  are frozen: changing them would make scores already given, passes already announced
  (JP, certificates) and the pre/post learning gain incomparable with later ones;
- `max_attempts` may be raised or removed, never lowered (a learner who already used
  three attempts must not have had more chances than those still to come);
- `time_limit_minutes` may be lengthened or removed, never shortened or added; an attempt
  already open keeps the deadline it started with;
- `title`, `shuffle`, `show_feedback` and `course_code` change freely: they change nothing
  a learner is graded by (shuffling applies to attempts started afterwards).

A refused change is 409 `assessment-in-use` naming the fields, and nothing is changed.
Before the first submission everything may change; open attempts keep the questions they
were served (each attempt holds its own snapshot).
"""

from __future__ import annotations

from typing import Any

from cakap_shared.auth import Principal
from cakap_shared.db import paginate
from cakap_shared.logs import audit
from cakap_shared.problems import CakapError, invalid
from sqlalchemy import func, select

from ..extensions import db
from ..models import OPEN, Assessment, Attempt, Question, QuestionBank
from . import questions
from .access import author, get_owned

SOURCES = ("questions", "question_ids", "draw")
FROZEN_ONCE_USED = ("kind", "passing_score", *SOURCES)
FREE = ("title", "shuffle", "show_feedback", "course_code")
SETTINGS = (*FREE, "kind", "passing_score", "time_limit_minutes", "max_attempts", "draw")


def load(assessment_id: str) -> Assessment:
    """An assessment of the calling trainer (admins: any); 404 otherwise."""
    author()
    return get_owned(Assessment, assessment_id, "assessment")


def questions_of(assessment: Assessment) -> list[Question]:
    """The fixed questions of an assessment in the order written (none for a draw rule)."""
    ids = assessment.question_ids or []
    rows = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(ids)))}
    return [rows[i] for i in ids if i in rows]


def matching_bank_questions(bank_id: str, tags: list[str]) -> list[Question]:
    """Questions of a bank carrying every tag (descriptions are never drawn)."""
    rows = db.session.scalars(
        select(Question).where(Question.bank_id == bank_id).order_by(Question.position)
    )
    wanted = set(tags)
    return [q for q in rows if q.type != "description" and wanted <= set(q.tags or [])]


def assessment_page(principal: Principal, args: dict[str, Any]) -> dict[str, Any]:
    """The caller's assessments (admins: all), by kind and course code."""
    query = select(Assessment).order_by(Assessment.created_at, Assessment.id)
    if not principal.is_admin:
        query = query.where(Assessment.owner_id == principal.id)
    for key in ("kind", "course_code"):
        if args.get(key):
            query = query.where(getattr(Assessment, key) == args[key])
    return paginate(db, query, args["page"], args["per_page"])


def create(principal: Principal, body: dict[str, Any]) -> Assessment:
    """A new assessment owned by the caller; inline questions are stored outside any bank."""
    inline, ids = check_sources(body, principal)
    rows = [questions.new_question(q, principal.id, None, i) for i, q in enumerate(inline)]
    db.session.add_all(rows)
    db.session.flush()
    assessment = Assessment(
        owner_id=principal.id,
        question_ids=[q.id for q in rows] + ids,
        **{name: body.get(name) for name in SETTINGS},
    )
    db.session.add(assessment)
    db.session.commit()
    audit("assessment.created", assessment_id=assessment.id)
    return assessment


def check_sources(body: dict[str, Any], principal: Principal) -> tuple[list[dict], list[str]]:
    """Validate inline questions, bank question ids and the draw rule; 422 naming the field."""
    inline = [questions.check(q, prefix=f"questions.{i}.") for i, q in enumerate(body["questions"])]
    ids = body["question_ids"]
    if ids:
        found = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(ids)))}
        for i, qid in enumerate(ids):
            q = found.get(qid)
            if q is None or not (principal.is_admin or q.owner_id == principal.id):
                raise invalid(f"question_ids.{i}", "no such question in your banks")
        if len(set(ids)) != len(ids):
            raise invalid("question_ids", "a question may appear only once")
    draw = body.get("draw")
    if draw:
        if inline or ids:
            raise invalid("draw", "use either a draw rule or fixed questions, not both")
        bank = db.session.get(QuestionBank, draw["bank_id"])
        if bank is None or not (principal.is_admin or bank.owner_id == principal.id):
            raise invalid("draw.bank_id", "no such question bank of yours")
        available = len(matching_bank_questions(bank.id, draw["tags"]))
        if draw["count"] > available:
            raise invalid("draw.count", f"only {available} questions match the tags")
    elif not inline and not ids:
        raise invalid("questions", "an assessment needs questions or a draw rule")
    return inline, ids


def submitted_attempts(assessment: Assessment) -> int:
    """Attempts submitted or closed at their deadline: what makes a test "in use"."""
    return (
        db.session.scalar(
            select(func.count()).where(
                Attempt.assessment_id == assessment.id, Attempt.status != OPEN
            )
        )
        or 0
    )


def _tighter(old: int | None, new: int | None) -> bool:
    """True when `new` allows less than `old` (None is no limit)."""
    return new is not None and (old is None or new < old)


def _unfair_changes(assessment: Assessment, changes: dict[str, Any]) -> list[str]:
    """The fields of `changes` that may not change once learners have submitted."""
    refused = [
        name
        for name in FROZEN_ONCE_USED
        if name in changes and (name in SOURCES or changes[name] != getattr(assessment, name))
    ]
    for name in ("max_attempts", "time_limit_minutes"):
        if name in changes and _tighter(getattr(assessment, name), changes[name]):
            refused.append(name)
    return refused


def update(assessment_id: str, changes: dict[str, Any], principal: Principal) -> Assessment:
    """Change an assessment's settings or questions (the caller owns it or is an admin).

    The row is locked first (PostgreSQL), so two editors do not interleave; what is
    refused is refused as a whole (module docstring for the rules).
    """
    assessment = load(assessment_id)
    assessment = db.session.scalars(
        select(Assessment)
        .where(Assessment.id == assessment.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    used = submitted_attempts(assessment)
    if used:
        refused = _unfair_changes(assessment, changes)
        if refused:
            db.session.rollback()
            raise CakapError(
                409,
                f"{used} attempt(s) have been submitted: {', '.join(refused)} can no longer "
                "change (questions, passing score and kind are frozen; attempts and the time "
                "limit may only be loosened).",
                code="assessment-in-use",
                fields=refused,
            )
    if any(name in changes for name in SOURCES):
        source: dict[str, Any] = {
            "questions": changes.get("questions") or [],
            "question_ids": changes.get("question_ids") or [],
            "draw": changes.get("draw"),
        }
        inline, ids = check_sources(source, principal)
        rows = [
            questions.new_question(q, assessment.owner_id, None, i) for i, q in enumerate(inline)
        ]
        db.session.add_all(rows)
        db.session.flush()
        assessment.question_ids = [q.id for q in rows] + ids
        assessment.draw = source["draw"] or None
    for name in (*FREE, "kind", "passing_score", "max_attempts", "time_limit_minutes"):
        if name in changes:
            setattr(assessment, name, changes[name])
    db.session.commit()
    audit("assessment.updated", assessment_id=assessment.id, fields=sorted(changes))
    return assessment

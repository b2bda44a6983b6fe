"""Reports per course, class, unit and trainer: L1 reaction, L2 learning, L3 behaviour.

Attempts carry the course and class ids catalog gave when they started, so a pre test
and a post test are linked to a course without extra setup. Where that is missing,
the course's tests from course.published, or assessments whose `course_code` is set,
are used; `pre_test_id`/`post_test_id` can always be named explicitly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from statistics import mean
from typing import Any

from cakap_shared.auth import Principal
from cakap_shared.db import aware, local_date
from cakap_shared.problems import invalid
from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..models import OPEN, Assessment, Attempt, Completion, Course, ImpactEvaluation, Survey
from .impact import SUPERVISOR, ImpactStatus, status_of
from .surveys import DIMENSIONS, dimension_scores

GROUPINGS = ("course", "class", "unit", "trainer")


@dataclass
class AttemptFact:
    """A closed attempt with the groups it belongs to."""

    learner_id: str
    assessment_id: str
    kind: str
    score: float
    passed: bool
    started_at: Any
    courses: set[str] = field(default_factory=set)
    classes: set[str] = field(default_factory=set)
    unit: str | None = None
    trainers: set[str] = field(default_factory=set)


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _avg(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return _r(mean(present)) if present else None


def _attempt_facts() -> list[AttemptFact]:
    courses = {c.id: c for c in db.session.scalars(select(Course))}
    by_test: dict[str, set[str]] = defaultdict(set)
    for course in courses.values():
        for test_id in (course.pre_test_id, course.post_test_id):
            if test_id:
                by_test[test_id].add(course.code)
    class_trainers: dict[str, set[str]] = defaultdict(set)
    for completion in db.session.scalars(select(Completion)):
        if completion.class_id:
            class_trainers[completion.class_id].update(completion.trainer_ids or [])
    facts = []
    rows = db.session.execute(
        select(Attempt, Assessment).join(Assessment).where(Attempt.status != OPEN)
    )
    for attempt, assessment in rows:
        codes = {courses[c].code if c in courses else c for c in attempt.course_ids or []}
        codes |= by_test.get(assessment.id, set())
        if assessment.course_code:
            codes.add(assessment.course_code)
        classes = set(attempt.class_ids or [])
        trainers = {t for c in classes for t in class_trainers.get(c, set())}
        facts.append(
            AttemptFact(
                learner_id=attempt.learner_id,
                assessment_id=assessment.id,
                kind=assessment.kind,
                score=attempt.score or 0.0,
                passed=bool(attempt.passed),
                started_at=aware(attempt.started_at),
                courses=codes,
                classes=classes,
                unit=attempt.unit_code,
                trainers=trainers or {assessment.owner_id},
            )
        )
    return facts


def learner_gains(
    facts: list[AttemptFact], pre_id: str | None = None, post_id: str | None = None
) -> dict[str, dict[str, Any]]:
    """Per learner: the first pre-test score, the best post-test score, gain and normalised gain.

    Normalised gain (Hake) is (post - pre) / (100 - pre); undefined when pre is 100.
    """
    pre: dict[str, AttemptFact] = {}
    post: dict[str, AttemptFact] = {}
    for fact in sorted(facts, key=lambda f: f.started_at):
        if (fact.assessment_id == pre_id) if pre_id else fact.kind == "pre_test":
            pre.setdefault(fact.learner_id, fact)
        if (fact.assessment_id == post_id) if post_id else fact.kind == "post_test":
            best = post.get(fact.learner_id)
            if best is None or fact.score > best.score:
                post[fact.learner_id] = fact
    out = {}
    for learner in sorted(set(pre) | set(post)):
        p, q = pre.get(learner), post.get(learner)
        row: dict[str, Any] = {
            "learner_id": learner,
            "pre": _r(p.score) if p else None,
            "post": _r(q.score) if q else None,
            "gain": None,
            "normalised_gain": None,
            "classes": sorted((p.classes if p else set()) | (q.classes if q else set())),
        }
        if p and q:
            row["gain"] = _r(q.score - p.score)
            if p.score < 100:
                row["normalised_gain"] = _r((q.score - p.score) / (100 - p.score))
        out[learner] = row
    return out


def _class_gain(rows: list[dict[str, Any]]) -> dict[str, Any]:
    paired = [r for r in rows if r["gain"] is not None]
    pre_avg = _avg(r["pre"] for r in paired)
    post_avg = _avg(r["post"] for r in paired)
    class_g = None
    if pre_avg is not None and post_avg is not None and pre_avg < 100:
        class_g = _r((post_avg - pre_avg) / (100 - pre_avg))
    return {
        "learners": len(rows),
        "paired": len(paired),
        "pre_avg": pre_avg,
        "post_avg": post_avg,
        "gain_avg": _avg(r["gain"] for r in paired),
        "normalised_gain_avg": _avg(r["normalised_gain"] for r in paired),
        "class_normalised_gain": class_g,
    }


def _names() -> dict[str, str]:
    names = {}
    for completion in db.session.scalars(select(Completion)):
        if completion.learner_name:
            names[completion.learner_id] = completion.learner_name
    return names


def _gain_facts(principal: Principal, args: dict[str, Any]) -> list[AttemptFact]:
    """The closed attempts a learning-gain report reads: of the course, the class or the
    named pair, and (for trainers) of their own classes."""
    if not any(args.get(k) for k in ("course_code", "class_id", "pre_test_id")):
        raise invalid("course_code", "give course_code, class_id or pre_test_id/post_test_id")
    if bool(args.get("pre_test_id")) != bool(args.get("post_test_id")):
        raise invalid("post_test_id", "pre_test_id and post_test_id go together")
    facts = _attempt_facts()
    if args.get("course_code"):
        facts = [f for f in facts if args["course_code"] in f.courses]
    if args.get("class_id"):
        facts = [f for f in facts if args["class_id"] in f.classes]
    if args.get("pre_test_id"):
        ids = {args["pre_test_id"], args["post_test_id"]}
        facts = [f for f in facts if f.assessment_id in ids]
    if not principal.is_admin:
        facts = [f for f in facts if principal.id in f.trainers]
    return facts


def learning_gain(principal: Principal, args: dict[str, Any]) -> dict[str, Any]:
    """Kirkpatrick level 2: gain and normalised gain per learner, per class and overall."""
    facts = _gain_facts(principal, args)
    gains = learner_gains(facts, args.get("pre_test_id"), args.get("post_test_id"))
    names = _names()
    learners = [{**row, "name": names.get(row["learner_id"], "")} for row in gains.values()]
    per_class: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in learners:
        for class_id in row["classes"] or ["-"]:
            if not args.get("class_id") or class_id == args["class_id"]:
                per_class[class_id].append(row)
    return {
        "course_code": args.get("course_code"),
        "class_id": args.get("class_id"),
        "learners": learners,
        "classes": [{"class_id": c, **_class_gain(rows)} for c, rows in sorted(per_class.items())],
        "overall": _class_gain(learners),
    }


def _keys_of(group_by: str) -> dict[str, Callable[[Any], Iterable[str]]]:
    """How each kind of record names its groups."""
    if group_by == "course":
        return {"completion": lambda c: [c.course_code], "fact": lambda f: f.courses}
    if group_by == "class":
        return {
            "completion": lambda c: [c.class_id] if c.class_id else [],
            "fact": lambda f: f.classes,
        }
    if group_by == "unit":
        return {"completion": lambda c: [c.unit_code or "-"], "fact": lambda f: [f.unit or "-"]}
    return {"completion": lambda c: c.trainer_ids or [], "fact": lambda f: f.trainers}


@dataclass
class Group:
    """What one row of the summary is computed from."""

    completions: int = 0
    labels: set[str] = field(default_factory=set)
    surveys: list[dict[str, float]] = field(default_factory=list)
    facts: list[AttemptFact] = field(default_factory=list)
    impact: list[ImpactEvaluation] = field(default_factory=list)


def _kept_completions(
    principal: Principal, course_code: str | None, class_id: str | None
) -> dict[str, Completion]:
    """Completions by enrolment id, of the course and class asked, and (for trainers) their own."""
    return {
        c.enrolment_id: c
        for c in db.session.scalars(select(Completion))
        if (not course_code or c.course_code == course_code)
        and (not class_id or c.class_id == class_id)
        and (principal.is_admin or principal.id in (c.trainer_ids or []))
    }


def _label(group_by: str, completion: Completion, key: str) -> str | None:
    return {
        "course": completion.course_title,
        "class": completion.class_name,
        "unit": completion.unit_code,
        "trainer": key,
    }[group_by]


def _group_completions(
    groups: dict[str, Group], group_by: str, kept: dict[str, Completion]
) -> None:
    """Count completions and their labels, then file answered surveys (L1) and supervisors'
    impact evaluations (L3) under their completion's groups."""
    keys = _keys_of(group_by)["completion"]
    for completion in kept.values():
        for key in keys(completion):
            groups[key].completions += 1
            label = _label(group_by, completion, key)
            if label:
                groups[key].labels.add(label)
    for survey in db.session.scalars(select(Survey).where(Survey.answered_at.is_not(None))):
        completed = kept.get(survey.enrolment_id)
        for key in keys(completed) if completed is not None else []:
            groups[key].surveys.append(
                dimension_scores(survey.ratings or {}, survey.template.items)
            )
    supervisors = select(ImpactEvaluation).where(ImpactEvaluation.evaluator_role == SUPERVISOR)
    for evaluation in db.session.scalars(supervisors):
        completed = kept.get(evaluation.enrolment_id)
        for key in keys(completed) if completed is not None else []:
            groups[key].impact.append(evaluation)


def _group_facts(
    groups: dict[str, Group],
    group_by: str,
    principal: Principal,
    course_code: str | None,
    class_id: str | None,
) -> None:
    """File closed attempts (L2) under their groups, with the same filters as completions."""
    keys = _keys_of(group_by)["fact"]
    for fact in _attempt_facts():
        if course_code and course_code not in fact.courses:
            continue
        if class_id and class_id not in fact.classes:
            continue
        if not principal.is_admin and principal.id not in fact.trainers:
            continue
        for key in keys(fact):
            groups[key].facts.append(fact)


def _reaction(surveys: list[dict[str, float]]) -> dict[str, Any]:
    """L1: how many answered, the average per dimension and overall."""
    figures: dict[str, Any] = {"l1_responses": len(surveys)}
    for dim in DIMENSIONS:
        figures[f"l1_{dim}"] = _avg(s.get(dim) for s in surveys)
    figures["l1_overall"] = _avg(_avg(s.values()) for s in surveys)
    return figures


def _learning(facts: list[AttemptFact]) -> dict[str, Any]:
    """L2: learners tested, pass rate, pre/post averages and gains."""
    post = [f for f in facts if f.kind in ("post_test", "exam")]
    tested = {f.learner_id for f in post}
    passed = {f.learner_id for f in post if f.passed}
    gains = _class_gain(list(learner_gains(facts).values()))
    return {
        "l2_learners_tested": len(tested),
        "l2_pass_rate": _r(len(passed) / len(tested)) if tested else None,
        "l2_pre_avg": gains["pre_avg"],
        "l2_post_avg": gains["post_avg"],
        "l2_gain_avg": gains["gain_avg"],
        "l2_normalised_gain_avg": gains["normalised_gain_avg"],
    }


def _behaviour(impact: list[ImpactEvaluation], today: date) -> dict[str, Any]:
    """L3: evaluations, done and overdue, completion rate and average ratings."""
    statuses = [status_of(e, today) for e in impact]
    done = [e for e in impact if e.submitted_at is not None]
    return {
        "l3_evaluations": len(impact),
        "l3_done": len(done),
        "l3_overdue": statuses.count(ImpactStatus.OVERDUE),
        "l3_completion_rate": _r(len(done) / len(impact)) if impact else None,
        "l3_behaviour_avg": _avg(e.behaviour_average for e in done),
        "l3_impact_avg": _avg(e.impact_rating for e in done),
    }


def summary_rows(
    group_by: str, principal: Principal, course_code: str | None = None, class_id: str | None = None
) -> list[dict[str, Any]]:
    """One row per group with L1, L2 and L3 figures."""
    groups: dict[str, Group] = defaultdict(Group)
    _group_completions(groups, group_by, _kept_completions(principal, course_code, class_id))
    _group_facts(groups, group_by, principal, course_code, class_id)
    today = clock.today()
    return [
        {
            "group_by": group_by,
            "key": key,
            "label": ", ".join(sorted(group.labels)) or key,
            "completions": group.completions,
            **_reaction(group.surveys),
            **_learning(group.facts),
            **_behaviour(group.impact, today),
        }
        for key, group in sorted(groups.items())
    ]


def overdue_by_unit() -> list[dict[str, Any]]:
    """Overdue supervisor impact evaluations counted per unit."""
    today = clock.today()
    counts: dict[str, int] = defaultdict(int)
    rows = db.session.scalars(
        select(ImpactEvaluation).where(
            ImpactEvaluation.submitted_at.is_(None),
            ImpactEvaluation.due_on < today,
            ImpactEvaluation.evaluator_role == SUPERVISOR,
        )
    )
    for evaluation in rows:
        counts[evaluation.unit_code or "-"] += 1
    return [{"unit_code": u, "overdue": n} for u, n in sorted(counts.items())]


def impact_by_unit(year: int) -> list[dict[str, Any]]:
    """Submitted supervisor impact evaluations of `year`, per learner's unit: how many, the
    average impact rating and behaviour change (aggregates only: no learner named)."""
    totals: dict[str, list[ImpactEvaluation]] = defaultdict(list)
    for evaluation in db.session.scalars(
        select(ImpactEvaluation).where(
            ImpactEvaluation.submitted_at.is_not(None),
            ImpactEvaluation.evaluator_role == SUPERVISOR,
        )
    ):
        submitted_at = aware(evaluation.submitted_at)  # set: the query asked for submitted ones
        if submitted_at is not None and local_date(submitted_at).year == year:
            totals[evaluation.unit_code or "-"].append(evaluation)
    return [
        {
            "unit_code": unit,
            "evaluations": len(done),
            "impact_rating_avg": _avg(e.impact_rating for e in done),
            "behaviour_avg": _avg(e.behaviour_average for e in done),
        }
        for unit, done in sorted(totals.items())
    ]

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
from statistics import mean
from typing import Any

from cakap_shared.auth import Principal, require_roles
from cakap_shared.db import local_date
from cakap_shared.problems import CakapError, invalid
from cakap_shared.tabular import csv_response
from flask import Response, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from . import clock
from .domain.impact import SUPERVISOR, status_of
from .domain.surveys import DIMENSIONS, dimension_scores
from .extensions import db
from .models import OPEN, Assessment, Attempt, Completion, Course, ImpactEvaluation, Survey
from .schemas import GainArgsSchema, ReportArgsSchema, YearArgsSchema

blp = Blueprint("reports", __name__, url_prefix="/api/v1", description="Evaluation reports")


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
                started_at=clock.aware(attempt.started_at),
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


def _reporter() -> Principal:
    return require_roles("admin", "trainer")


def _names() -> dict[str, str]:
    names = {}
    for completion in db.session.scalars(select(Completion)):
        if completion.learner_name:
            names[completion.learner_id] = completion.learner_name
    return names


def _csv(rows: list[dict[str, Any]], filename: str) -> Response:
    columns = list(rows[0]) if rows else ["empty"]
    return csv_response(filename, columns, ([row.get(c) for c in columns] for row in rows))


@blp.route("/reports/learning-gain")
class LearningGain(MethodView):
    """Kirkpatrick level 2: pre test to post test."""

    @blp.arguments(GainArgsSchema, location="query")
    @blp.response(200)
    def get(self, args: dict[str, Any]) -> Any:
        """Gain and normalised gain per learner and per class."""
        principal = _reporter()
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
        gains = learner_gains(facts, args.get("pre_test_id"), args.get("post_test_id"))
        names = _names()
        learners = [{**row, "name": names.get(row["learner_id"], "")} for row in gains.values()]
        per_class: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in learners:
            for class_id in row["classes"] or ["-"]:
                if not args.get("class_id") or class_id == args["class_id"]:
                    per_class[class_id].append(row)
        classes = [{"class_id": c, **_class_gain(rows)} for c, rows in sorted(per_class.items())]
        if args["format"] == "csv":
            return _csv(learners, "learning-gain.csv")
        return jsonify(
            course_code=args.get("course_code"),
            class_id=args.get("class_id"),
            learners=learners,
            classes=classes,
            overall=_class_gain(learners),
        )


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


def summary_rows(
    group_by: str, principal: Principal, course_code: str | None = None, class_id: str | None = None
) -> list[dict[str, Any]]:
    """One row per group with L1, L2 and L3 figures."""
    keys = _keys_of(group_by)
    completions = {c.enrolment_id: c for c in db.session.scalars(select(Completion))}

    def keep_completion(c: Completion) -> bool:
        return (
            (not course_code or c.course_code == course_code)
            and (not class_id or c.class_id == class_id)
            and (principal.is_admin or principal.id in (c.trainer_ids or []))
        )

    kept = {k: c for k, c in completions.items() if keep_completion(c)}
    groups: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"completions": 0, "labels": set(), "surveys": [], "facts": [], "impact": []}
    )
    for completion in kept.values():
        for key in keys["completion"](completion):
            group = groups[key]
            group["completions"] += 1
            label = {
                "course": completion.course_title,
                "class": completion.class_name,
                "unit": completion.unit_code,
                "trainer": key,
            }[group_by]
            if label:
                group["labels"].add(label)
    for survey in db.session.scalars(select(Survey).where(Survey.answered_at.is_not(None))):
        completion = kept.get(survey.enrolment_id)
        if completion is not None:
            for key in keys["completion"](completion):
                groups[key]["surveys"].append(
                    dimension_scores(survey.ratings or {}, survey.template.items)
                )
    for evaluation in db.session.scalars(
        select(ImpactEvaluation).where(ImpactEvaluation.evaluator_role == SUPERVISOR)
    ):
        completion = kept.get(evaluation.enrolment_id)
        if completion is not None:
            for key in keys["completion"](completion):
                groups[key]["impact"].append(evaluation)
    for fact in _attempt_facts():
        if course_code and course_code not in fact.courses:
            continue
        if class_id and class_id not in fact.classes:
            continue
        if not principal.is_admin and principal.id not in fact.trainers:
            continue
        for key in keys["fact"](fact):
            groups[key]["facts"].append(fact)
    today = clock.today()
    rows = []
    for key, group in sorted(groups.items()):
        surveys, facts, impact = group["surveys"], group["facts"], group["impact"]
        row: dict[str, Any] = {
            "group_by": group_by,
            "key": key,
            "label": ", ".join(sorted(group["labels"])) or key,
            "completions": group["completions"],
            "l1_responses": len(surveys),
        }
        for dim in DIMENSIONS:
            row[f"l1_{dim}"] = _avg(s.get(dim) for s in surveys)
        row["l1_overall"] = _avg(_avg(s.values()) for s in surveys)
        post = [f for f in facts if f.kind in ("post_test", "exam")]
        tested = {f.learner_id for f in post}
        passed = {f.learner_id for f in post if f.passed}
        gains = _class_gain(list(learner_gains(facts).values()))
        row.update(
            {
                "l2_learners_tested": len(tested),
                "l2_pass_rate": _r(len(passed) / len(tested)) if tested else None,
                "l2_pre_avg": gains["pre_avg"],
                "l2_post_avg": gains["post_avg"],
                "l2_gain_avg": gains["gain_avg"],
                "l2_normalised_gain_avg": gains["normalised_gain_avg"],
            }
        )
        statuses = [status_of(e, today) for e in impact]
        done = [e for e in impact if e.submitted_at is not None]
        row.update(
            {
                "l3_evaluations": len(impact),
                "l3_done": len(done),
                "l3_overdue": statuses.count("overdue"),
                "l3_completion_rate": _r(len(done) / len(impact)) if impact else None,
                "l3_behaviour_avg": _avg(e.behaviour_average for e in done),
                "l3_impact_avg": _avg(e.impact_rating for e in done),
            }
        )
        rows.append(row)
    return rows


@blp.route("/reports/summary")
class Summary(MethodView):
    """L1, L2 and L3 per course, class, unit or trainer."""

    @blp.arguments(ReportArgsSchema, location="query")
    @blp.response(200)
    def get(self, args: dict[str, Any]) -> Any:
        """Reaction averages, learning gain and pass rate, impact completion and ratings."""
        principal = _reporter()
        rows = summary_rows(
            args["group_by"], principal, args.get("course_code"), args.get("class_id")
        )
        if args["format"] == "csv":
            return _csv(rows, f"evaluation-by-{args['group_by']}.csv")
        return jsonify(group_by=args["group_by"], items=rows)


@blp.route("/reports/overdue-impact-evaluations")
class OverdueByUnit(MethodView):
    """Overdue impact evaluations per unit."""

    @blp.response(200)
    def get(self) -> Any:
        """Count of overdue supervisor evaluations per unit (admins)."""
        if not require_roles("admin").is_admin:
            raise CakapError(403, "Admins only.")
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
        return jsonify(items=[{"unit_code": u, "overdue": n} for u, n in sorted(counts.items())])


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
        if local_date(clock.aware(evaluation.submitted_at)).year == year:
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


@blp.route("/reports/impact-by-unit")
class ImpactByUnit(MethodView):
    """Impact ratings per unit, for leaders comparing units."""

    @blp.arguments(YearArgsSchema, location="query")
    @blp.response(200)
    def get(self, args: dict[str, Any]) -> Any:
        """Per unit: submitted supervisor evaluations of a year and their average ratings
        (admins and supervisors; figures only)."""
        require_roles("admin", "supervisor")
        year = args.get("year") or clock.today().year
        return jsonify(year=year, items=impact_by_unit(year))

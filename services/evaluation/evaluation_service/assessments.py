"""Assessments and their attempts: create, start/resume, autosave, submit."""

from __future__ import annotations

from typing import Any

from cakap_shared.auth import Principal, current_principal, roles_required
from cakap_shared.db import paginate
from cakap_shared.http import ServiceUnavailable
from cakap_shared.logs import audit
from cakap_shared.problems import CakapError
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from . import clock
from .clients import clients, unavailable
from .domain import assessments
from .domain import attempts as attempt_logic
from .domain import questions as question_io
from .domain.access import author, get_owned, not_found
from .extensions import db
from .models import OPEN, Assessment, Attempt, Question
from .schemas import (
    AnswersSchema,
    AssessmentInSchema,
    AssessmentPageSchema,
    AssessmentPatchSchema,
    AssessmentQueryArgsSchema,
    AssessmentSchema,
    AttemptPageSchema,
    AttemptQueryArgsSchema,
    AttemptReviewSchema,
    AttemptSchema,
    GradesInSchema,
    SubmitResultSchema,
)

blp = Blueprint("assessments", __name__, url_prefix="/api/v1", description="Assessments")


def _assessment_out(assessment: Assessment) -> dict[str, Any]:
    rows = {
        q.id: q
        for q in db.session.scalars(
            select(Question).where(Question.id.in_(assessment.question_ids or []))
        )
    }
    out = {c: getattr(assessment, c) for c in AssessmentSchema._declared_fields if c != "questions"}
    out["questions"] = [
        question_io.dump(rows[i]) for i in assessment.question_ids or [] if i in rows
    ]
    return out


def attempt_out(attempt: Attempt) -> dict[str, Any]:
    """An attempt for its learner: served questions; grades only once it is closed."""
    out: dict[str, Any] = {
        "id": attempt.id,
        "assessment_id": attempt.assessment_id,
        "learner_id": attempt.learner_id,
        "number": attempt.number,
        "status": attempt.status,
        "started_at": clock.aware(attempt.started_at),
        "deadline": clock.aware(attempt.deadline),
        "submitted_at": clock.aware(attempt.submitted_at),
        "questions": attempt_logic.served_questions(attempt),
        "responses": attempt.responses or {},
        "assessment": _rules_for_learner(attempt.assessment),
    }
    if attempt.status != OPEN:
        out["score"], out["passed"] = attempt.score, attempt.passed
        out["pending_review"] = attempt.pending_review
        if attempt.assessment.show_feedback:
            out["results"] = attempt.results
    return out


def _rules_for_learner(assessment: Assessment) -> dict[str, Any]:
    """What a learner may know of the test before answering: never its questions' keys."""
    return {
        "title": assessment.title,
        "kind": assessment.kind,
        "passing_score": assessment.passing_score,
        "max_attempts": assessment.max_attempts,
        "time_limit_minutes": assessment.time_limit_minutes,
    }


@blp.route("/assessments")
class Assessments(MethodView):
    """Pre tests, post tests and exams."""

    @roles_required("trainer", "admin")
    @blp.arguments(AssessmentQueryArgsSchema, location="query")
    @blp.response(200, AssessmentPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List my assessments (admins: all)."""
        principal = author()
        query = select(Assessment).order_by(Assessment.created_at, Assessment.id)
        if not principal.is_admin:
            query = query.where(Assessment.owner_id == principal.id)
        for key in ("kind", "course_code"):
            if args.get(key):
                query = query.where(getattr(Assessment, key) == args[key])
        return paginate(db, query, args["page"], args["per_page"])

    @roles_required("trainer", "admin")
    @blp.arguments(AssessmentInSchema)
    @blp.response(201, AssessmentSchema)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create an assessment; questions may be written inline."""
        principal = author()
        inline, ids = assessments.check_sources(body, principal)
        rows = [question_io.new_question(q, principal.id, None, i) for i, q in enumerate(inline)]
        db.session.add_all(rows)
        db.session.flush()
        fields = {
            k: body.get(k)
            for k in (
                "title",
                "kind",
                "passing_score",
                "time_limit_minutes",
                "max_attempts",
                "shuffle",
                "show_feedback",
                "course_code",
                "draw",
            )
        }
        assessment = Assessment(
            owner_id=principal.id, question_ids=[q.id for q in rows] + ids, **fields
        )
        db.session.add(assessment)
        db.session.commit()
        audit("assessment.created", assessment_id=assessment.id)
        return _assessment_out(assessment)


@blp.route("/assessments/<assessment_id>")
class AssessmentsById(MethodView):
    """One assessment."""

    @blp.response(200, AssessmentSchema)
    def get(self, assessment_id: str) -> dict[str, Any]:
        """Show an assessment with its questions and answers (owner, admin)."""
        author()
        return _assessment_out(get_owned(Assessment, assessment_id, "assessment"))

    @blp.arguments(AssessmentPatchSchema)
    @blp.response(200, AssessmentSchema)
    @blp.alt_response(409, description="assessment-in-use: learners have submitted attempts")
    def patch(self, body: dict[str, Any], assessment_id: str) -> dict[str, Any]:
        """Change settings or questions (owner, admin); frozen parts once attempts are in.

        Questions, passing score and kind cannot change after the first submitted attempt;
        attempts and the time limit may then only be loosened (domain/assessments.py).
        """
        principal = author()
        assessment = get_owned(Assessment, assessment_id, "assessment")
        return _assessment_out(assessments.update(assessment, body, principal))


def _learner_access(principal: Principal, assessment: Assessment) -> dict[str, Any]:
    try:
        access = clients().access(principal.id, assessment.id)
    except ServiceUnavailable as exc:
        raise unavailable(exc) from None
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


@blp.route("/assessments/<assessment_id>/attempts")
class AssessmentAttempts(MethodView):
    """Attempts at one assessment."""

    @blp.arguments(AttemptQueryArgsSchema, location="query")
    @blp.response(200, AttemptPageSchema)
    def get(self, args: dict[str, Any], assessment_id: str) -> dict[str, Any]:
        """List attempts: the owner and admins see all, a learner their own."""
        principal = current_principal()
        assessment = db.session.get(Assessment, assessment_id)
        if assessment is None:
            raise not_found("assessment")
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
        page = paginate(
            db, query.order_by(Attempt.started_at, Attempt.id), args["page"], args["per_page"]
        )
        page["items"] = [attempt_out(a) for a in page["items"]]
        return page

    @blp.response(201, AttemptSchema)
    @blp.alt_response(403, description="Not enrolled in a course using the assessment")
    @blp.alt_response(409, description="No attempts left")
    @blp.alt_response(503, description="Catalog could not confirm the enrolment")
    def post(self, assessment_id: str) -> dict[str, Any]:
        """Start an attempt, or resume the open one; the answers are never sent."""
        principal = current_principal()
        if principal.is_service:
            raise CakapError(403, "Only learners sit assessments.")
        assessment = db.session.get(Assessment, assessment_id)
        if assessment is None:
            raise not_found("assessment")
        access = _learner_access(principal, assessment)
        current = _open_attempt(assessment.id, principal.id)
        if current is not None and attempt_logic.is_overdue(current):
            attempt_logic.expire(current)
            db.session.commit()
            current = None
        if current is not None:
            return attempt_out(current)
        taken = (
            db.session.scalar(
                select(func.count()).where(
                    Attempt.assessment_id == assessment.id, Attempt.learner_id == principal.id
                )
            )
            or 0
        )
        if assessment.max_attempts and taken >= assessment.max_attempts:
            raise CakapError(
                409,
                f"All {assessment.max_attempts} attempts have been used.",
                code="attempts-exhausted",
            )
        started = clock.now()
        attempt = Attempt(
            assessment_id=assessment.id,
            learner_id=principal.id,
            number=taken + 1,
            snapshot=attempt_logic.build_snapshot(assessment),
            responses={},
            course_ids=list(access.get("course_ids") or []),
            class_ids=list(access.get("class_ids") or []),
            unit_code=principal.claims.get("unit_code"),
            started_at=started,
            deadline=attempt_logic.deadline_for(assessment, started),
            status=OPEN,
        )
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
            return attempt_out(current)
        audit("assessment.attempt_started", attempt_id=attempt.id, assessment_id=assessment.id)
        return attempt_out(attempt)


def _attempt(attempt_id: str, *, act: bool) -> Attempt:
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


def _close_if_overdue(attempt: Attempt) -> None:
    if attempt.status == OPEN and attempt_logic.is_overdue(attempt):
        attempt_logic.expire(attempt)
        db.session.commit()


@blp.route("/assessment-attempts/<attempt_id>")
class AttemptsById(MethodView):
    """One attempt."""

    @blp.response(200, AttemptSchema)
    def get(self, attempt_id: str) -> dict[str, Any]:
        """Show an attempt (learner, assessment owner, admin); grades only after closing."""
        attempt = _attempt(attempt_id, act=False)
        _close_if_overdue(attempt)
        return attempt_out(attempt)


@blp.route("/assessment-attempts/<attempt_id>/answers")
class AttemptAnswers(MethodView):
    """Autosaved answers."""

    @blp.arguments(AnswersSchema)
    @blp.response(200, AttemptSchema)
    @blp.alt_response(409, description="The attempt is closed or its deadline has passed")
    def put(self, body: dict[str, Any], attempt_id: str) -> dict[str, Any]:
        """Autosave answers (merged; null clears one); refused after the deadline."""
        attempt = _attempt(attempt_id, act=True)
        _close_if_overdue(attempt)
        if attempt.status != OPEN:
            raise CakapError(
                409,
                "This attempt is closed; answers are no longer accepted.",
                code="attempt-closed",
            )
        attempt_logic.check_answers(attempt, body["answers"])
        merged = {**(attempt.responses or {}), **body["answers"]}
        attempt.responses = {k: v for k, v in merged.items() if v is not None}
        db.session.commit()
        return attempt_out(attempt)


@blp.route("/assessment-attempts/<attempt_id>/submit")
class AttemptSubmit(MethodView):
    """Submission."""

    @blp.arguments(AnswersSchema)
    @blp.response(200, SubmitResultSchema)
    @blp.alt_response(409, description="Already submitted or closed")
    def post(self, body: dict[str, Any], attempt_id: str) -> dict[str, Any]:
        """Submit and grade; past the deadline it is graded as of the deadline."""
        attempt = _attempt(attempt_id, act=True)
        if attempt.status != OPEN:
            raise CakapError(
                409, "This attempt has already been submitted or closed.", code="attempt-closed"
            )
        attempt_logic.check_answers(attempt, body["answers"])
        attempt_logic.submit(attempt, {k: v for k, v in body["answers"].items() if v is not None})
        db.session.commit()
        audit(
            "assessment.submitted",
            attempt_id=attempt.id,
            score=attempt.score,
            passed=attempt.passed,
        )
        result: dict[str, Any] = {
            "id": attempt.id,
            "status": attempt.status,
            "score": attempt.score,
            "passed": attempt.passed,
            "submitted_at": clock.aware(attempt.submitted_at),
            "pending_review": attempt.pending_review,
        }
        if attempt.assessment.show_feedback:
            result["results"] = attempt.results
        return result


def _graded_attempt(attempt_id: str) -> Attempt:
    """A closed attempt the caller may grade: its assessment's owner or an admin.

    Its learner gets 403 (they may see it, not grade it); anyone else 404.
    An attempt still open is 409: there is nothing to review before submission.
    """
    attempt = _attempt(attempt_id, act=False)
    principal = current_principal()
    if not (principal.is_admin or attempt.assessment.owner_id == principal.id):
        raise CakapError(403, "Only the assessment's owner or an admin reviews attempts.")
    _close_if_overdue(attempt)
    if attempt.status == OPEN:
        raise CakapError(409, "The attempt has not been submitted yet.")
    return attempt


def review_out(attempt: Attempt) -> dict[str, Any]:
    """An attempt for its grader: questions with answers, responses in bank order, grades."""
    manual = attempt.manual_grades or {}
    results = {r["question_id"]: r for r in attempt.results or []}
    responses = attempt.responses or {}
    questions = [
        {
            "id": entry["id"],
            "question": entry["question"],
            "response": attempt_logic.bank_response(entry, responses.get(entry["id"])),
            "result": results.get(entry["id"]),
            "grade": manual.get(entry["id"]),
        }
        for entry in attempt.snapshot
    ]
    return {
        "id": attempt.id,
        "assessment_id": attempt.assessment_id,
        "learner_id": attempt.learner_id,
        "number": attempt.number,
        "status": attempt.status,
        "submitted_at": clock.aware(attempt.submitted_at),
        "score": attempt.score,
        "passed": attempt.passed,
        "pending_review": attempt.pending_review,
        "questions": questions,
    }


@blp.route("/assessment-attempts/<attempt_id>/review")
class AttemptReview(MethodView):
    """What a grader needs to see."""

    @blp.response(200, AttemptReviewSchema)
    @blp.alt_response(409, description="Not submitted yet")
    def get(self, attempt_id: str) -> dict[str, Any]:
        """Review a submitted attempt: responses, correct answers, essay grades (owner, admin)."""
        return review_out(_graded_attempt(attempt_id))


@blp.route("/assessment-attempts/<attempt_id>/grades")
class AttemptGrades(MethodView):
    """A trainer's grades of essay questions."""

    @blp.arguments(GradesInSchema)
    @blp.response(200, AttemptReviewSchema)
    @blp.alt_response(409, description="Not submitted yet")
    def post(self, body: dict[str, Any], attempt_id: str) -> dict[str, Any]:
        """Grade essays of a submitted attempt (0..1 each); score and passed are recomputed."""
        principal = current_principal()
        attempt = _graded_attempt(attempt_id)
        # Lock the row (PostgreSQL) so two graders merge their grades instead of racing.
        attempt = db.session.scalars(
            select(Attempt)
            .where(Attempt.id == attempt.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        grades = attempt_logic.check_grades(attempt, body["grades"])
        was_passed = bool(attempt.passed)
        changed = attempt_logic.apply_grades(attempt, grades, principal.id)
        db.session.commit()
        for question_id in changed:
            audit(
                "assessment.essay_graded",
                attempt_id=attempt.id,
                question_id=question_id,
                score=grades[question_id]["score"],
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
        return review_out(attempt)

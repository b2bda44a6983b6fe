"""Impact evaluation (Kirkpatrick levels 3 and 4): scheduled on completion, filled months later.

The supervisor rates behaviour change per targeted competency, gives evidence and
rates the impact on work; the learner may add a self-assessment. Reminders go out
before the due date and overdue ones escalate to the supervisor's own supervisor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from cakap_shared.auth import Principal, bearer_token, current_principal
from cakap_shared.db import paginate
from cakap_shared.http import ServiceUnavailable
from cakap_shared.logs import audit
from cakap_shared.problems import CakapError
from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import or_, select, update

from . import clock
from .clients import SupervisorsLookup, clients, unavailable
from .domain.access import not_found
from .extensions import db, events
from .models import Completion, ImpactEvaluation
from .schemas import (
    ImpactEvaluationSchema,
    ImpactPageSchema,
    ImpactQueryArgsSchema,
    ImpactSubmissionInSchema,
    ImpactSubmissionSchema,
)

blp = Blueprint("impact", __name__, url_prefix="/api/v1", description="Impact evaluations")
SUPERVISOR, SELF = "supervisor", "self"


def schedule(completion: Completion, supervisor_id: str | None) -> list[ImpactEvaluation]:
    """The supervisor's evaluation (and optionally the learner's own), due after the delay."""
    config = current_app.config
    due = completion.completed_on + timedelta(days=config["IMPACT_EVALUATION_DELAY_DAYS"])
    roles = [SUPERVISOR] + ([SELF] if config["IMPACT_SELF_ASSESSMENT"] else [])
    created = []
    for role in roles:
        exists = db.session.scalar(
            select(ImpactEvaluation).where(
                ImpactEvaluation.enrolment_id == completion.enrolment_id,
                ImpactEvaluation.evaluator_role == role,
            )
        )
        if exists is not None:
            continue
        evaluation = ImpactEvaluation(
            enrolment_id=completion.enrolment_id,
            evaluator_role=role,
            evaluator_id=supervisor_id if role == SUPERVISOR else completion.learner_id,
            learner_id=completion.learner_id,
            learner_name=completion.learner_name,
            unit_code=completion.unit_code,
            course_id=completion.course_id,
            course_code=completion.course_code,
            course_title=completion.course_title,
            class_id=completion.class_id,
            competencies=list(completion.competencies or []),
            completed_on=completion.completed_on,
            due_on=due,
        )
        db.session.add(evaluation)
        created.append(evaluation)
    return created


def status_of(evaluation: ImpactEvaluation, today: date | None = None) -> str:
    """done once submitted; overdue after the due date; due until then."""
    if evaluation.submitted_at is not None:
        return "done"
    return "overdue" if (today or clock.today()) > evaluation.due_on else "due"


def _out(evaluation: ImpactEvaluation) -> dict[str, Any]:
    out = {
        c: getattr(evaluation, c) for c in ImpactEvaluationSchema._declared_fields if c != "status"
    }
    out["status"] = status_of(evaluation)
    out["submitted_at"] = clock.aware(evaluation.submitted_at)
    return out


def _visible(evaluation_id: str) -> ImpactEvaluation:
    """Admins, the evaluator and the escalation target see an evaluation; others get 404."""
    principal = current_principal()
    evaluation = db.session.get(ImpactEvaluation, evaluation_id)
    if evaluation is None or not (
        principal.is_admin or principal.id in (evaluation.evaluator_id, evaluation.escalated_to)
    ):
        raise not_found("impact evaluation")
    return evaluation


def _mine(principal: Principal) -> Any:
    return or_(
        ImpactEvaluation.evaluator_id == principal.id, ImpactEvaluation.escalated_to == principal.id
    )


@blp.route("/impact-evaluations")
class ImpactEvaluations(MethodView):
    """Impact evaluations."""

    @blp.arguments(ImpactQueryArgsSchema, location="query")
    @blp.response(200, ImpactPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Those assigned to me (or escalated to me); admins: all, filterable by unit."""
        principal = current_principal()
        query = select(ImpactEvaluation)
        if not principal.is_admin:
            query = query.where(_mine(principal))
        if args.get("unit_code") and principal.is_admin:
            query = query.where(ImpactEvaluation.unit_code == args["unit_code"])
        if args.get("role"):
            query = query.where(ImpactEvaluation.evaluator_role == args["role"])
        today = clock.today()
        status = args.get("status")
        if status == "done":
            query = query.where(ImpactEvaluation.submitted_at.is_not(None))
        elif status == "due":
            query = query.where(
                ImpactEvaluation.submitted_at.is_(None), ImpactEvaluation.due_on >= today
            )
        elif status == "overdue":
            query = query.where(
                ImpactEvaluation.submitted_at.is_(None), ImpactEvaluation.due_on < today
            )
        query = query.order_by(ImpactEvaluation.due_on, ImpactEvaluation.id)
        page = paginate(db, query, args["page"], args["per_page"])
        page["items"] = [_out(e) for e in page["items"]]
        return page


@blp.route("/impact-evaluations/<evaluation_id>")
class ImpactEvaluationsById(MethodView):
    """One impact evaluation."""

    @blp.response(200, ImpactEvaluationSchema)
    def get(self, evaluation_id: str) -> dict[str, Any]:
        """Show an impact evaluation (its evaluator, the escalation target, admins)."""
        return _out(_visible(evaluation_id))


def _submission_out(evaluation: ImpactEvaluation) -> dict[str, Any]:
    form = evaluation.submission or {}
    return {
        "id": evaluation.id,
        "status": status_of(evaluation),
        "submitted_at": clock.aware(evaluation.submitted_at),
        "submitted_by": evaluation.submitted_by,
        "behaviour_ratings": form.get("behaviour_ratings", []),
        "evidence_text": form.get("evidence_text"),
        "evidence_url": form.get("evidence_url"),
        "impact_rating": evaluation.impact_rating,
        "notes": form.get("notes"),
        "appreciation": form.get("appreciation"),
    }


def _forward_appreciation(evaluation: ImpactEvaluation, appreciation: dict[str, Any]) -> Any:
    """Record the apresiasi in personnel as the supervisor, with their own token."""
    token = bearer_token(request.headers.get("Authorization")) or ""
    # Personnel's apresiasi is one `reason` (its AppreciationCreateSchema): title, then the
    # description, then the training it followed, so the learner reads why.
    parts = [appreciation["title"], appreciation.get("description") or ""]
    reason = " — ".join(p.strip() for p in parts if p and p.strip())
    body = {"reason": f"{reason} ({evaluation.course_title})"[:2000]}
    try:
        status, answer = clients().appreciation(evaluation.learner_id, body, token)
    except ServiceUnavailable as exc:
        raise unavailable(exc) from None
    if status == 403:
        raise CakapError(403, "Personnel does not let you record an apresiasi for this person.")
    if not 200 <= status < 300:
        raise CakapError(502, f"Personnel refused the apresiasi (status {status}).")
    return answer


@blp.route("/impact-evaluations/<evaluation_id>/submission")
class ImpactSubmission(MethodView):
    """The evaluation form."""

    @blp.response(200, ImpactSubmissionSchema)
    def get(self, evaluation_id: str) -> dict[str, Any]:
        """Show the form as filled so far (evaluator, escalation target, admins)."""
        return _submission_out(_visible(evaluation_id))

    @blp.arguments(ImpactSubmissionInSchema)
    @blp.response(201, ImpactSubmissionSchema)
    @blp.alt_response(409, description="Already submitted")
    def post(self, body: dict[str, Any], evaluation_id: str) -> dict[str, Any]:
        """Submit the evaluation (the assigned evaluator only, once); optional apresiasi."""
        principal = current_principal()
        evaluation = _visible(evaluation_id)
        if evaluation.evaluator_id != principal.id:
            raise CakapError(403, "Only the assigned evaluator submits this evaluation.")
        if evaluation.submitted_at is not None:
            raise CakapError(
                409, "This evaluation has already been submitted.", code="already-answered"
            )
        targeted = {c.get("code") for c in evaluation.competencies or []}
        for i, rating in enumerate(body["behaviour_ratings"]):
            if targeted and rating["competency_code"] not in targeted:
                raise CakapError(
                    422,
                    "Rate only the competencies the training targeted.",
                    errors={
                        f"behaviour_ratings.{i}.competency_code": [
                            f"must be one of {', '.join(sorted(targeted))}"
                        ]
                    },
                )
        form = {
            k: body.get(k) for k in ("behaviour_ratings", "evidence_text", "evidence_url", "notes")
        }
        appreciation = body.get("appreciation")
        if appreciation and evaluation.evaluator_role != SUPERVISOR:
            raise CakapError(
                422,
                "Only a supervisor records an apresiasi.",
                errors={"appreciation": ["only in a supervisor's evaluation"]},
            )
        now = clock.now()
        ratings = [r["rating"] for r in body["behaviour_ratings"]]
        claimed = db.session.execute(
            update(ImpactEvaluation)
            .where(ImpactEvaluation.id == evaluation.id, ImpactEvaluation.submitted_at.is_(None))
            .values(submitted_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            db.session.rollback()
            raise CakapError(
                409, "This evaluation has already been submitted.", code="already-answered"
            )
        if appreciation:
            # Forwarded before our commit: if personnel refuses, nothing is stored here.
            form["appreciation"] = {
                **appreciation,
                "personnel": _forward_appreciation(evaluation, appreciation),
            }
        evaluation.submitted_at = now
        evaluation.submitted_by = principal.id
        evaluation.submission = form
        evaluation.impact_rating = body["impact_rating"]
        evaluation.behaviour_average = round(sum(ratings) / len(ratings), 2)
        events.publish(
            "impact_evaluation.submitted", _submitted_data(evaluation, clock.today()), evaluation.id
        )
        db.session.commit()
        audit("impact_evaluation.submitted", evaluation_id=evaluation.id)
        return _submission_out(evaluation)


def _submitted_data(evaluation: ImpactEvaluation, submitted_on: date) -> dict[str, Any]:
    """The data of impact_evaluation.submitted (docs/events.md): personnel turns a
    supervisor's behaviour ratings into `supervisor` competency assessments."""
    form = evaluation.submission or {}
    return {
        "evaluation_id": evaluation.id,
        "enrolment_id": evaluation.enrolment_id,
        "evaluator_role": evaluation.evaluator_role,
        "evaluator_id": evaluation.evaluator_id,
        "learner_id": evaluation.learner_id,
        "course_code": evaluation.course_code,
        "course_title": evaluation.course_title,
        "behaviour_ratings": [
            {"competency_code": r["competency_code"], "rating": r["rating"]}
            for r in form.get("behaviour_ratings") or []
        ],
        "impact_rating": evaluation.impact_rating,
        "submitted_on": submitted_on.isoformat(),
    }


# --- reminders and escalation -------------------------------------------------------------


@dataclass
class ReminderPlan:
    """What the reminder job decided for one day."""

    remind: list[ImpactEvaluation] = field(default_factory=list)
    due: list[ImpactEvaluation] = field(default_factory=list)
    escalate: list[ImpactEvaluation] = field(default_factory=list)


def plan_reminders(today: date, remind_before: int, escalate_after: int) -> ReminderPlan:
    """Open supervisor evaluations to remind (due within `remind_before` days, not yet
    reminded), whose due day has come (not yet told) and to escalate (overdue by
    `escalate_after` days or more, not yet escalated)."""
    plan = ReminderPlan()
    open_ones = db.session.scalars(
        select(ImpactEvaluation)
        .where(
            ImpactEvaluation.submitted_at.is_(None),
            ImpactEvaluation.evaluator_role == SUPERVISOR,
        )
        .order_by(ImpactEvaluation.due_on, ImpactEvaluation.id)
    )
    for evaluation in open_ones:
        # once the day has come the due notice says it all: no late "due soon" as well
        if (
            evaluation.reminded_on is None
            and today < evaluation.due_on
            and evaluation.due_on - today <= timedelta(days=remind_before)
        ):
            plan.remind.append(evaluation)
        if evaluation.due_notified_on is None and evaluation.due_on <= today:
            plan.due.append(evaluation)
        if evaluation.escalated_on is None and today - evaluation.due_on >= timedelta(
            days=escalate_after
        ):
            plan.escalate.append(evaluation)
    return plan


def run_reminders(
    today: date | None = None, supervisors: SupervisorsLookup | None = None
) -> dict[str, Any]:
    """Record reminders, due days and escalations; an unreachable personnel skips that
    escalation (it is tried again on the next run)."""
    today = today or clock.today()
    lookup = supervisors or clients().supervisors
    config = current_app.config
    plan = plan_reminders(
        today, config["IMPACT_REMIND_BEFORE_DAYS"], config["IMPACT_ESCALATE_AFTER_DAYS"]
    )
    report: dict[str, Any] = {"reminded": [], "due": [], "escalated": [], "skipped": []}
    for evaluation in plan.remind:
        evaluation.reminded_on = today
        audit(
            "impact_evaluation.reminded",
            evaluation_id=evaluation.id,
            evaluator=evaluation.evaluator_id,
            due_on=evaluation.due_on.isoformat(),
        )
        events.publish("impact_evaluation.reminded", _reminder_data(evaluation), evaluation.id)
        report["reminded"].append(evaluation.id)
    for evaluation in plan.due:
        evaluation.due_notified_on = today
        audit("impact_evaluation.due", evaluation_id=evaluation.id, due_on=str(evaluation.due_on))
        events.publish("impact_evaluation.due", _reminder_data(evaluation), evaluation.id)
        report["due"].append(evaluation.id)
    for evaluation in plan.escalate:
        if evaluation.evaluator_id is None:
            report["skipped"].append(evaluation.id)
            continue
        try:
            chain = lookup(evaluation.evaluator_id)
        except ServiceUnavailable:
            report["skipped"].append(evaluation.id)
            continue
        target = next(
            (s["id"] for s in chain if s.get("id") and s["id"] != evaluation.evaluator_id), None
        )
        if target is None:
            report["skipped"].append(evaluation.id)
            continue
        evaluation.escalated_on, evaluation.escalated_to = today, target
        audit("impact_evaluation.escalated", evaluation_id=evaluation.id, to=target)
        events.publish("impact_evaluation.escalated", _reminder_data(evaluation), evaluation.id)
        report["escalated"].append(evaluation.id)
    db.session.commit()
    return report


def _reminder_data(evaluation: ImpactEvaluation) -> dict[str, Any]:
    """The data of impact_evaluation.reminded / .due / .escalated (docs/events.md)."""
    return {
        "evaluation_id": evaluation.id,
        "evaluator_id": evaluation.evaluator_id,
        "escalated_to": evaluation.escalated_to,
        "learner_id": evaluation.learner_id,
        "course_code": evaluation.course_code,
        "course_title": evaluation.course_title,
        "due_on": evaluation.due_on.isoformat(),
    }

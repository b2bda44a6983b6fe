"""Impact evaluation (Kirkpatrick levels 3 and 4): scheduled on completion, filled months later.

The supervisor rates behaviour change per targeted competency, gives evidence and
rates the impact on work; the learner may add a self-assessment. Reminders go out
before the due date and overdue ones escalate to the supervisor's own supervisor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from cakap_shared.auth import Principal, current_principal
from cakap_shared.db import paginate
from cakap_shared.http import ServiceUnavailable
from cakap_shared.logs import audit
from cakap_shared.problems import CakapError
from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.engine import CursorResult

from .. import clock
from ..clients import SupervisorsLookup, clients
from ..extensions import db, events
from ..models import Completion, ImpactEvaluation
from .access import not_found


class EvaluatorRole(StrEnum):
    """Who fills an evaluation: the learner's supervisor, or the learner (self-assessment)."""

    SUPERVISOR = "supervisor"
    SELF = "self"


class ImpactStatus(StrEnum):
    """done once submitted; overdue after the due date; due until then."""

    DUE = "due"
    OVERDUE = "overdue"
    DONE = "done"


SUPERVISOR, SELF = EvaluatorRole.SUPERVISOR, EvaluatorRole.SELF
# What the form stores in `submission` (the apresiasi joins it once personnel took it).
FORM_FIELDS = ("behaviour_ratings", "evidence_text", "evidence_url", "notes")


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


def status_of(evaluation: ImpactEvaluation, today: date | None = None) -> ImpactStatus:
    """done once submitted; overdue after the due date; due until then."""
    if evaluation.submitted_at is not None:
        return ImpactStatus.DONE
    late = (today or clock.today()) > evaluation.due_on
    return ImpactStatus.OVERDUE if late else ImpactStatus.DUE


def show(evaluation_id: str) -> ImpactEvaluation:
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


def _with_status(query: Any, status: str | None, today: date) -> Any:
    if status == ImpactStatus.DONE:
        return query.where(ImpactEvaluation.submitted_at.is_not(None))
    if status == ImpactStatus.DUE:
        return query.where(
            ImpactEvaluation.submitted_at.is_(None), ImpactEvaluation.due_on >= today
        )
    if status == ImpactStatus.OVERDUE:
        return query.where(ImpactEvaluation.submitted_at.is_(None), ImpactEvaluation.due_on < today)
    return query


def evaluation_page(principal: Principal, args: dict[str, Any]) -> dict[str, Any]:
    """Those assigned or escalated to the caller (admins: all, by unit), soonest due first."""
    query = select(ImpactEvaluation)
    if not principal.is_admin:
        query = query.where(_mine(principal))
    if args.get("unit_code") and principal.is_admin:
        query = query.where(ImpactEvaluation.unit_code == args["unit_code"])
    if args.get("role"):
        query = query.where(ImpactEvaluation.evaluator_role == args["role"])
    query = _with_status(query, args.get("status"), clock.today())
    query = query.order_by(ImpactEvaluation.due_on, ImpactEvaluation.id)
    return paginate(db, query, args["page"], args["per_page"])


def _forward_appreciation(
    evaluation: ImpactEvaluation, appreciation: dict[str, Any], token: str
) -> Any:
    """Record the apresiasi in personnel as the supervisor, with their own token."""
    # Personnel's apresiasi is one `reason` (its AppreciationCreateSchema): title, then the
    # description, then the training it followed, so the learner reads why.
    parts = [appreciation["title"], appreciation.get("description") or ""]
    reason = " — ".join(p.strip() for p in parts if p and p.strip())
    body = {"reason": f"{reason} ({evaluation.course_title})"[:2000]}
    status, answer = clients().appreciation(evaluation.learner_id, body, token)
    if status == 403:
        raise CakapError(403, "Personnel does not let you record an apresiasi for this person.")
    if not 200 <= status < 300:
        raise CakapError(502, f"Personnel refused the apresiasi (status {status}).")
    return answer


def _already_submitted() -> CakapError:
    return CakapError(409, "This evaluation has already been submitted.", code="already-answered")


def _check_form(evaluation: ImpactEvaluation, principal: Principal, form: dict[str, Any]) -> None:
    """403 for anyone but the evaluator, 409 once submitted, 422 for a competency the
    training did not target or an apresiasi outside a supervisor's evaluation."""
    if evaluation.evaluator_id != principal.id:
        raise CakapError(403, "Only the assigned evaluator submits this evaluation.")
    if evaluation.submitted_at is not None:
        raise _already_submitted()
    # Only codes can be rated (and named in the 422); the catalog sends one per competency.
    targeted = {c["code"] for c in evaluation.competencies or [] if isinstance(c.get("code"), str)}
    for i, rating in enumerate(form["behaviour_ratings"]):
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
    if form.get("appreciation") and evaluation.evaluator_role != SUPERVISOR:
        raise CakapError(
            422,
            "Only a supervisor records an apresiasi.",
            errors={"appreciation": ["only in a supervisor's evaluation"]},
        )


def _claim(evaluation: ImpactEvaluation) -> datetime:
    """Mark the evaluation submitted now unless another request did first (then 409)."""
    now = clock.now()
    claimed = cast(
        "CursorResult[Any]",  # an UPDATE's result, which counts the rows
        db.session.execute(
            update(ImpactEvaluation)
            .where(ImpactEvaluation.id == evaluation.id, ImpactEvaluation.submitted_at.is_(None))
            .values(submitted_at=now)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise _already_submitted()
    return now


def submit(
    principal: Principal, evaluation_id: str, form: dict[str, Any], token: str
) -> ImpactEvaluation:
    """Submit the evaluation (the assigned evaluator only, once), with an optional apresiasi
    recorded in personnel under the supervisor's own `token`."""
    evaluation = show(evaluation_id)
    _check_form(evaluation, principal, form)
    now = _claim(evaluation)
    stored = {
        k: form.get(k) for k in ("behaviour_ratings", "evidence_text", "evidence_url", "notes")
    }
    appreciation = form.get("appreciation")
    if appreciation:
        # Forwarded before our commit: if personnel refuses, nothing is stored here.
        answer = _forward_appreciation(evaluation, appreciation, token)
        stored["appreciation"] = {**appreciation, "personnel": answer}
    ratings = [r["rating"] for r in form["behaviour_ratings"]]
    evaluation.submitted_at = now
    evaluation.submitted_by = principal.id
    evaluation.submission = stored
    evaluation.impact_rating = form["impact_rating"]
    evaluation.behaviour_average = round(sum(ratings) / len(ratings), 2)
    events.publish(
        "impact_evaluation.submitted", _submitted_data(evaluation, clock.today()), evaluation.id
    )
    db.session.commit()
    audit("impact_evaluation.submitted", evaluation_id=evaluation.id)
    return evaluation


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
        _remind(evaluation, today)
        report["reminded"].append(evaluation.id)
    for evaluation in plan.due:
        _tell_due(evaluation, today)
        report["due"].append(evaluation.id)
    for evaluation in plan.escalate:
        escalated = _escalate(evaluation, today, lookup)
        report["escalated" if escalated else "skipped"].append(evaluation.id)
    db.session.commit()
    return report


def _remind(evaluation: ImpactEvaluation, today: date) -> None:
    evaluation.reminded_on = today
    audit(
        "impact_evaluation.reminded",
        evaluation_id=evaluation.id,
        evaluator=evaluation.evaluator_id,
        due_on=evaluation.due_on.isoformat(),
    )
    events.publish("impact_evaluation.reminded", _reminder_data(evaluation), evaluation.id)


def _tell_due(evaluation: ImpactEvaluation, today: date) -> None:
    evaluation.due_notified_on = today
    audit("impact_evaluation.due", evaluation_id=evaluation.id, due_on=str(evaluation.due_on))
    events.publish("impact_evaluation.due", _reminder_data(evaluation), evaluation.id)


def _escalate(evaluation: ImpactEvaluation, today: date, lookup: SupervisorsLookup) -> bool:
    """Hand the evaluation to the evaluator's own supervisor; False when there is none
    (or personnel cannot say now: the next run tries again)."""
    if evaluation.evaluator_id is None:
        return False
    try:
        chain = lookup(evaluation.evaluator_id)
    except ServiceUnavailable:
        return False
    target = next(
        (s["id"] for s in chain if s.get("id") and s["id"] != evaluation.evaluator_id), None
    )
    if target is None:
        return False
    evaluation.escalated_on, evaluation.escalated_to = today, target
    audit("impact_evaluation.escalated", evaluation_id=evaluation.id, to=target)
    events.publish("impact_evaluation.escalated", _reminder_data(evaluation), evaluation.id)
    return True


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

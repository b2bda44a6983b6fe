"""Subscriptions: which events become whose notifications (run inside the inbox transaction).

Each handler reads the producer's data through a schema of the fields it uses
(docs/events.md); tests load the producers' real outbox rows through these schemas.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import marshmallow as ma
from cakap_shared.events import EventRejected

from .domain import account_mail, contacts, inbox
from .extensions import events

F = ma.fields


class _Data(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE


class PersonUpdated(_Data):
    person_id = F.String(required=True, validate=ma.validate.Length(min=1, max=36))
    name = F.String(allow_none=True, validate=ma.validate.Length(max=200))
    email = F.String(allow_none=True, validate=ma.validate.Length(max=254))
    unit_code = F.String(allow_none=True, validate=ma.validate.Length(max=50))
    supervisor_id = F.String(allow_none=True, validate=ma.validate.Length(max=36))
    status = F.String(allow_none=True, validate=ma.validate.Length(max=30))


class EnrolmentChanged(_Data):
    enrolment_id = F.String(required=True)
    learner_id = F.String(required=True)
    supervisor_id = F.String(allow_none=True)
    course_code = F.String(required=True)
    course_title = F.String(load_default="")
    class_name = F.String(load_default="")
    starts_on = F.String(load_default="")
    status = F.String(required=True)
    reason = F.String(allow_none=True, load_default="")


class SurveyDue(_Data):
    survey_id = F.String(required=True)
    learner_id = F.String(required=True)
    course_code = F.String(required=True)
    course_title = F.String(load_default="")


class ImpactEvaluationNotice(_Data):
    evaluation_id = F.String(required=True)
    evaluator_id = F.String(allow_none=True)
    escalated_to = F.String(allow_none=True)
    course_code = F.String(required=True)
    course_title = F.String(load_default="")
    due_on = F.String(required=True)


class CertificateIssued(_Data):
    learner_id = F.String(required=True)
    number = F.String(required=True)
    course_code = F.String(required=True)
    course_title = F.String(load_default="")


SCHEMAS: dict[str, type[ma.Schema]] = {
    "person.updated": PersonUpdated,
    "enrolment.requested": EnrolmentChanged,
    "enrolment.approved": EnrolmentChanged,
    "enrolment.rejected": EnrolmentChanged,
    "enrolment.promoted": EnrolmentChanged,
    "survey.due": SurveyDue,
    "impact_evaluation.reminded": ImpactEvaluationNotice,
    "impact_evaluation.escalated": ImpactEvaluationNotice,
    "certificate.issued": CertificateIssued,
    "impact_evaluation.due": ImpactEvaluationNotice,
}


# One instance per schema, made at first use (SCHEMAS grows below): building a schema's
# fields costs more than loading with it.
_LOADERS: dict[str, ma.Schema] = {}


def load(event_type: str, data: Any) -> dict[str, Any]:
    """The event's data as this service reads it; EventRejected (422) when malformed."""
    loader = _LOADERS.get(event_type)
    if loader is None:
        loader = _LOADERS[event_type] = SCHEMAS[event_type]()
    try:
        return loader.load(data if isinstance(data, dict) else {})
    except ma.ValidationError as exc:
        raise EventRejected(str(exc.messages)) from None


def _notify_to(
    event_type: str, kind_of: Callable[[dict[str, Any]], str | None], to: str
) -> Callable[[dict[str, Any]], None]:
    """A handler sending kind_of(data) to the person named by data[to] (when there is one)."""

    def handle(envelope: dict[str, Any]) -> None:
        data = load(event_type, envelope["data"])
        kind, person_id = kind_of(data), data.get(to)
        if kind is not None and person_id:
            inbox.notify(envelope["id"], person_id, kind, data)

    handle.__name__ = f"on_{event_type.replace('.', '_')}"
    events.handler(event_type)(handle)
    return handle


@events.batch_handler("person.updated")
def on_people_updated(envelopes: list[dict[str, Any]]) -> None:
    """Keep the copy of whom to reach, for each person in event order."""
    contacts.remember_all([load("person.updated", envelope["data"]) for envelope in envelopes])


def _approved_kind(data: dict[str, Any]) -> str | None:
    # approve answers with enrolled, or waitlisted when the class is full
    return {"enrolled": "enrolment_approved", "waitlisted": "enrolment_waitlisted"}.get(
        data["status"]
    )


_notify_to("enrolment.requested", lambda d: "enrolment_requested", "supervisor_id")
_notify_to("enrolment.approved", _approved_kind, "learner_id")
_notify_to("enrolment.rejected", lambda d: "enrolment_rejected", "learner_id")
_notify_to("enrolment.promoted", lambda d: "enrolment_promoted", "learner_id")
_notify_to("survey.due", lambda d: "survey_due", "learner_id")
_notify_to("impact_evaluation.reminded", lambda d: "impact_evaluation_reminded", "evaluator_id")
_notify_to("impact_evaluation.escalated", lambda d: "impact_evaluation_escalated", "escalated_to")
_notify_to("certificate.issued", lambda d: "certificate_issued", "learner_id")


# ---- account mails (activation, password reset): sent at once, never in the inbox ----


class AccountMailRequested(_Data):
    mail_id = F.String(required=True, validate=ma.validate.Length(min=1, max=36))
    person_id = F.String(required=True, validate=ma.validate.Length(min=1, max=36))
    purpose = F.String(required=True, validate=ma.validate.OneOf(("activation", "reset")))
    name = F.String(load_default="", validate=ma.validate.Length(max=200))
    email = F.String(allow_none=True, validate=ma.validate.Length(max=254))
    username = F.String(load_default="", validate=ma.validate.Length(max=100))


SCHEMAS["account.mail_requested"] = AccountMailRequested


@events.handler("account.mail_requested")
def on_account_mail_requested(envelope: dict[str, Any]) -> None:
    """Collect a fresh code from personnel and send the mail (domain/account_mail.py)."""
    account_mail.send(envelope["id"], load("account.mail_requested", envelope["data"]))


_notify_to("impact_evaluation.due", lambda d: "impact_evaluation_due", "evaluator_id")

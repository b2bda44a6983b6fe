"""Reaction survey (Kirkpatrick level 1): a LAN-style Likert questionnaire per completion."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Any, cast

from cakap_shared.auth import Principal, current_principal
from cakap_shared.db import paginate
from cakap_shared.problems import CakapError
from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult

from .. import clock
from ..clients import clients
from ..extensions import db, events
from ..models import Completion, Survey, SurveyTemplate
from .access import not_found


class SurveyStatus(StrEnum):
    """A survey is pending until answered, then done; overdue is pending past the delay
    (SURVEY_OVERDUE_DAYS), a filter of lists rather than a survey's own status."""

    PENDING = "pending"
    DONE = "done"
    OVERDUE = "overdue"


TEMPLATE_CODE = "lan-reaksi-v1"
TEMPLATE_TITLE = "Evaluasi Penyelenggaraan Pelatihan (reaksi peserta)"
DIMENSIONS = ("material", "trainer", "facilities", "relevance")
# The four aspects LAN's evaluation of training organisation asks about, rated
# 1 (sangat tidak setuju) .. 5 (sangat setuju).
TEMPLATE_ITEMS = [
    {
        "key": "material_1",
        "dimension": "material",
        "text": "Materi pelatihan tersusun sistematis dan mudah dipahami.",
    },
    {
        "key": "material_2",
        "dimension": "material",
        "text": "Bahan ajar dan modul mendukung pencapaian tujuan pembelajaran.",
    },
    {
        "key": "trainer_1",
        "dimension": "trainer",
        "text": "Widyaiswara/pengajar menguasai materi yang disampaikan.",
    },
    {
        "key": "trainer_2",
        "dimension": "trainer",
        "text": "Widyaiswara/pengajar menyampaikan materi dengan jelas dan interaktif.",
    },
    {
        "key": "facilities_1",
        "dimension": "facilities",
        "text": "Sarana pembelajaran (ruang kelas atau platform e-learning) memadai.",
    },
    {
        "key": "facilities_2",
        "dimension": "facilities",
        "text": "Layanan panitia penyelenggara responsif dan membantu.",
    },
    {
        "key": "relevance_1",
        "dimension": "relevance",
        "text": "Pelatihan relevan dengan tugas dan fungsi jabatan saya.",
    },
    {
        "key": "relevance_2",
        "dimension": "relevance",
        "text": "Saya dapat menerapkan hasil pelatihan di tempat kerja.",
    },
]


def ensure_template() -> SurveyTemplate:
    """The seeded LAN-style template, created on first use."""
    template = db.session.scalar(select(SurveyTemplate).where(SurveyTemplate.code == TEMPLATE_CODE))
    if template is None:
        template = SurveyTemplate(code=TEMPLATE_CODE, title=TEMPLATE_TITLE, items=TEMPLATE_ITEMS)
        db.session.add(template)
        db.session.flush()
    return template


def send(completion: Completion) -> Survey:
    """Ask the learner for their reaction to a completed enrolment (once per enrolment)."""
    existing = db.session.scalar(
        select(Survey).where(Survey.enrolment_id == completion.enrolment_id)
    )
    if existing is not None:
        return existing
    survey = Survey(
        template_id=ensure_template().id,
        enrolment_id=completion.enrolment_id,
        learner_id=completion.learner_id,
        course_id=completion.course_id,
        course_code=completion.course_code,
        course_title=completion.course_title,
        class_id=completion.class_id,
        trainer_ids=list(completion.trainer_ids or []),
        sent_at=clock.now(),
    )
    db.session.add(survey)
    db.session.flush()  # the survey's id goes into the event
    events.publish(
        "survey.due",
        {
            "survey_id": survey.id,
            "learner_id": survey.learner_id,
            "enrolment_id": survey.enrolment_id,
            "course_code": survey.course_code,
            "course_title": survey.course_title,
        },
        survey.id,
    )
    return survey


def dimension_scores(ratings: dict[str, int], items: list[dict[str, Any]]) -> dict[str, float]:
    """Average rating per dimension of one response."""
    scores: dict[str, list[int]] = {}
    for item in items:
        if item["key"] in ratings:
            scores.setdefault(item["dimension"], []).append(ratings[item["key"]])
    return {d: sum(v) / len(v) for d, v in scores.items()}


def status_of(survey: Survey) -> SurveyStatus:
    """done once answered, pending until then."""
    return SurveyStatus.DONE if survey.answered_at else SurveyStatus.PENDING


class WithoutAnswers:
    """A survey as the learner's supervisor sees it: that it waits, not what was answered
    (a learner's reaction to a training is theirs)."""

    ratings = None
    comment = None

    def __init__(self, survey: Survey) -> None:
        self._survey = survey

    def __getattr__(self, name: str) -> Any:
        return getattr(self._survey, name)


def show(survey_id: str) -> Survey:
    """A survey its learner (or an admin) asks for; 404 for anyone else."""
    principal = current_principal()
    survey = db.session.get(Survey, survey_id)
    if survey is None or not (principal.is_admin or survey.learner_id == principal.id):
        raise not_found("survey")
    return survey


def _in_line_of(principal: Principal, learner_id: str) -> None:
    """404 unless `principal` is in the learner's chain of supervisors."""
    line = {s.get("id") for s in clients().supervisors(learner_id)}
    if principal.id not in line:
        raise not_found("learner")


def survey_page(principal: Principal, args: dict[str, Any]) -> dict[str, Any]:
    """The list answer of GET /surveys for `principal`: pending first; a supervisor asking
    for a learner in their line gets that learner's surveys without the answers."""
    learner_id = args.get("learner_id")
    for_supervisor = bool(learner_id) and learner_id != principal.id and not principal.is_admin
    query = select(Survey).order_by(Survey.answered_at.is_not(None), Survey.sent_at, Survey.id)
    if for_supervisor:
        assert learner_id is not None  # for_supervisor needs one
        _in_line_of(principal, learner_id)
        query = query.where(Survey.learner_id == learner_id)
    elif not principal.is_admin:
        query = query.where(Survey.learner_id == principal.id)
    elif learner_id:
        query = query.where(Survey.learner_id == learner_id)
    status = args.get("status")
    if status in (SurveyStatus.PENDING, SurveyStatus.OVERDUE):
        query = query.where(Survey.answered_at.is_(None))
    if status == SurveyStatus.OVERDUE:
        days = current_app.config["SURVEY_OVERDUE_DAYS"]
        query = query.where(Survey.sent_at < clock.now() - timedelta(days=days))
    elif status == SurveyStatus.DONE:
        query = query.where(Survey.answered_at.is_not(None))
    page = paginate(db, query, args["page"], args["per_page"])
    if for_supervisor:
        page["items"] = [WithoutAnswers(s) for s in page["items"]]
    return page


def _check_ratings(survey: Survey, ratings: dict[str, int]) -> None:
    """422 naming each statement rated that the survey lacks, or not rated at all."""
    keys = {item["key"] for item in survey.template.items}
    errors = {
        f"ratings.{k}": ["is not a statement of this survey"] for k in sorted(set(ratings) - keys)
    }
    errors.update({f"ratings.{k}": ["is required"] for k in sorted(keys - set(ratings))})
    if errors:
        raise CakapError(422, "Rate every statement of the survey from 1 to 5.", errors=errors)


def answer(survey_id: str, ratings: dict[str, int], comment: str | None) -> Survey:
    """Store the learner's answer to every statement (1..5), once; 409 the second time."""
    survey = show(survey_id)
    if survey.learner_id != current_principal().id:
        raise CakapError(403, "Only the learner answers their survey.")
    if survey.answered_at is not None:
        raise CakapError(409, "This survey has already been answered.", code="already-answered")
    _check_ratings(survey, ratings)
    # Conditional update: two simultaneous answers cannot both be stored.
    claimed = cast(
        "CursorResult[Any]",  # an UPDATE's result, which counts the rows
        db.session.execute(
            update(Survey)
            .where(Survey.id == survey.id, Survey.answered_at.is_(None))
            .values(answered_at=clock.now(), ratings=ratings, comment=comment)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise CakapError(409, "This survey has already been answered.", code="already-answered")
    db.session.commit()
    db.session.refresh(survey)
    return survey

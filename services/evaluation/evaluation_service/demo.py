"""Demo data for `make run`: loaded only in demo mode, only into an empty database.

The two demo tests of TIK-101 in a bank owned by the demo trainer, and a past class
of fictional learners (supervised by the demo supervisor `atasan`) with attempts,
survey answers and impact evaluations due, overdue and done, so reports show numbers.
The demo ASN `pegawai` has nothing yet: the journey starts clean for them.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from cakap_shared import demo
from flask import current_app
from sqlalchemy import func, select

from . import clock
from .domain import attempts, surveys
from .domain.impact import EvaluatorRole
from .extensions import db
from .models import (
    SUBMITTED,
    Assessment,
    AssessmentKind,
    Attempt,
    Completion,
    Course,
    ImpactEvaluation,
    Question,
    QuestionBank,
)

NAMESPACE = uuid.UUID("6f1d0d5e-8a51-4a8e-9a34-3c1bb0f0c0de")
SUPERVISOR_NIP = "198203142008031001"
UNIT = "DISKOMINFO-APTIKA"
COURSE_CODE = "TIK-101"
COURSE_TITLE = "Keamanan Informasi bagi ASN"


def demo_id(key: str) -> str:
    """The id every service derives for a demo object."""
    return str(uuid.uuid5(NAMESPACE, key))


QUESTIONS = [
    {
        "type": "single",
        "text": "Kata sandi yang paling kuat di antara pilihan berikut adalah:",
        "choices": ["palembang2026", "P@lembang", "Kopi-Pempek-Jembatan-Ampera-7", "12345678"],
        "answer": 2,
        "feedback": "Frasa sandi panjang lebih sulit ditebak daripada kata pendek.",
        "tags": ["T-DKI-KAMINFO"],
        "level": 1,
    },
    {
        "type": "true_false",
        "text": "Surel yang meminta verifikasi akun dengan tautan mendesak "
        "patut dicurigai sebagai phishing.",
        "answer": True,
        "tags": ["T-DKI-KAMINFO"],
        "level": 1,
    },
    {
        "type": "multiple",
        "text": "Tindakan yang tepat ketika laptop dinas hilang:",
        "choices": [
            "Melapor ke tim TIK",
            "Mengganti kata sandi akun dinas",
            "Menunggu seminggu",
            "Mengunggah pengumuman di media sosial pribadi",
        ],
        "answer": [0, 1],
        "tags": ["T-DKI-KAMINFO"],
        "level": 2,
    },
    {
        "type": "single",
        "text": "Klasifikasi informasi untuk data pribadi ASN adalah:",
        "choices": ["Publik", "Terbatas/rahasia", "Bebas disebarkan"],
        "answer": 1,
        "tags": ["T-DKI-KAMINFO"],
        "level": 2,
    },
    {
        "type": "short_answer",
        "text": "Singkatan dari autentikasi dua faktor (bahasa Inggris)?",
        "answers": ["2FA", "two factor authentication", "two-factor authentication"],
        "tags": ["T-DKI-KAMINFO"],
        "level": 2,
    },
    {
        "type": "single",
        "text": "Pembaruan perangkat lunak (update) sebaiknya:",
        "choices": [
            "Ditunda selamanya",
            "Dipasang segera setelah tersedia dari sumber resmi",
            "Diunduh dari situs mana saja",
        ],
        "answer": 1,
        "tags": ["T-DKI-KAMINFO"],
        "level": 1,
    },
]

# (name, completed days ago, pre-test right answers, post-test right answers, impact submitted?)
# Staff of the demo supervisor `atasan` in personnel's demo data (by NIP, so the ids match):
# name, NIP, days since completion, pre-test right answers, post-test right answers, evaluated.
LEARNERS = [
    ("Iwan Syahril", "197409112000031014", 30, 2, 6, False),
    ("Irfan Lubis", "198803232017041009", 200, 3, 5, False),
    ("Ratna Nasution, S.Kom.", "196911191995062004", 250, 1, 5, False),
    ("Fauzi Fajar Ibrahim, S.E.", "199309092015021019", 190, 4, 6, True),
    ("Hasan Wibowo", "198606212021011002", 185, 2, 4, True),
]
ANSWERS = [2, True, [0, 1], 1, "2FA", 1]
WRONG = [0, False, [2], 0, "OTP", 0]


def _sit(assessment: Assessment, learner_id: str, right: int, when: datetime) -> None:
    """A submitted attempt answering the first `right` questions correctly (no events)."""
    snapshot = []
    for qid in assessment.question_ids:
        question = db.session.get_one(Question, qid)
        choices = question.body.get("choices") or []
        order = list(range(len(choices))) if question.type in ("single", "multiple") else []
        snapshot.append({"id": qid, "question": question.body, "order": order})
    responses = {
        qid: (ANSWERS if i < right else WRONG)[i] for i, qid in enumerate(assessment.question_ids)
    }
    attempt = Attempt(
        assessment_id=assessment.id,
        learner_id=learner_id,
        number=1,
        snapshot=snapshot,
        responses=responses,
        course_ids=[demo_id(f"course:{COURSE_CODE}")],
        class_ids=[demo_id(f"class:{COURSE_CODE}-1")],
        unit_code=UNIT,
        started_at=when,
        status=SUBMITTED,
        submitted_at=when,
    )
    attempt.score, attempt.results = attempts.grade_responses(attempt, responses)
    attempt.passed = attempt.score >= assessment.passing_score
    db.session.add(attempt)


def _bank(trainer: str) -> list[str]:
    """The trainer's bank of TIK-101 questions; their ids in order."""
    bank = QuestionBank(
        id=demo_id("bank:keamanan-informasi"),
        owner_id=trainer,
        title="Bank soal Keamanan Informasi",
        description="Soal pre test dan post test TIK-101",
    )
    db.session.add(bank)
    ids = [demo_id(f"question:keamanan-informasi:{i}") for i in range(len(QUESTIONS))]
    for i, body in enumerate(QUESTIONS):
        db.session.add(
            Question(
                id=ids[i],
                bank_id=bank.id,
                owner_id=trainer,
                type=body["type"],
                body=body,
                tags=body["tags"],
                level=body["level"],
                position=i + 1,
            )
        )
    return ids


def _tests(trainer: str, question_ids: list[str]) -> tuple[Assessment, Assessment]:
    """TIK-101's pre test and post test on the bank's questions, and the course using them."""
    common = {
        "owner_id": trainer,
        "course_code": COURSE_CODE,
        "shuffle": True,
        "question_ids": question_ids,
    }
    pre = Assessment(
        id=demo_id("assessment:pre-test-keamanan-informasi"),
        title="Pre test Keamanan Informasi",
        kind=AssessmentKind.PRE_TEST,
        passing_score=0,
        time_limit_minutes=20,
        max_attempts=1,
        show_feedback=False,
        **common,
    )
    post = Assessment(
        id=demo_id("assessment:post-test-keamanan-informasi"),
        title="Post test Keamanan Informasi",
        kind=AssessmentKind.POST_TEST,
        passing_score=70,
        time_limit_minutes=30,
        max_attempts=3,
        show_feedback=True,
        **common,
    )
    db.session.add_all([pre, post])
    db.session.add(
        Course(
            id=demo_id(f"course:{COURSE_CODE}"),
            code=COURSE_CODE,
            title=COURSE_TITLE,
            pre_test_id=pre.id,
            post_test_id=post.id,
        )
    )
    db.session.flush()
    return pre, post


def _completion(trainer: str, name: str, nip: str, completed_on: date) -> Completion:
    """A learner's completion of the demo class, as catalog's event would have told us."""
    return Completion(
        enrolment_id=demo_id(f"enrolment:{COURSE_CODE}:{nip}"),
        learner_id=demo_id(nip),
        learner_name=name,
        unit_code=UNIT,
        course_id=demo_id(f"course:{COURSE_CODE}"),
        course_code=COURSE_CODE,
        course_title=COURSE_TITLE,
        jp=12,
        class_id=demo_id(f"class:{COURSE_CODE}-1"),
        class_name=f"{COURSE_CODE} Angkatan 1",
        trainer_ids=[trainer],
        competencies=[{"code": "T-DKI-KAMINFO", "level": 2}, {"code": "M-INT", "level": 2}],
        starts_on=completed_on - timedelta(days=25),
        ends_on=completed_on,
        completed_on=completed_on,
    )


def _answer_survey(completion: Completion, days_ago: int, now: datetime) -> None:
    survey = surveys.send(completion)
    survey.ratings = {
        item["key"]: 4 + (i + days_ago) % 2 for i, item in enumerate(surveys.TEMPLATE_ITEMS)
    }
    survey.answered_at = now - timedelta(days=days_ago - 1)


def _impact(completion: Completion, supervisor: str, done: bool, now: datetime) -> None:
    """The supervisor's impact evaluation of a completion, submitted when `done`."""
    delay = current_app.config["IMPACT_EVALUATION_DELAY_DAYS"]
    evaluation = ImpactEvaluation(
        enrolment_id=completion.enrolment_id,
        evaluator_role=EvaluatorRole.SUPERVISOR,
        evaluator_id=supervisor,
        learner_id=completion.learner_id,
        learner_name=completion.learner_name,
        unit_code=UNIT,
        course_id=completion.course_id,
        course_code=COURSE_CODE,
        course_title=COURSE_TITLE,
        class_id=completion.class_id,
        competencies=completion.competencies,
        completed_on=completion.completed_on,
        due_on=completion.completed_on + timedelta(days=delay),
    )
    if done:
        evaluation.submitted_at, evaluation.submitted_by = now - timedelta(days=2), supervisor
        evaluation.submission = {
            "behaviour_ratings": [{"competency_code": "T-DKI-KAMINFO", "rating": 4}],
            "evidence_text": "Menerapkan kebijakan kata sandi dan 2FA pada layanan "
            "e-Government di Diskominfo",
            "evidence_url": None,
            "notes": None,
        }
        evaluation.impact_rating, evaluation.behaviour_average = 4, 4.0
    db.session.add(evaluation)


def seed_demo() -> bool:
    """Load the demo data when the database is empty; True if it loaded."""
    if db.session.scalar(select(func.count()).select_from(QuestionBank)):
        return False
    trainer, supervisor = demo_id("trainer"), demo_id(SUPERVISOR_NIP)
    pre, post = _tests(trainer, _bank(trainer))
    today, now = clock.today(), clock.now()
    for name, nip, days_ago, pre_right, post_right, done in LEARNERS:
        _sit(pre, demo_id(nip), pre_right, now - timedelta(days=days_ago + 20))
        _sit(post, demo_id(nip), post_right, now - timedelta(days=days_ago))
        completion = _completion(trainer, name, nip, today - timedelta(days=days_ago))
        db.session.add(completion)
        _answer_survey(completion, days_ago, now)
        _impact(completion, supervisor, done, now)
    db.session.commit()
    return True


seed_demo_command = demo.seed_demo_command("evaluation", seed_demo)

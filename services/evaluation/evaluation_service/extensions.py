"""Unbound extension instances of the evaluation service."""

from cakap_shared.events import Events
from cakap_shared.problems import ProblemApi
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
api = ProblemApi()
events = Events(
    "evaluation",
    publishes=[
        "assessment.passed",
        "survey.due",
        "certificate.issued",
        "impact_evaluation.reminded",
        "impact_evaluation.escalated",
        "impact_evaluation.submitted",
        "impact_evaluation.due",
    ],
)

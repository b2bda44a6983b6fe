"""Unbound extension instances of the catalog service."""

from cakap_shared.events import Events
from cakap_shared.problems import ProblemApi
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
api = ProblemApi()
events = Events(
    "catalog",
    publishes=[
        "enrolment.requested",
        "enrolment.approved",
        "enrolment.rejected",
        "enrolment.promoted",
        "enrolment.completed",
        "course.published",
        "course.archived",
    ],
)

"""Unbound extension instances of the elearning service."""

from cakap_shared.events import Events
from cakap_shared.problems import ProblemApi
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
api = ProblemApi()
events = Events("elearning", publishes=["module.completed", "module.passed"])

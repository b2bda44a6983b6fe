"""Unbound extension instances of the personnel service."""

from cakap_shared.events import Events
from cakap_shared.problems import ProblemApi
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
api = ProblemApi()
events = Events("personnel", publishes=["person.updated"])

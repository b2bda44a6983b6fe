"""Unbound extension instances of the notification service."""

from cakap_shared.events import Events
from cakap_shared.problems import ProblemApi
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
api = ProblemApi()
# It publishes nothing; it subscribes to what its handlers in events.py register.
events = Events("notification", publishes=[])

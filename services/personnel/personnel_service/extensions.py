"""Unbound extension instances of the personnel service."""

from cakap_shared.events import Events
from cakap_shared.problems import ProblemApi
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
api = ProblemApi()
# account.mail_requested: an activation or reset e-mail for notification to write (no code in it).
events = Events("personnel", publishes=["person.updated", "account.mail_requested"])

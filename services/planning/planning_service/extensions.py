"""Unbound extension instances of the planning service."""

from cakap_shared.problems import ProblemApi
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
api = ProblemApi()

"""Unbound extension instances of the elearning service."""

import marshmallow as ma
from cakap_shared import problems
from cakap_shared.events import Events
from cakap_shared.problems import PROBLEM_MIMETYPE, ProblemApi
from flask_sqlalchemy import SQLAlchemy


class ProblemSchema(problems.ProblemSchema):
    """The problem document; RFC 9457 lets a problem carry extension members (budget_id, ...)."""

    class Meta:
        unknown = ma.INCLUDE


class ServiceApi(ProblemApi):
    """ProblemApi whose OpenAPI documents errors as they are sent.

    cakap_shared's ProblemApi documents them as application/json with a closed Problem schema,
    while they go out as application/problem+json, some with extension members. The fix belongs
    in cakap_shared; this keeps our published contract truthful until it lands there.
    """

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        self.DEFAULT_RESPONSE_CONTENT_TYPE = PROBLEM_MIMETYPE
        try:
            super()._register_responses()
        finally:
            del self.DEFAULT_RESPONSE_CONTENT_TYPE  # success answers stay application/json


db = SQLAlchemy()
api = ServiceApi()
events = Events("elearning", publishes=["module.completed", "module.passed"])

"""Schemas answered by more than one feature's routes (a question appears in banks and in
assessments); no routes here."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from ..domain import questions
from ..models import Question

F = ma.fields


class QuestionSchema(ma.Schema):
    """A stored question with its answers (for its owner and admins only)."""

    id = F.String()
    bank_id = F.String(allow_none=True)
    type = F.String()
    text = F.String()
    title = F.Raw()
    choices = F.Raw()
    answer = F.Raw()
    answers = F.Raw()
    tolerance = F.Raw()
    credit = F.Raw()
    feedback = F.Raw()
    choice_feedback = F.Raw()
    answer_feedback = F.Raw()
    feedback_true = F.Raw()
    feedback_false = F.Raw()
    tags = F.List(F.String())
    level = F.Integer(allow_none=True)
    format = F.Raw()
    category = F.Raw()

    @ma.pre_dump
    def _canonical(self, question: Question | dict[str, Any], **_: Any) -> dict[str, Any]:
        # A row keeps the question's own keys in `body`; the keys it lacks stay absent.
        return questions.dump(question) if isinstance(question, Question) else question

"""Small helpers the page views share: list shapes, partial failures, paging."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app
from flask_babel import gettext as _

from .gateway import ApiError

T = TypeVar("T")

# Certificate codes appear in page URLs and API paths: letters, digits, - and _ only.
CERTIFICATE_CODE = re.compile(r"^[A-Za-z0-9_-]{4,128}$")


def items_of(data: Any) -> list[dict[str, Any]]:
    """The items of a list answer ({"items": [...]}, or a bare list), dicts only."""
    if isinstance(data, dict):
        data = data.get("items", [])
    if not isinstance(data, list):
        return []
    return [item for item in data if isinstance(item, dict)]


def load_part(fetch: Callable[[], T]) -> tuple[T | None, str | None]:
    """Run one part of a page; a failing API gives a message for that part instead of a page.

    401 still ends the whole page (the session is over).
    """
    try:
        return fetch(), None
    except ApiError as error:
        if error.status == 401:
            raise
        return None, friendly(error)


def friendly(error: ApiError) -> str:
    """A message a person can act on: the API's detail for their mistakes, none for ours."""
    if error.unavailable:
        return _("Data ini sedang tidak dapat dimuat. Silakan coba lagi nanti.")
    if error.status == 404:
        return _("Data tidak ditemukan.")
    if error.status == 403:
        return error.detail or _("Anda tidak berhak melakukan ini.")
    return error.detail or _("Permintaan tidak dapat diproses.")


def pagination(data: Any, page: int) -> dict[str, int]:
    """Page numbers for a list answer."""
    per_page = current_app.config["PER_PAGE"]
    total = 0
    if isinstance(data, dict):
        total = int(data.get("total") or 0)
        per_page = int(data.get("per_page") or per_page)
    pages = max(1, math.ceil(total / per_page)) if per_page else 1
    return {"page": page, "pages": pages, "total": total, "per_page": per_page}


def sanitize_questions(questions: Any) -> list[dict[str, Any]]:
    """Only id, type, text and choice texts of each question reach the page: whatever else the
    API sends (an answer key, feedback) is dropped here, before any template sees it."""
    clean = []
    for question in questions if isinstance(questions, list) else []:
        if not isinstance(question, dict) or "id" not in question:
            continue
        choices = []
        for choice in question.get("choices") or []:
            if isinstance(choice, dict):
                choice = choice.get("text", "")
            choices.append(str(choice))
        clean.append(
            {
                "id": str(question["id"]),
                "type": str(question.get("type") or "single"),
                "text": str(question.get("text", "")),
                "choices": choices,
            }
        )
    return clean


def competency_names() -> dict[str, str]:
    """Competency code -> name from the catalog's dictionary; empty when it cannot be read
    (pages then show the codes, which is still correct)."""
    from .auth import api_get

    data, _error = load_part(lambda: api_get("/api/v1/competencies", params={"per_page": 100}))
    return {str(c.get("code")): str(c.get("name") or c.get("code")) for c in items_of(data)}


def answers_from_form(questions: list[dict[str, Any]], form: Any) -> dict[str, Any]:
    """The API's answer for each question from the form fields `q-<id>`, by question type:
    a choice index (single), a list of indexes (multiple), true/false, text or a number.
    Unanswered questions are left out (the API grades them as wrong)."""
    answers: dict[str, Any] = {}
    for question in questions:
        qid = str(question.get("id", ""))
        name = f"q-{qid}"
        qtype = question.get("type") or "single"
        try:
            if qtype == "multiple":
                picked = sorted({int(v) for v in form.getlist(name)})
                if picked:
                    answers[qid] = picked
                continue
            raw = (form.get(name) or "").strip()
            if raw == "":
                continue
            if qtype == "single":
                answers[qid] = int(raw)
            elif qtype == "true_false":
                if raw in ("true", "false"):
                    answers[qid] = raw == "true"
            elif qtype == "numeric":
                answers[qid] = float(raw.replace(",", "."))
            elif qtype in ("short_answer", "essay"):
                answers[qid] = raw[:10_000]
        except ValueError:
            continue
    return answers

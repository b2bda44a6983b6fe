"""The learner's reaction survey: one Likert statement per row, 1..5, and a comment."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .auth import api_get, api_post, login_required
from .gateway import ApiError, path
from .pages import friendly

bp = Blueprint("survey", __name__)

SCALE = (1, 2, 3, 4, 5)


def _statements(survey: dict[str, Any]) -> list[dict[str, str]]:
    """The survey's statements (key and text) in the template's order."""
    out = []
    for item in survey.get("items") or []:
        if isinstance(item, dict) and item.get("key"):
            out.append({"key": str(item["key"]), "text": str(item.get("text") or item["key"])})
    return out


@bp.route("/survei/<uuid:survey_id>", methods=["GET", "POST"])
@login_required
def answer(survey_id: UUID):
    """Show the survey; on POST send every rating (all statements are required)."""
    survey = api_get(path("/api/v1/surveys/{}", survey_id)) or {}
    statements = _statements(survey)
    ratings: dict[str, int] = {}
    missing: set[str] = set()
    comment = ""
    if request.method == "POST" and survey.get("status") == "pending":
        comment = (request.form.get("comment") or "").strip()[:5000]
        for statement in statements:
            raw = request.form.get(f"r-{statement['key']}", "")
            if raw.isdigit() and int(raw) in SCALE:
                ratings[statement["key"]] = int(raw)
            else:
                missing.add(statement["key"])
        if not missing:
            body: dict[str, Any] = {"ratings": ratings}
            if comment:
                body["comment"] = comment
            try:
                api_post(path("/api/v1/surveys/{}/responses", survey_id), json=body)
            except ApiError as error:
                if error.unavailable:
                    raise
                flash(friendly(error), "error")
            else:
                flash(_("Terima kasih, jawaban survei Anda tersimpan."), "success")
                return redirect(url_for("learner.home"), code=303)
    status = 400 if missing else 200
    page = render_template(
        "survey.html",
        survey=survey,
        statements=statements,
        scale=SCALE,
        ratings=ratings or (survey.get("ratings") or {}),
        missing=missing,
        comment=comment or (survey.get("comment") or ""),
    )
    return page, status

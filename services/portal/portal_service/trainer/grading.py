"""Grading: the queue of essays waiting, grading with a comment, the score that follows."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..auth import roles_required
from ..forms import ActionForm
from ..gateway import ApiError, path
from ..pages import friendly, load_part
from . import api, bp


def _learner_names() -> dict[str, str]:
    """Learner id -> name from the rosters of the classes the trainer teaches."""
    names: dict[str, str] = {}
    for klass in api.my_classes():
        roster, _error = load_part(
            api.all_pages, path("/api/v1/classes/{}/roster", klass["id"]), limit=3
        )
        for row in roster or []:
            names[str(row.get("learner_id"))] = str(row.get("learner_name") or "")
    return names


def queue() -> list[dict[str, Any]]:
    """Closed attempts at the trainer's tests with an essay not graded yet, oldest first."""
    waiting = []
    for test in api.my_tests():
        for attempt in api.attempts(test["id"], pending_review="true"):
            waiting.append({**attempt, "test_title": test.get("title"), "kind": test.get("kind")})
    return sorted(waiting, key=lambda a: str(a.get("submitted_at") or ""))


@bp.get("/penilaian")
@roles_required("trainer")
def grading_queue():
    """Essays waiting for the trainer's grade."""
    waiting, error = load_part(queue)
    # Names come from the rosters of the trainer's classes: read only when someone waits.
    names, _names_error = load_part(_learner_names) if waiting else ({}, None)
    return render_template(
        "trainer/grading.html", waiting=waiting or [], error=error, names=names or {}
    )


def _grades_from(form: Any, questions: list[dict[str, Any]]) -> tuple[dict[str, Any], bool]:
    """{question id: {score 0..1, comment}} from percent fields; bad when one is not 0..100."""
    grades: dict[str, Any] = {}
    for entry in questions:
        qid = str(entry.get("id"))
        raw = (form.get(f"score-{qid}") or "").strip().replace(",", ".")
        if not raw:
            continue
        try:
            percent = float(raw)
        except ValueError:
            return {}, False
        if not 0 <= percent <= 100:
            return {}, False
        comment = (form.get(f"comment-{qid}") or "").strip()[:5000] or None
        grades[qid] = {"score": round(percent / 100, 4), "comment": comment}
    return grades, True


@bp.route("/penilaian/<attempt_id>", methods=["GET", "POST"])
@roles_required("trainer")
def grade(attempt_id: str):
    """One attempt: the learner's essays, the grade and comment, the score afterwards."""
    form = ActionForm()
    review_path = path("/api/v1/assessment-attempts/{}/review", attempt_id)
    review = api.call("GET", review_path).data
    essays = [
        q for q in review.get("questions") or [] if (q.get("question") or {}).get("type") == "essay"
    ]
    if request.method == "POST" and form.validate_on_submit():
        grades, ok = _grades_from(request.form, essays)
        if not ok:
            flash(_("Nilai esai diisi 0 sampai 100."), "error")
        elif not grades:
            flash(_("Isi nilai sedikitnya satu esai."), "error")
        else:
            before = review.get("score")
            try:
                after = api.call(
                    "POST",
                    path("/api/v1/assessment-attempts/{}/grades", attempt_id),
                    json={"grades": grades},
                ).data
            except ApiError as error:
                if error.unavailable:
                    raise
                flash(friendly(error) if error.status != 422 else _("Nilai tidak sah."), "error")
            else:
                flash(
                    _(
                        "Nilai disimpan. Skor percobaan: %(before)s → %(after)s.",
                        before=_score(before),
                        after=_score(after.get("score")),
                    ),
                    "success",
                )
                return redirect(url_for(".grade", attempt_id=attempt_id))
    return render_template(
        "trainer/grade.html", review=review, essays=essays, form=form, score=_score
    )


def _score(value: Any) -> str:
    return "—" if value is None else f"{float(value):.1f}".rstrip("0").rstrip(".")

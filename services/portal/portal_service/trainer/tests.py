"""Tests: build a pre/post test from a bank (fixed questions or a random draw by tag),
its settings, and a preview as the learner will see it (never the answers)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..auth import api_post, roles_required
from ..forms import ActionForm
from ..gateway import ApiError, path
from ..pages import field_messages, friendly, load_part, sanitize_questions
from . import api, bp, messages


@bp.get("/tes")
@roles_required("trainer")
def tests():
    """The trainer's tests and the banks to build a new one from."""
    items, error = load_part(api.my_tests)
    banks, _banks_error = load_part(api.my_banks)
    return render_template("trainer/tests.html", tests=items or [], error=error, banks=banks or [])


def _number(raw: str | None, default: float | None = None) -> float | None:
    try:
        return float((raw or "").replace(",", ".")) if (raw or "").strip() else default
    except ValueError:
        return default


def _settings(form: Any) -> dict[str, Any]:
    """Title, kind and settings from the builder form."""
    body: dict[str, Any] = {
        "title": (form.get("title") or "").strip()[:200],
        "kind": form.get("kind") if form.get("kind") in ("pre_test", "post_test") else "post_test",
        "passing_score": _number(form.get("passing_score"), 70.0),
        "shuffle": form.get("shuffle") == "on",
        "show_feedback": form.get("show_feedback") == "on",
    }
    for name in ("time_limit_minutes", "max_attempts"):
        value = _number(form.get(name))
        body[name] = int(value) if value else None
    return body


def _sources(form: Any, bank_id: str) -> dict[str, Any]:
    """Fixed questions ticked in the bank, or a random draw of N with the given tags."""
    if form.get("mode") == "random":
        tags = [t.strip() for t in (form.get("tags") or "").split(",") if t.strip()]
        count = _number(form.get("count"), 0) or 0
        return {"draw": {"bank_id": bank_id, "tags": tags, "count": int(count)}}
    return {"question_ids": form.getlist("question_ids")}


@bp.route("/tes/baru/<bank_id>", methods=["GET", "POST"])
@roles_required("trainer")
def new_test(bank_id: str):
    """Build a test from one of the trainer's banks."""
    form = ActionForm()
    bank = api.bank(bank_id)
    questions = api.questions(bank_id)
    tags = sorted({t for q in questions for t in q.get("tags") or []})
    values: dict[str, Any] = {"passing_score": "70", "mode": "fixed", "kind": "post_test"}
    if request.method == "POST" and form.validate_on_submit():
        values = {**request.form.to_dict(), "picked": request.form.getlist("question_ids")}
        body = {**_settings(request.form), **_sources(request.form, bank_id)}
        if not body["title"]:
            flash(_("Beri judul tes."), "error")
        else:
            try:
                created = api_post("/api/v1/assessments", json=body)
            except ApiError as error:
                flash(_test_problem(error), "error")
            else:
                flash(_("Tes dibuat."), "success")
                return redirect(url_for(".test", test_id=created["id"]))
    return render_template(
        "trainer/test_new.html",
        bank=bank,
        questions=questions,
        tags=tags,
        values=values,
        form=form,
    )


def _test_problem(error: ApiError) -> str:
    if error.unavailable:
        raise error
    fields = error.field_errors
    if "questions" in fields or "question_ids" in fields:
        return _("Pilih sedikitnya satu soal dari bank.")
    if "draw.count" in fields:
        return _("Jumlah soal acak melebihi soal bank yang memiliki tag tersebut.")
    if any(k.startswith("draw") for k in fields):
        return _("Aturan acak tidak sah: isi jumlah soal (1 sampai 200).")
    if "passing_score" in fields:
        return _("Nilai lulus harus 0 sampai 100.")
    if error.status == 422:
        return _(
            "Pengaturan tes tidak sah: periksa batas waktu (1 sampai 1440 menit) "
            "dan jumlah percobaan (1 sampai 100)."
        )
    return friendly(error)


@bp.get("/tes/<test_id>")
@roles_required("trainer")
def test(test_id: str):
    """A test's settings, where it is used, and the preview a learner would see."""
    found = api.test(test_id)
    preview = sanitize_questions(found.get("questions"))
    pool: list[dict[str, Any]] = []
    draw = found.get("draw") if isinstance(found.get("draw"), dict) else None
    if draw and draw.get("bank_id"):
        tags = draw.get("tags") or []
        candidates, _error = load_part(
            lambda: api.questions(str(draw["bank_id"]), tags[0] if tags else None)
        )
        pool = [q for q in candidates or [] if set(tags) <= set(q.get("tags") or [])]
        preview = sanitize_questions(pool[: int(draw.get("count") or 0)])
    used, used_error = load_part(lambda: api.courses_using(test_id=test_id))
    return render_template(
        "trainer/test.html",
        test=found,
        preview=preview,
        pool_size=len(pool),
        draw=draw,
        used=used or [],
        used_error=used_error,
    )


SETTINGS = ("title", "kind", "passing_score", "time_limit_minutes", "max_attempts")


def _changes(form: Any) -> dict[str, Any]:
    """The edit form as an assessment PATCH: values as typed, so evaluation names bad fields.

    An empty limit means "no limit"; an empty passing score is sent empty and refused.
    """
    body: dict[str, Any] = {
        "title": (form.get("title") or "").strip(),
        "kind": form.get("kind") or "",
        "passing_score": (form.get("passing_score") or "").strip().replace(",", "."),
        "shuffle": form.get("shuffle") == "on",
        "show_feedback": form.get("show_feedback") == "on",
    }
    for name in ("time_limit_minutes", "max_attempts"):
        body[name] = (form.get(name) or "").strip() or None
    return body


@bp.route("/tes/<test_id>/ubah", methods=["GET", "POST"])
@roles_required("trainer")
def edit_test(test_id: str):
    """Change a test's title, kind and settings; evaluation refuses what became unfair."""
    form = ActionForm()
    found = api.test(test_id)
    values = {k: found.get(k) for k in (*SETTINGS, "shuffle", "show_feedback")}
    if isinstance(values["passing_score"], int | float):
        values["passing_score"] = f"{values['passing_score']:g}"  # 80, not 80.0
    errors: dict[str, str] = {}
    if request.method == "POST" and form.validate_on_submit():
        body = _changes(request.form)
        try:
            api.call("PATCH", path("/api/v1/assessments/{}", test_id), json=body)
        except ApiError as error:
            values, errors = body, field_messages(error)
            flash(messages.test_settings_problem(error), "error")
        else:
            flash(_("Pengaturan tes disimpan."), "success")
            return redirect(url_for(".test", test_id=test_id))
    return render_template(
        "trainer/test_edit.html", test=found, values=values, errors=errors, form=form
    )

"""Question banks: create, questions of every type with tags, GIFT/Aiken import and export."""

from __future__ import annotations

import io

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..auth import api_post, roles_required
from ..forms import ActionForm
from ..gateway import ApiError, path
from ..pages import friendly, load_part
from . import api, bp, messages
from .question_form import TYPES, answer_text, form_from_question, question_from_form

MAX_PASTE = 1_000_000


@bp.route("/bank-soal", methods=["GET", "POST"])
@roles_required("trainer")
def banks():
    """The trainer's banks, and a new one."""
    form = ActionForm()
    if request.method == "POST" and form.validate_on_submit():
        title = (request.form.get("title") or "").strip()[:200]
        if not title:
            flash(_("Beri judul bank soal."), "error")
        else:
            try:
                created = api_post("/api/v1/question-banks", json={"title": title})
            except ApiError as error:
                flash(friendly(error), "error")
            else:
                return redirect(url_for(".bank", bank_id=created["id"]))
    items, load_error = load_part(api.my_banks)
    return render_template("trainer/banks.html", banks=items or [], error=load_error, form=form)


def _bank_page(bank_id: str, **extra):
    found = api.bank(bank_id)
    tag = (request.args.get("tag") or "").strip()[:100] or None
    questions = api.questions(bank_id, tag)
    defaults = {"type": request.args.get("type") if request.args.get("type") in TYPES else "single"}
    return render_template(
        "trainer/bank.html",
        bank=found,
        questions=questions,
        tag=tag,
        answer_text=answer_text,
        types=TYPES,
        fields=extra.pop("fields", defaults),
        form=ActionForm(),
        **extra,
    )


@bp.get("/bank-soal/<bank_id>")
@roles_required("trainer")
def bank(bank_id: str):
    """A bank's questions, the new-question form and the import form."""
    return _bank_page(bank_id)


@bp.post("/bank-soal/<bank_id>/soal")
@roles_required("trainer")
def add_question(bank_id: str):
    """Add a question; the form comes back filled in when the API refuses it."""
    if not ActionForm().validate_on_submit():
        return redirect(url_for(".bank", bank_id=bank_id))
    question = question_from_form(request.form)
    try:
        api_post(path("/api/v1/question-banks/{}/questions", bank_id), json=question)
    except ApiError as error:
        flash(messages.question_problem(error), "error")
        return _bank_page(bank_id, fields=dict(request.form)), 422
    flash(_("Soal ditambahkan."), "success")
    return redirect(url_for(".bank", bank_id=bank_id))


@bp.route("/soal/<question_id>", methods=["GET", "POST"])
@roles_required("trainer")
def question(question_id: str):
    """Edit one of the trainer's questions (started attempts keep the old text)."""
    form = ActionForm()
    found = api.call("GET", path("/api/v1/questions/{}", question_id)).data
    fields = form_from_question(found)
    if request.method == "POST" and form.validate_on_submit():
        if request.form.get("delete"):
            api.call("DELETE", path("/api/v1/questions/{}", question_id))
            flash(_("Soal dihapus."), "success")
            return redirect(url_for(".bank", bank_id=found.get("bank_id")))
        try:
            api.call(
                "PUT",
                path("/api/v1/questions/{}", question_id),
                json=question_from_form(request.form),
            )
        except ApiError as error:
            flash(messages.question_problem(error), "error")
            fields = dict(request.form)
        else:
            flash(_("Soal disimpan."), "success")
            return redirect(url_for(".bank", bank_id=found.get("bank_id")))
    return render_template(
        "trainer/question.html", question=found, fields=fields, types=TYPES, form=form
    )


@bp.post("/bank-soal/<bank_id>/impor")
@roles_required("trainer")
def import_questions(bank_id: str):
    """Import GIFT or Aiken from a file or pasted text; errors are shown beside their lines."""
    form = ActionForm()
    if not form.validate_on_submit():
        return redirect(url_for(".bank", bank_id=bank_id))
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        raw = upload.read(MAX_PASTE + 1)
        name = upload.filename
    else:
        raw = (request.form.get("text") or "").encode()
        name = "tempel.gift"
    fmt = request.form.get("format") if request.form.get("format") in ("gift", "aiken") else None
    if not raw.strip():
        flash(_("Pilih berkas atau tempel teks soal."), "error")
        return redirect(url_for(".bank", bank_id=bank_id))
    if len(raw) > MAX_PASTE:
        flash(_("Berkas soal terlalu besar (paling besar 1 MB)."), "error")
        return redirect(url_for(".bank", bank_id=bank_id))
    try:
        result = api_post(
            path("/api/v1/question-banks/{}/import", bank_id),
            params={"format": fmt},
            files={"file": (name, io.BytesIO(raw), "text/plain")},
        )
    except ApiError as error:
        if error.unavailable:
            raise
        flash(_("Berkas tidak dapat dibaca sebagai GIFT atau Aiken (UTF-8)."), "error")
        return redirect(url_for(".bank", bank_id=bank_id))
    text = raw.decode("utf-8-sig", errors="replace")
    by_line: dict[int, list[str]] = {}
    for problem in result.get("errors") or []:
        by_line.setdefault(int(problem.get("line") or 0), []).append(str(problem.get("message")))
    lines = [(n, line, by_line.get(n, [])) for n, line in enumerate(text.splitlines(), start=1)]
    return render_template(
        "trainer/import_result.html",
        bank=api.bank(bank_id),
        result=result,
        lines=lines,
        unplaced=by_line.get(0, []),
    )


@bp.get("/bank-soal/<bank_id>/ekspor")
@roles_required("trainer")
def export_bank(bank_id: str):
    """Download the bank as GIFT or Aiken."""
    fmt = "aiken" if request.args.get("format") == "aiken" else "gift"
    answer = api.call(
        "GET", path("/api/v1/question-banks/{}/export", bank_id), params={"format": fmt}
    )
    ext = "txt" if fmt == "aiken" else "gift"
    return Response(
        answer.raw.content,
        mimetype="text/plain",
        headers={"Content-Disposition": f'attachment; filename="bank-soal-{fmt}.{ext}"'},
    )

"""Question banks and their questions: CRUD, GIFT/Aiken import and export."""

from __future__ import annotations

from typing import Any

from cakap_shared.auth import roles_required
from cakap_shared.db import paginate
from cakap_shared.logs import audit
from cakap_shared.problems import CakapError, invalid
from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import func, select

from .domain import questions as question_io
from .domain.access import author, get_owned
from .extensions import db
from .models import Question, QuestionBank
from .questions.aiken import parse_aiken, to_aiken
from .questions.gift import parse_gift, to_gift
from .schemas import (
    BankInSchema,
    BankPageSchema,
    BankPatchSchema,
    BankQueryArgsSchema,
    BankSchema,
    ExportArgsSchema,
    ImportArgsSchema,
    ImportFileSchema,
    ImportResultSchema,
    QuestionInSchema,
    QuestionPageSchema,
    QuestionQueryArgsSchema,
    QuestionSchema,
)

blp = Blueprint("banks", __name__, url_prefix="/api/v1", description="Question banks")
MAX_IMPORT_BYTES = 1024 * 1024


def _bank_out(bank: QuestionBank) -> dict[str, Any]:
    count = db.session.scalar(select(func.count()).where(Question.bank_id == bank.id))
    return {
        "id": bank.id,
        "owner_id": bank.owner_id,
        "title": bank.title,
        "description": bank.description,
        "question_count": count or 0,
        "created_at": bank.created_at,
    }


def _bank(bank_id: str) -> QuestionBank:
    author()
    return get_owned(QuestionBank, bank_id, "question bank")


def _next_position(bank_id: str) -> int:
    highest = db.session.scalar(
        select(func.max(Question.position)).where(Question.bank_id == bank_id)
    )
    return (highest or 0) + 1


@blp.route("/question-banks")
class QuestionBanks(MethodView):
    """Question banks of trainers."""

    @roles_required("trainer", "admin")
    @blp.arguments(BankQueryArgsSchema, location="query")
    @blp.response(200, BankPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List my question banks (admins: all, or one owner's)."""
        principal = author()
        query = select(QuestionBank).order_by(QuestionBank.created_at, QuestionBank.id)
        if not principal.is_admin:
            query = query.where(QuestionBank.owner_id == principal.id)
        elif args.get("owner_id"):
            query = query.where(QuestionBank.owner_id == args["owner_id"])
        page = paginate(db, query, args["page"], args["per_page"])
        page["items"] = [_bank_out(b) for b in page["items"]]
        return page

    @roles_required("trainer", "admin")
    @blp.arguments(BankInSchema)
    @blp.response(201, BankSchema)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a question bank owned by the caller."""
        principal = author()
        bank = QuestionBank(owner_id=principal.id, **body)
        db.session.add(bank)
        db.session.commit()
        return _bank_out(bank)


@blp.route("/question-banks/<bank_id>")
class QuestionBanksById(MethodView):
    """One question bank."""

    @blp.response(200, BankSchema)
    def get(self, bank_id: str) -> dict[str, Any]:
        """Show a question bank (owner, admin)."""
        return _bank_out(_bank(bank_id))

    @roles_required("trainer", "admin")
    @blp.arguments(BankPatchSchema)
    @blp.response(200, BankSchema)
    def patch(self, body: dict[str, Any], bank_id: str) -> dict[str, Any]:
        """Rename or describe a question bank (owner, admin)."""
        bank = _bank(bank_id)
        for key, value in body.items():
            setattr(bank, key, value)
        db.session.commit()
        return _bank_out(bank)

    @blp.response(204)
    def delete(self, bank_id: str) -> None:
        """Delete a question bank and its questions (owner, admin).

        Attempts keep their own copies of the questions, so grading is unaffected.
        """
        bank = _bank(bank_id)
        db.session.delete(bank)
        db.session.commit()
        audit("question_bank.deleted", bank_id=bank_id)


@blp.route("/question-banks/<bank_id>/questions")
class BankQuestions(MethodView):
    """Questions of a bank."""

    @roles_required("trainer", "admin")
    @blp.arguments(QuestionQueryArgsSchema, location="query")
    @blp.response(200, QuestionPageSchema)
    def get(self, args: dict[str, Any], bank_id: str) -> dict[str, Any]:
        """List a bank's questions with their answers (owner, admin)."""
        bank = _bank(bank_id)
        query = select(Question).where(Question.bank_id == bank.id)
        if args.get("level"):
            query = query.where(Question.level == args["level"])
        query = query.order_by(Question.position, Question.id)
        if args.get("tag"):
            # Tags live in a JSON list: filter in Python, then page by hand.
            rows = [q for q in db.session.scalars(query) if args["tag"] in (q.tags or [])]
            per_page = min(args["per_page"], 100)
            start = (args["page"] - 1) * per_page
            items = rows[start : start + per_page]
            return {
                "items": [question_io.dump(q) for q in items],
                "total": len(rows),
                "page": args["page"],
                "per_page": per_page,
            }
        page = paginate(db, query, args["page"], args["per_page"])
        page["items"] = [question_io.dump(q) for q in page["items"]]
        return page

    @roles_required("trainer", "admin")
    @blp.arguments(QuestionInSchema)
    @blp.response(201, QuestionSchema)
    def post(self, body: dict[str, Any], bank_id: str) -> dict[str, Any]:
        """Add a question; 422 names the field that makes it invalid."""
        bank = _bank(bank_id)
        checked = question_io.check(body)
        question = question_io.new_question(
            checked, bank.owner_id, bank.id, _next_position(bank.id)
        )
        db.session.add(question)
        db.session.commit()
        return question_io.dump(question)


@blp.route("/questions/<question_id>")
class QuestionsById(MethodView):
    """One question of a bank."""

    @blp.response(200, QuestionSchema)
    def get(self, question_id: str) -> dict[str, Any]:
        """Show a question with its answer (owner, admin)."""
        author()
        return question_io.dump(get_owned(Question, question_id, "question"))

    @roles_required("trainer", "admin")
    @blp.arguments(QuestionInSchema)
    @blp.response(200, QuestionSchema)
    def put(self, body: dict[str, Any], question_id: str) -> dict[str, Any]:
        """Replace a question (attempts already started keep the old version)."""
        author()
        question = get_owned(Question, question_id, "question")
        checked = question_io.check(body)
        question.body, question.type = checked, checked["type"]
        question.tags, question.level = list(checked.get("tags") or []), checked.get("level")
        db.session.commit()
        return question_io.dump(question)

    @blp.response(204)
    def delete(self, question_id: str) -> None:
        """Delete a question from its bank (owner, admin)."""
        author()
        question = get_owned(Question, question_id, "question")
        db.session.delete(question)
        db.session.commit()


def _guess_format(filename: str, text: str) -> str:
    name = filename.lower()
    if name.endswith(".gift") or ".gift." in name:
        return "gift"
    if "aiken" in name:
        return "aiken"
    return (
        "aiken"
        if any(line.strip().upper().startswith("ANSWER:") for line in text.splitlines())
        else "gift"
    )


@blp.route("/question-banks/<bank_id>/import")
class BankImport(MethodView):
    """Import questions from a file."""

    @roles_required("trainer", "admin")
    @blp.arguments(ImportArgsSchema, location="query")
    @blp.arguments(ImportFileSchema, location="files")
    @blp.response(200, ImportResultSchema)
    def post(self, args: dict[str, Any], files: dict[str, Any], bank_id: str) -> dict[str, Any]:
        """Import a Moodle GIFT or Aiken file; questions that cannot be read are listed by line."""
        bank = _bank(bank_id)
        upload = files["file"]
        raw = upload.read(MAX_IMPORT_BYTES + 1)
        if len(raw) > MAX_IMPORT_BYTES:
            raise CakapError(413, "The file is larger than 1 MiB.")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise invalid("file", "must be UTF-8 text") from None
        fmt = (
            args.get("format")
            or request.form.get("format")
            or _guess_format(upload.filename or "", text)
        )
        if fmt not in ("gift", "aiken"):
            raise invalid("format", "must be gift or aiken")
        result = parse_gift(text) if fmt == "gift" else parse_aiken(text)
        errors = [{"line": e.line, "message": e.message} for e in result.errors]
        position = _next_position(bank.id)
        created = []
        for question in result.questions:
            problems = question_io.validate_question(question)
            if problems:
                # The parsers validate already; this guards against a reader bug.
                errors.append({"line": 0, "message": "; ".join(f"{f} {m}" for f, m in problems)})
                continue
            row = question_io.new_question(
                question_io.clean(question), bank.owner_id, bank.id, position
            )
            position += 1
            db.session.add(row)
            created.append(row)
        db.session.commit()
        audit("question_bank.imported", bank_id=bank.id, created=len(created), errors=len(errors))
        return {
            "format": fmt,
            "created": len(created),
            "question_ids": [q.id for q in created],
            "errors": sorted(errors, key=lambda e: e["line"]),
        }


@blp.route("/question-banks/<bank_id>/export")
class BankExport(MethodView):
    """Export a bank's questions."""

    @roles_required("trainer", "admin")
    @blp.arguments(ExportArgsSchema, location="query")
    @blp.response(200, content_type="text/plain")
    def get(self, args: dict[str, Any], bank_id: str) -> Response:
        """Download the bank as GIFT or Aiken (Aiken holds single-choice questions only)."""
        bank = _bank(bank_id)
        questions = [q.body for q in bank.questions]
        if args["format"] == "gift":
            text, skipped = to_gift(questions), 0
        else:
            export = to_aiken(questions)
            text, skipped = export.text, len(export.skipped)
        ext = "gift" if args["format"] == "gift" else "aiken.txt"
        response = Response(text, mimetype="text/plain")
        response.headers["Content-Disposition"] = f'attachment; filename="bank-{bank.id}.{ext}"'
        response.headers["X-Skipped-Questions"] = str(skipped)
        return response

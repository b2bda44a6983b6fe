"""Question banks and their questions: CRUD, GIFT/Aiken import and export."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.auth import roles_required
from cakap_shared.schemas import PageArgsSchema, UtcDateTime, page_schema
from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint

from ..domain import banks
from ..domain.access import author
from ..models import Question, QuestionBank
from ._common import QuestionSchema

blp = Blueprint("banks", __name__, url_prefix="/api/v1", description="Question banks")

F = ma.fields
V = ma.validate


class QuestionInSchema(ma.Schema):
    """A question in the canonical shape (see questions/model.py); checked by validate_question."""

    class Meta:
        unknown = ma.INCLUDE

    type = F.String(
        required=True,
        metadata={
            "description": "single, multiple, true_false, short_answer, numeric, essay, description"
        },
    )
    text = F.String(required=True)
    title = F.Raw()
    choices = F.Raw(metadata={"description": "list of choice texts (single, multiple)"})
    answer = F.Raw(metadata={"description": "index, list of indexes, bool or number"})
    answers = F.Raw(metadata={"description": "accepted short answers or numeric answers"})
    tolerance = F.Raw()
    credit = F.Raw()
    feedback = F.Raw()
    choice_feedback = F.Raw()
    answer_feedback = F.Raw()
    feedback_true = F.Raw()
    feedback_false = F.Raw()
    tags = F.Raw()
    level = F.Raw()
    format = F.Raw()
    category = F.Raw()


class BankInSchema(ma.Schema):
    """Create or rename a question bank."""

    title = F.String(required=True, validate=V.Length(min=1, max=200))
    description = F.String(allow_none=True, validate=V.Length(max=5000))


class BankPatchSchema(ma.Schema):
    """Change a question bank."""

    title = F.String(validate=V.Length(min=1, max=200))
    description = F.String(allow_none=True, validate=V.Length(max=5000))


class BankSchema(ma.Schema):
    """A question bank."""

    id = F.String()
    owner_id = F.String()
    title = F.String()
    description = F.String(allow_none=True)
    question_count = F.Integer()
    created_at = UtcDateTime()


class BankQueryArgsSchema(PageArgsSchema):
    """Filters for question banks."""

    owner_id = F.String()


class QuestionQueryArgsSchema(PageArgsSchema):
    """Filters for a bank's questions."""

    tag = F.String()
    level = F.Integer(validate=V.Range(min=1, max=5))


class ImportFileSchema(ma.Schema):
    """A GIFT or Aiken file."""

    file = F.Raw(required=True, metadata={"type": "string", "format": "binary"})


class ImportArgsSchema(ma.Schema):
    """How to read the imported file."""

    format = F.String(
        validate=V.OneOf(banks.FORMATS),
        metadata={
            "description": "gift or aiken; guessed from the file name or content when absent"
        },
    )


class ParseErrorSchema(ma.Schema):
    """A question that could not be read."""

    line = F.Integer()
    message = F.String()


class ImportResultSchema(ma.Schema):
    """What an import created and what it could not read."""

    format = F.String()
    created = F.Integer()
    question_ids = F.List(F.String())
    errors = F.List(F.Nested(ParseErrorSchema))


class ExportArgsSchema(ma.Schema):
    """Which format to export."""

    format = F.String(load_default="gift", validate=V.OneOf(banks.FORMATS))


@blp.route("/question-banks")
class QuestionBanks(MethodView):
    """Question banks of trainers."""

    @roles_required("trainer", "admin")
    @blp.arguments(BankQueryArgsSchema, location="query")
    @blp.response(200, page_schema(BankSchema))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List my question banks (admins: all, or one owner's)."""
        return banks.bank_page(author(), args)

    @roles_required("trainer", "admin")
    @blp.arguments(BankInSchema)
    @blp.response(201, BankSchema)
    def post(self, body: dict[str, Any]) -> QuestionBank:
        """Create a question bank owned by the caller."""
        return banks.create_bank(author(), body)


@blp.route("/question-banks/<bank_id>")
class QuestionBanksById(MethodView):
    """One question bank."""

    @blp.response(200, BankSchema)
    def get(self, bank_id: str) -> QuestionBank:
        """Show a question bank (owner, admin)."""
        return banks.bank(bank_id)

    @roles_required("trainer", "admin")
    @blp.arguments(BankPatchSchema)
    @blp.response(200, BankSchema)
    def patch(self, body: dict[str, Any], bank_id: str) -> QuestionBank:
        """Rename or describe a question bank (owner, admin)."""
        return banks.update_bank(bank_id, body)

    @blp.response(204)
    def delete(self, bank_id: str) -> None:
        """Delete a question bank and its questions (owner, admin).

        Attempts keep their own copies of the questions, so grading is unaffected.
        """
        banks.delete_bank(bank_id)


@blp.route("/question-banks/<bank_id>/questions")
class BankQuestions(MethodView):
    """Questions of a bank."""

    @roles_required("trainer", "admin")
    @blp.arguments(QuestionQueryArgsSchema, location="query")
    @blp.response(200, page_schema(QuestionSchema))
    def get(self, args: dict[str, Any], bank_id: str) -> dict[str, Any]:
        """List a bank's questions with their answers (owner, admin)."""
        return banks.question_page(bank_id, args)

    @roles_required("trainer", "admin")
    @blp.arguments(QuestionInSchema)
    @blp.response(201, QuestionSchema)
    def post(self, body: dict[str, Any], bank_id: str) -> Question:
        """Add a question; 422 names the field that makes it invalid."""
        return banks.add_question(bank_id, body)


@blp.route("/questions/<question_id>")
class QuestionsById(MethodView):
    """One question of a bank."""

    @blp.response(200, QuestionSchema)
    def get(self, question_id: str) -> Question:
        """Show a question with its answer (owner, admin)."""
        return banks.question(question_id)

    @roles_required("trainer", "admin")
    @blp.arguments(QuestionInSchema)
    @blp.response(200, QuestionSchema)
    def put(self, body: dict[str, Any], question_id: str) -> Question:
        """Replace a question (attempts already started keep the old version)."""
        return banks.replace_question(question_id, body)

    @blp.response(204)
    def delete(self, question_id: str) -> None:
        """Delete a question from its bank (owner, admin)."""
        banks.delete_question(question_id)


@blp.route("/question-banks/<bank_id>/import")
class BankImport(MethodView):
    """Import questions from a file."""

    @roles_required("trainer", "admin")
    @blp.arguments(ImportArgsSchema, location="query")
    @blp.arguments(ImportFileSchema, location="files")
    @blp.response(200, ImportResultSchema)
    def post(self, args: dict[str, Any], files: dict[str, Any], bank_id: str) -> banks.ImportReport:
        """Import a Moodle GIFT or Aiken file; questions that cannot be read are listed by line."""
        fmt = args.get("format") or request.form.get("format")
        return banks.import_file(bank_id, files["file"], fmt)


@blp.route("/question-banks/<bank_id>/export")
class BankExport(MethodView):
    """Export a bank's questions."""

    @roles_required("trainer", "admin")
    @blp.arguments(ExportArgsSchema, location="query")
    @blp.response(200, content_type="text/plain")
    def get(self, args: dict[str, Any], bank_id: str) -> Response:
        """Download the bank as GIFT or Aiken (Aiken holds single-choice questions only)."""
        export = banks.export(bank_id, args["format"])
        response = Response(export.text, mimetype="text/plain")
        response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        response.headers["X-Skipped-Questions"] = str(export.skipped)
        return response

"""Question banks and their questions: ownership, storage, GIFT/Aiken import and export."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cakap_shared.auth import Principal
from cakap_shared.db import MAX_PER_PAGE, paginate
from cakap_shared.logs import audit
from cakap_shared.problems import CakapError, invalid
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from ..extensions import db
from ..models import Question, QuestionBank
from ..questions.aiken import parse_aiken, to_aiken
from ..questions.gift import parse_gift, to_gift
from . import questions
from .access import author, get_owned

MAX_IMPORT_BYTES = 1024 * 1024
FORMATS = ("gift", "aiken")


@dataclass
class ImportReport:
    """What an import created and the questions it could not read (by line)."""

    format: str
    created: int = 0
    question_ids: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Export:
    """A bank as a file, and how many questions the format could not hold."""

    text: str
    skipped: int
    filename: str


def bank(bank_id: str) -> QuestionBank:
    """A bank of the calling trainer (admins: any); 404 otherwise."""
    author()
    return get_owned(QuestionBank, bank_id, "question bank")


def question(question_id: str) -> Question:
    """A question of the calling trainer (admins: any); 404 otherwise."""
    author()
    return get_owned(Question, question_id, "question")


def bank_page(principal: Principal, args: dict[str, Any]) -> dict[str, Any]:
    """The caller's banks (admins: all, or one owner's), oldest first."""
    query = select(QuestionBank).order_by(QuestionBank.created_at, QuestionBank.id)
    if not principal.is_admin:
        query = query.where(QuestionBank.owner_id == principal.id)
    elif args.get("owner_id"):
        query = query.where(QuestionBank.owner_id == args["owner_id"])
    return paginate(db, query, args["page"], args["per_page"])


def create_bank(principal: Principal, fields: dict[str, Any]) -> QuestionBank:
    """A new bank owned by the caller."""
    created = QuestionBank(owner_id=principal.id, **fields)
    db.session.add(created)
    db.session.commit()
    return created


def update_bank(bank_id: str, changes: dict[str, Any]) -> QuestionBank:
    """Rename or describe a bank."""
    found = bank(bank_id)
    for key, value in changes.items():
        setattr(found, key, value)
    db.session.commit()
    return found


def delete_bank(bank_id: str) -> None:
    """Delete a bank and its questions; attempts keep their own copies, so grading holds."""
    db.session.delete(bank(bank_id))
    db.session.commit()
    audit("question_bank.deleted", bank_id=bank_id)


def question_page(bank_id: str, args: dict[str, Any]) -> dict[str, Any]:
    """A bank's questions in order, optionally of one level and carrying one tag."""
    found = bank(bank_id)
    query = select(Question).where(Question.bank_id == found.id)
    if args.get("level"):
        query = query.where(Question.level == args["level"])
    query = query.order_by(Question.position, Question.id)
    if not args.get("tag"):
        return paginate(db, query, args["page"], args["per_page"])
    # Tags live in a JSON list: filter in Python, then page by hand.
    rows = [q for q in db.session.scalars(query) if args["tag"] in (q.tags or [])]
    per_page = min(args["per_page"], MAX_PER_PAGE)
    start = (args["page"] - 1) * per_page
    return {
        "items": rows[start : start + per_page],
        "total": len(rows),
        "page": args["page"],
        "per_page": per_page,
    }


def _next_position(bank_id: str) -> int:
    highest = db.session.scalar(
        select(func.max(Question.position)).where(Question.bank_id == bank_id)
    )
    return (highest or 0) + 1


def add_question(bank_id: str, body: dict[str, Any]) -> Question:
    """Add a question at the end of the bank; 422 names the field that makes it invalid."""
    found = bank(bank_id)
    checked = questions.check(body)
    row = questions.new_question(checked, found.owner_id, found.id, _next_position(found.id))
    db.session.add(row)
    db.session.commit()
    return row


def replace_question(question_id: str, body: dict[str, Any]) -> Question:
    """Replace a question (attempts already started keep the old version)."""
    row = question(question_id)
    checked = questions.check(body)
    row.body, row.type = checked, checked["type"]
    row.tags, row.level = list(checked.get("tags") or []), checked.get("level")
    db.session.commit()
    return row


def delete_question(question_id: str) -> None:
    """Delete a question from its bank."""
    db.session.delete(question(question_id))
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


def _read_upload(upload: FileStorage) -> str:
    raw = upload.read(MAX_IMPORT_BYTES + 1)
    if len(raw) > MAX_IMPORT_BYTES:
        raise CakapError(413, "The file is larger than 1 MiB.")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise invalid("file", "must be UTF-8 text") from None


def import_file(bank_id: str, upload: FileStorage, fmt: str | None) -> ImportReport:
    """Import a GIFT or Aiken file (`fmt` None: guessed); unreadable questions by line."""
    found = bank(bank_id)
    text = _read_upload(upload)
    fmt = fmt or _guess_format(upload.filename or "", text)
    if fmt not in FORMATS:
        raise invalid("format", "must be gift or aiken")
    parsed = parse_gift(text) if fmt == "gift" else parse_aiken(text)
    report = ImportReport(
        fmt, errors=[{"line": e.line, "message": e.message} for e in parsed.errors]
    )
    position = _next_position(found.id)
    created = []
    for item in parsed.questions:
        problems = questions.validate_question(item)
        if problems:
            # The parsers validate already; this guards against a reader bug.
            message = "; ".join(f"{f} {m}" for f, m in problems)
            report.errors.append({"line": 0, "message": message})
            continue
        created.append(
            questions.new_question(questions.clean(item), found.owner_id, found.id, position)
        )
        position += 1
    db.session.add_all(created)
    db.session.commit()
    report.created, report.question_ids = len(created), [q.id for q in created]
    report.errors.sort(key=lambda e: e["line"])
    audit(
        "question_bank.imported",
        bank_id=found.id,
        created=report.created,
        errors=len(report.errors),
    )
    return report


def export(bank_id: str, fmt: str) -> Export:
    """The bank as GIFT or Aiken (Aiken holds single-choice questions only)."""
    found = bank(bank_id)
    bodies = [q.body for q in found.questions]
    if fmt == "gift":
        text, skipped = to_gift(bodies), 0
    else:
        aiken = to_aiken(bodies)
        text, skipped = aiken.text, len(aiken.skipped)
    ext = "gift" if fmt == "gift" else "aiken.txt"
    return Export(text, skipped, f"bank-{found.id}.{ext}")

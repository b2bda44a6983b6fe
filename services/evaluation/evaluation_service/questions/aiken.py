"""Read and write the Aiken format: single-choice questions in plain text.

    Question text (may span several lines)
    A. first choice        (or "A) first choice"; a space after the mark is required)
    B. second choice
    ANSWER: B

Blank lines are ignored; a question ends at its ANSWER line. A text line after
the choices starts a new question, so the unfinished one is reported.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass, field

from .gift import ParseError, ParseResult

_CHOICE = re.compile(r"^([A-Z])[.)]\s+(\S.*)$")
_ANSWER = re.compile(r"^ANSWER:\s*(.*)$", re.IGNORECASE)
_NO_SPACE = re.compile(r"^[A-Z][.)]\S")


@dataclass
class _Draft:
    line: int
    text: list[str] = field(default_factory=list)
    letters: list[str] = field(default_factory=list)
    choices: list[str] = field(default_factory=list)


def _finish(draft: _Draft, letter: str, line: int) -> dict:
    """Build the question closed by ``ANSWER: letter``; raise ValueError if wrong."""
    if len(draft.choices) < 2:
        hint = ""
        if any(_NO_SPACE.match(t) for t in draft.text):
            hint = " (a choice needs a space after 'A.' or 'A)')"
        raise ValueError(f"fewer than 2 choices{hint}")
    if letter.upper() not in draft.letters:
        raise ValueError(
            f"ANSWER {letter!r} on line {line} is not among the choices {', '.join(draft.letters)}"
        )
    return {
        "type": "single",
        "text": " ".join(draft.text),
        "choices": draft.choices,
        "answer": draft.letters.index(letter.upper()),
    }


def parse_aiken(text: str) -> ParseResult:
    """Read an Aiken file; every question that cannot be read becomes a ParseError."""
    result = ParseResult()
    draft: _Draft | None = None
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        choice, answer = _CHOICE.match(line), _ANSWER.match(line)
        if answer:
            if draft is None:
                result.errors.append(ParseError(number, "ANSWER line without a question"))
                continue
            try:
                result.questions.append(_finish(draft, answer.group(1), number))
            except ValueError as error:
                result.errors.append(ParseError(draft.line, str(error)))
            draft = None
        elif choice:
            if draft is None:
                result.errors.append(ParseError(number, "choice without a question before it"))
            elif choice.group(1) in draft.letters:
                result.errors.append(ParseError(number, f"choice {choice.group(1)} repeated"))
            else:
                draft.letters.append(choice.group(1))
                draft.choices.append(choice.group(2).strip())
        else:
            if draft is not None and draft.choices:
                result.errors.append(ParseError(draft.line, "missing ANSWER line"))
                draft = None
            if draft is None:
                draft = _Draft(number)
            draft.text.append(line)
    if draft is not None:
        result.errors.append(ParseError(draft.line, "missing ANSWER line"))
    return result


@dataclass
class AikenExport:
    """Aiken text, and (index, reason) for questions that Aiken cannot hold."""

    text: str
    skipped: list[tuple[int, str]]


def _one_line(text: str) -> str:
    # Aiken has no line breaks within a question or a choice.
    return " ".join(text.split())


def _problem(q: dict) -> str | None:
    if q.get("type") != "single":
        return f"type {q.get('type')!r} is not exportable to Aiken (single choice only)"
    if len(q["choices"]) > len(string.ascii_uppercase):
        return "more than 26 choices"
    looks_special = [_CHOICE.match(_one_line(q["text"])), _ANSWER.match(_one_line(q["text"]))]
    if any(looks_special):
        return "the question text would read as a choice or an ANSWER line"
    return None


def to_aiken(questions: Iterable[dict]) -> AikenExport:
    """Write single-choice questions as Aiken; others are listed in ``skipped``."""
    chunks, skipped = [], []
    for index, q in enumerate(questions):
        problem = _problem(q)
        if problem:
            skipped.append((index, problem))
            continue
        lines = [_one_line(q["text"])]
        letters = string.ascii_uppercase
        lines += [f"{letters[i]}. {_one_line(c)}" for i, c in enumerate(q["choices"])]
        lines.append(f"ANSWER: {letters[q['answer']]}")
        chunks.append("\n".join(lines))
    return AikenExport("\n\n".join(chunks) + "\n" if chunks else "", skipped)

"""Read and write Moodle GIFT (https://docs.moodle.org/en/GIFT_format).

Reading maps each GIFT question onto the canonical dicts of ``model``:

- ``{~a =b}`` with exactly one ``=``: single (``~%50%x`` gives that choice partial
  ``credit`` 0.5; negative weights on a single question mean 0 here).
- ``{~%50%a ~%50%b ~%-100%c}`` (no ``=``) or several ``=``: multiple; the correct
  choices are those with a positive weight. The weights themselves are dropped:
  grading uses the documented formula in ``grading``.
- ``{T}``/``{TRUE}``/``{F}``/``{FALSE}`` with ``#wrong#right`` feedback (Moodle's
  order: the first is shown for a wrong answer, the second for a right one).
- ``{=a =%50%b}`` or ``{a}``: short_answer; ``{#..}``: numeric; ``{}``: essay;
  no braces: description. Matching (``=a -> b``) is reported as unsupported.
- Text after the braces makes a missing-word question: the stem keeps both
  parts with ``_____`` where the braces were.
- ``// [tag:x]`` comments become tags, ``// [level:n]`` the level; ``$CATEGORY:``
  sets the category of the questions after it.

Text in the default (moodle/plain) format has its whitespace collapsed; html and
markdown keep their line breaks. ``\\n`` is a line break in every format.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .model import validate_question

BLANK = "_____"
_ESCAPES = {"~": "~", "=": "=", "#": "#", "{": "{", "}": "}", ":": ":", "\\": "\\", "n": "\n"}
_FORMAT = re.compile(r"\[(html|moodle|plain|markdown)\]")
_WEIGHT = re.compile(r"%(-?\d+(?:\.\d+)?)%")
_TF_WORDS = {"T": True, "TRUE": True, "F": False, "FALSE": False}
_COMMENT_TAG = re.compile(r"\[tag:([^\]]+)\]")
_COMMENT_LEVEL = re.compile(r"\[level:([1-5])\]")


@dataclass(frozen=True)
class ParseError:
    """A question that could not be read: 1-based line where it starts, and why."""

    line: int
    message: str


@dataclass
class ParseResult:
    """What a GIFT file yielded: questions, per-question errors, category names."""

    questions: list[dict] = field(default_factory=list)
    errors: list[ParseError] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)


class GiftError(ValueError):
    """Raised inside the reader for one question; becomes a ParseError."""


# --- low-level text helpers ------------------------------------------------


def _find(s: str, target: str, start: int = 0) -> int:
    """Index of the first ``target`` at or after ``start`` not escaped by ``\\``."""
    i = start
    while i < len(s):
        if s[i] == "\\":
            i += 2
            continue
        if s.startswith(target, i):
            return i
        i += 1
    return -1


def _split_markers(s: str) -> tuple[str, list[tuple[str, str]]]:
    """Split an answer block at unescaped ``=``/``~``: (text before, [(marker, raw)])."""
    parts: list[tuple[str, str]] = []
    lead_end, i, start, marker = None, 0, 0, ""
    while i < len(s):
        if s[i] == "\\":
            i += 2
            continue
        if s[i] in "=~":
            if lead_end is None:
                lead_end = i
            else:
                parts.append((marker, s[start:i]))
            marker, start = s[i], i + 1
        i += 1
    if lead_end is None:
        return s, []
    parts.append((marker, s[start:]))
    return s[:lead_end], parts


def _unescape(s: str) -> str:
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s) and s[i + 1] in _ESCAPES:
            out.append(_ESCAPES[s[i + 1]])
            i += 2
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def _clean(raw: str, fmt: str | None) -> str:
    """Unescape and trim; collapse whitespace unless the format keeps line breaks."""
    if fmt not in ("html", "markdown"):
        raw = " ".join(raw.split())
    return _unescape(raw).strip()


def _take_format(s: str) -> tuple[str | None, str]:
    """Strip a leading ``[html]``-style marker: (format name or None, rest)."""
    stripped = s.lstrip()
    match = _FORMAT.match(stripped)
    if not match:
        return None, s
    return match.group(1), stripped[match.end() :]


def _text(raw: str, default_fmt: str | None) -> str:
    """Clean text that may start with its own format marker (answers, feedback)."""
    fmt, rest = _take_format(raw)
    return _clean(rest, fmt or default_fmt)


def _number(raw: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise GiftError(f"numeric answer {raw.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise GiftError(f"numeric answer {raw.strip()!r} is not a finite number")
    return value


# --- answers ---------------------------------------------------------------


@dataclass
class _Answer:
    marker: str
    weight: float | None
    text: str
    feedback: str | None


def _answer(marker: str, raw: str, fmt: str | None, *, numeric: bool = False) -> _Answer:
    """Read one ``=%w%text#feedback`` entry; numeric text is kept raw."""
    s = raw.lstrip()
    weight = None
    match = _WEIGHT.match(s)
    if match:
        weight = float(match.group(1))
        if not -100 <= weight <= 100:
            raise GiftError(f"weight {match.group(0)} is outside -100%..100%")
        s = s[match.end() :]
    elif s.startswith("%"):
        raise GiftError(f"malformed weight in answer {raw.strip()!r} (expected %50%)")
    hash_at = _find(s, "#")
    text_raw, fb_raw = (s[:hash_at], s[hash_at + 1 :]) if hash_at >= 0 else (s, None)
    text = text_raw.strip() if numeric else _text(text_raw, fmt)
    feedback = _text(fb_raw, fmt) if fb_raw is not None else None
    return _Answer(marker, weight, text, feedback or None)


def _feedback_list(answers: list[_Answer]) -> list[str | None] | None:
    feedback = [a.feedback for a in answers]
    return feedback if any(feedback) else None


def _choice_question(lead: str, parts: list[tuple[str, str]], fmt: str | None) -> dict:
    if lead.strip():
        raise GiftError(f"text {lead.strip()!r} before the first ~ or = answer")
    answers = [_answer(m, raw, fmt) for m, raw in parts]
    if len(answers) < 2:
        raise GiftError("a multiple-choice question needs at least 2 choices")
    for number, a in enumerate(answers, 1):
        if not a.text:
            raise GiftError(f"choice {number} is empty")
    effective = [
        a.weight if a.weight is not None else (100.0 if a.marker == "=" else 0.0) for a in answers
    ]
    q: dict = {"choices": [a.text for a in answers]}
    equals = [i for i, a in enumerate(answers) if a.marker == "="]
    if len(equals) == 1:
        answer = equals[0]
        if effective[answer] != 100:
            raise GiftError("the correct answer (=) must be worth 100%")
        q.update(type="single", answer=answer)
        credit = [1.0 if i == answer else max(0.0, w) / 100 for i, w in enumerate(effective)]
        if any(c for i, c in enumerate(credit) if i != answer):
            q["credit"] = credit
    else:
        correct = [i for i, w in enumerate(effective) if w > 0]
        if not correct:
            raise GiftError("no correct answer: mark one with = or give it a positive %weight%")
        q.update(type="multiple", answer=correct)
    feedback = _feedback_list(answers)
    if feedback:
        q["choice_feedback"] = feedback
    return q


def _short_answer(lead: str, parts: list[tuple[str, str]], fmt: str | None) -> dict:
    if lead.strip():
        # Moodle accepts a single answer without '=': {One}.
        if parts:
            raise GiftError(f"text {lead.strip()!r} before the first = answer")
        parts = [("=", lead)]
    answers = [_answer(m, raw, fmt) for m, raw in parts]
    if any(not a.text for a in answers):
        raise GiftError("a short answer is empty")
    credit = [max(0.0, a.weight if a.weight is not None else 100.0) / 100 for a in answers]
    if 1.0 not in credit:
        raise GiftError("no short answer is worth 100%")
    q: dict = {"type": "short_answer", "answers": [a.text for a in answers]}
    feedback = _feedback_list(answers)
    if feedback:
        q["answer_feedback"] = feedback
    if any(c != 1.0 for c in credit):
        q["credit"] = credit
    return q


def _numeric_spec(raw: str) -> tuple[float, float]:
    """``v``, ``v:tolerance`` or ``low..high`` as (value, tolerance)."""
    if ".." in raw:
        low_raw, high_raw = raw.split("..", 1)
        low, high = _number(low_raw), _number(high_raw)
        if low > high:
            raise GiftError(f"numeric range {raw.strip()!r} has low above high")
        return (low + high) / 2, (high - low) / 2
    if ":" in raw:
        value_raw, tol_raw = raw.split(":", 1)
        value, tolerance = _number(value_raw), _number(tol_raw)
        if tolerance < 0:
            raise GiftError(f"numeric tolerance in {raw.strip()!r} is negative")
        return value, tolerance
    if not raw.strip():
        raise GiftError("numeric answer is empty")
    return _number(raw), 0.0


def _numeric(body: str, fmt: str | None) -> dict:
    lead, parts = _split_markers(body)
    entries: list[_Answer] = []
    if lead.strip():
        if any(m == "=" for m, _ in parts):
            raise GiftError("numeric answer mixes a bare value with = answers")
        entries.append(_answer("=", lead, fmt, numeric=True))
    # '~' entries in a numeric block only carry feedback for any wrong value.
    entries += [_answer(m, raw, fmt, numeric=True) for m, raw in parts if m == "="]
    if not entries:
        raise GiftError("numeric question has no answer")
    answers = []
    for entry in entries:
        value, tolerance = _numeric_spec(entry.text)
        item: dict = {"value": value, "tolerance": tolerance}
        credit = max(0.0, entry.weight if entry.weight is not None else 100.0) / 100
        if credit != 1.0:
            item["credit"] = credit
        if entry.feedback:
            item["feedback"] = entry.feedback
        answers.append(item)
    if not any("credit" not in a for a in answers):
        raise GiftError("no numeric answer is worth 100%")
    if len(answers) == 1 and len(answers[0]) == 2:
        return {
            "type": "numeric",
            "answer": answers[0]["value"],
            "tolerance": answers[0]["tolerance"],
        }
    return {"type": "numeric", "answers": answers}


def _true_false(body: str, fmt: str | None) -> dict | None:
    """The true/false question in ``body``, or None when it is not one."""
    pieces: list[str] = []
    rest = body
    while len(pieces) < 2 and (at := _find(rest, "#")) >= 0:
        pieces.append(rest[:at])
        rest = rest[at + 1 :]
    pieces.append(rest)
    word = pieces[0].strip()
    if word not in _TF_WORDS:
        return None
    answer = _TF_WORDS[word]
    wrong = _text(pieces[1], fmt) if len(pieces) > 1 else ""
    right = _text(pieces[2], fmt) if len(pieces) > 2 else ""
    q: dict = {"type": "true_false", "answer": answer}
    by_response = {answer: right, not answer: wrong}
    if by_response[True]:
        q["feedback_true"] = by_response[True]
    if by_response[False]:
        q["feedback_false"] = by_response[False]
    return q


def _answer_block(block: str, fmt: str | None) -> dict:
    """Classify and read the text between the braces (type-specific keys)."""
    body, general = block, None
    at = _find(block, "####")
    if at >= 0:
        body, general = block[:at], _text(block[at + 4 :], fmt) or None
    stripped = body.strip()
    if not stripped:
        q: dict = {"type": "essay"}
    elif stripped.startswith("#"):
        q = _numeric(stripped[1:], fmt)
    else:
        lead, parts = _split_markers(stripped)
        if any(m == "~" for m, _ in parts):
            q = _choice_question(lead, parts, fmt)
        elif parts and "->" in stripped:
            raise GiftError("matching questions are not supported")
        else:
            q = _true_false(stripped, fmt) or _short_answer(lead, parts, fmt)
    if general:
        q["feedback"] = general
    return q


# --- questions and files ---------------------------------------------------


def _question(raw: str) -> dict:
    """Read one question's text (comments already removed)."""
    rest, title = raw.strip(), None
    if rest.startswith("::"):
        end = _find(rest, "::", 2)
        if end < 0:
            raise GiftError("the title is not closed with '::'")
        title, rest = _clean(rest[2:end], None), rest[end + 2 :]
    fmt, rest = _take_format(rest)
    opening = _find(rest, "{")
    if opening < 0:
        if _find(rest, "}") >= 0:
            raise GiftError("'}' without an opening '{' (escape it as \\})")
        q: dict = {"type": "description", "text": _clean(rest, fmt)}
    else:
        closing = _find(rest, "}", opening + 1)
        if closing < 0:
            raise GiftError("the answer block '{' is not closed with '}'")
        block = rest[opening + 1 : closing]
        if _find(block, "{") >= 0:
            raise GiftError("'{' inside the answer block (escape it as \\{)")
        after = rest[closing + 1 :]
        if _find(after, "{") >= 0:
            raise GiftError("more than one answer block {...} in one question")
        before_text, after_text = _clean(rest[:opening], fmt), _clean(after, fmt)
        text = f"{before_text} {BLANK} {after_text}".strip() if after_text else before_text
        q = {"type": "", "text": text}
        q.update(_answer_block(block, fmt))
    if not q["text"]:
        raise GiftError("the question has no text")
    if title:
        q["title"] = title
    if fmt in ("html", "markdown", "plain"):
        q["format"] = fmt
    return q


def _blocks(text: str) -> Iterable[list[tuple[int, str]]]:
    """Yield runs of numbered non-blank lines; blank lines separate questions."""
    block: list[tuple[int, str]] = []
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        if line.strip():
            block.append((number, line))
        elif block:
            yield block
            block = []
    if block:
        yield block


def parse_gift(text: str) -> ParseResult:
    """Read every question of a GIFT file; bad questions become ParseErrors."""
    result = ParseResult()
    category: str | None = None
    for block in _blocks(text):
        comments = [line for _, line in block if line.lstrip().startswith("//")]
        lines = [(n, line) for n, line in block if not line.lstrip().startswith("//")]
        if lines and lines[0][1].lstrip().startswith("$CATEGORY:"):
            category = lines[0][1].split(":", 1)[1].strip()
            result.categories.append(category)
            lines = lines[1:]
        if not lines:
            continue
        try:
            question = _question("\n".join(line for _, line in lines))
        except GiftError as error:
            result.errors.append(ParseError(lines[0][0], str(error)))
            continue
        tags = [t.strip() for c in comments for t in _COMMENT_TAG.findall(c)]
        if tags:
            question["tags"] = tags
        levels = [int(m) for c in comments for m in _COMMENT_LEVEL.findall(c)]
        if levels:
            question["level"] = levels[-1]
        if category is not None:
            question["category"] = category
        result.questions.append(question)
    return result


# --- export ----------------------------------------------------------------


def _esc(text: str) -> str:
    """Escape GIFT control characters; line breaks become ``\\n``."""
    out = "".join("\\" + c if c in "~=#{}:\\" else c for c in text)
    return out.replace("\r\n", "\n").replace("\n", "\\n")


def _num(value: float) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _percent(fraction: float) -> str:
    return f"%{fraction * 100:.10g}%"


def _fb(feedback: str | None) -> str:
    return f"#{_esc(feedback)}" if feedback else ""


def _block_choices(q: dict) -> str:
    feedback = q.get("choice_feedback") or [None] * len(q["choices"])
    lines = []
    if q["type"] == "single":
        credit = q.get("credit") or [0.0] * len(q["choices"])
        for i, choice in enumerate(q["choices"]):
            weight = _percent(credit[i]) if credit[i] > 0 else ""
            mark = "=" if i == q["answer"] else f"~{weight}"
            lines.append(f"{mark}{_esc(choice)}{_fb(feedback[i])}")
    else:
        # Moodle weights equivalent to our formula: each right pick +1/n, each wrong -1/n.
        share = 1 / len(q["answer"])
        for i, choice in enumerate(q["choices"]):
            fraction = share if i in q["answer"] else -share
            lines.append(f"~{_percent(fraction)}{_esc(choice)}{_fb(feedback[i])}")
    return "\n".join(lines)


def _block(q: dict) -> str:
    qtype = q["type"]
    if qtype in ("single", "multiple"):
        return _block_choices(q)
    if qtype == "true_false":
        answer = q["answer"]
        word = "TRUE" if answer else "FALSE"
        right = q.get("feedback_true" if answer else "feedback_false")
        wrong = q.get("feedback_false" if answer else "feedback_true")
        if not (right or wrong):
            return word
        return f"{word}#{_esc(wrong or '')}#{_esc(right or '')}"
    if qtype == "short_answer":
        feedback = q.get("answer_feedback") or [None] * len(q["answers"])
        credit = q.get("credit") or [1.0] * len(q["answers"])
        return "\n".join(
            "=" + (_percent(c) if c != 1 else "") + _esc(a) + _fb(f)
            for a, c, f in zip(q["answers"], credit, feedback, strict=True)
        )
    if qtype == "numeric":
        if "answers" not in q:
            tolerance = q.get("tolerance", 0)
            return "#" + _num(q["answer"]) + (f":{_num(tolerance)}" if tolerance else "")
        entries = [
            "="
            + (_percent(a["credit"]) if a.get("credit", 1) != 1 else "")
            + f"{_num(a['value'])}:{_num(a.get('tolerance', 0))}"
            + _fb(a.get("feedback"))
            for a in q["answers"]
        ]
        return "#\n" + "\n".join(entries)
    return ""  # essay


def _general(q: dict) -> str:
    return f"####{_esc(q['feedback'])}" if q.get("feedback") else ""


def _export_one(q: dict) -> str:
    lines = [f"// [tag:{tag}]" for tag in q.get("tags", [])]
    if q.get("level") is not None:
        lines.append(f"// [level:{q['level']}]")
    head = f"::{_esc(q['title'])}::" if q.get("title") else ""
    if q.get("format"):
        head += f"[{q['format']}]"
    head += _esc(q["text"])
    if q["type"] == "description":
        lines.append(head)
        return "\n".join(lines)
    # Never emit an empty line inside the braces: blank lines end a question.
    block = "\n".join(part for part in (_block(q), _general(q)) if part)
    lines.append(f"{head}{{\n{block}\n}}" if block else f"{head}{{}}")
    return "\n".join(lines)


def to_gift(questions: Iterable[dict]) -> str:
    """Write questions as GIFT; raises ValueError naming the first invalid one."""
    chunks, category = [], None
    for number, q in enumerate(questions, 1):
        errors = validate_question(q)
        if errors:
            field_name, message = errors[0]
            raise ValueError(f"question {number}: {field_name} {message}")
        if q.get("category") and q["category"] != category:
            category = q["category"]
            chunks.append(f"$CATEGORY: {category}")
        chunks.append(_export_one(q))
    return "\n\n".join(chunks) + "\n" if chunks else ""

"""One question form for every type the API has: form fields <-> the API's question shape.

Choices and accepted answers are written one per line; the correct choice(s) by number
(1 = the first line), so a trainer never types an index from 0.
"""

from __future__ import annotations

from typing import Any

TYPES = ("single", "multiple", "true_false", "short_answer", "numeric", "essay", "description")


def _lines(raw: str | None) -> list[str]:
    return [line.strip() for line in (raw or "").splitlines() if line.strip()]


def _numbers(raw: str | None) -> list[int]:
    picked = []
    for part in (raw or "").replace(";", ",").split(","):
        part = part.strip()
        if part.isdigit():
            picked.append(int(part) - 1)
    return picked


def _number(raw: str | None) -> float | str:
    text = (raw or "").strip().replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return text  # the API names the field when it is not a number


def question_from_form(form: Any) -> dict[str, Any]:
    """The API's question from the submitted fields (the API validates it)."""
    qtype = form.get("type") if form.get("type") in TYPES else "single"
    question: dict[str, Any] = {"type": qtype, "text": (form.get("text") or "").strip()}
    tags = [t.strip() for t in (form.get("tags") or "").split(",") if t.strip()]
    question["tags"] = tags
    if (form.get("feedback") or "").strip():
        question["feedback"] = form.get("feedback").strip()
    if qtype in ("single", "multiple"):
        question["choices"] = _lines(form.get("choices"))
        picked = _numbers(form.get("answer"))
        if qtype == "single":
            question["answer"] = picked[0] if picked else None
        else:
            question["answer"] = picked
    elif qtype == "true_false":
        question["answer"] = form.get("truth") == "true"
    elif qtype == "short_answer":
        question["answers"] = _lines(form.get("answers"))
    elif qtype == "numeric":
        question["answer"] = _number(form.get("number"))
        question["tolerance"] = _number(form.get("tolerance") or "0")
    return question


def form_from_question(question: dict[str, Any]) -> dict[str, str]:
    """The fields that show a stored question for editing."""
    qtype = str(question.get("type") or "single")
    fields = {
        "type": qtype,
        "text": str(question.get("text") or ""),
        "tags": ", ".join(str(t) for t in question.get("tags") or []),
        "feedback": str(question.get("feedback") or ""),
        "choices": "\n".join(str(c) for c in question.get("choices") or []),
        "answer": "",
        "truth": "true",
        "answers": "",
        "number": "",
        "tolerance": "0",
    }
    answer = question.get("answer")
    if qtype == "single" and isinstance(answer, int):
        fields["answer"] = str(answer + 1)
    elif qtype == "multiple" and isinstance(answer, list):
        fields["answer"] = ", ".join(str(a + 1) for a in answer if isinstance(a, int))
    elif qtype == "true_false":
        fields["truth"] = "true" if answer else "false"
    elif qtype == "short_answer":
        fields["answers"] = "\n".join(str(a) for a in question.get("answers") or [])
    elif qtype == "numeric":
        if isinstance(answer, int | float):
            fields["number"] = f"{answer:g}"
            fields["tolerance"] = f"{question.get('tolerance') or 0:g}"
        elif question.get("answers"):
            first = question["answers"][0]
            fields["number"] = f"{first.get('value', '')}"
            fields["tolerance"] = f"{first.get('tolerance', 0)}"
    return fields


def answer_text(question: dict[str, Any]) -> str:
    """The key of a question in a few words, for the bank's list."""
    qtype = question.get("type")
    answer = question.get("answer")
    choices = question.get("choices") or []
    if qtype == "single" and isinstance(answer, int) and 0 <= answer < len(choices):
        return str(choices[answer])
    if qtype == "multiple" and isinstance(answer, list):
        return "; ".join(str(choices[a]) for a in answer if isinstance(a, int) and a < len(choices))
    if qtype == "true_false":
        return "Benar" if answer else "Salah"
    if qtype == "short_answer":
        return " / ".join(str(a) for a in question.get("answers") or [])
    if qtype == "numeric":
        if isinstance(answer, int | float):
            return f"{answer:g} ± {question.get('tolerance') or 0:g}"
        return " / ".join(f"{a.get('value')}" for a in question.get("answers") or [])
    return ""

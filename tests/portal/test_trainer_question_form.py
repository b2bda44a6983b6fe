"""The trainer's question form: every API question type to form fields and back."""

from __future__ import annotations

import pytest
from portal_service.trainer.question_form import (
    answer_text,
    form_from_question,
    question_from_form,
)
from werkzeug.datastructures import MultiDict

QUESTIONS = [
    {"type": "single", "text": "Ibu kota?", "choices": ["Palembang", "Jambi"], "answer": 0},
    {
        "type": "multiple",
        "text": "Sungai?",
        "choices": ["Musi", "Ogan", "Citarum"],
        "answer": [0, 1],
    },
    {"type": "true_false", "text": "Ampera di atas Musi.", "answer": False},
    {"type": "short_answer", "text": "Kota pempek?", "answers": ["Palembang", "plg*"]},
    {"type": "numeric", "text": "2 + 2?", "answer": 4.0, "tolerance": 0.5},
    {"type": "essay", "text": "Jelaskan."},
    {"type": "description", "text": "Bacaan berikut."},
]


@pytest.mark.parametrize("question", QUESTIONS, ids=[q["type"] for q in QUESTIONS])
def test_every_type_survives_the_form(question):
    stored = {**question, "tags": ["M-KOM", "T-1"], "feedback": "Lihat modul 2."}
    fields = form_from_question(stored)
    assert question_from_form(MultiDict(fields)) == stored


def test_choices_are_numbered_from_one_and_blank_lines_dropped():
    form = MultiDict(
        {
            "type": "multiple",
            "text": " Pilih ",
            "choices": "a\n\n b \nc",
            "answer": "1; 3",
            "tags": "",
        }
    )
    assert question_from_form(form) == {
        "type": "multiple",
        "text": "Pilih",
        "choices": ["a", "b", "c"],
        "answer": [0, 2],
        "tags": [],
    }


def test_an_unknown_type_becomes_single_and_a_bad_number_is_left_for_the_api():
    assert question_from_form(MultiDict({"type": "<script>", "text": "x"}))["type"] == "single"
    numeric = question_from_form(MultiDict({"type": "numeric", "text": "x", "number": "empat"}))
    assert numeric["answer"] == "empat"  # the API answers 422 naming `answer`


def test_answer_text_shows_the_key():
    assert answer_text(QUESTIONS[0]) == "Palembang"
    assert answer_text(QUESTIONS[1]) == "Musi; Ogan"
    assert answer_text(QUESTIONS[2]) == "Salah"
    assert answer_text(QUESTIONS[4]) == "4 ± 0.5"

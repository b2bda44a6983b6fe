"""Question validation and grading: per type, malformed input, whole attempts."""

import pytest
from evaluation_service.questions.grading import (
    Grade,
    grade,
    grade_attempt,
    normalise,
    validate_response,
)
from evaluation_service.questions.model import validate_question

SINGLE = {
    "type": "single",
    "text": "Nilai dasar ASN?",
    "choices": ["BerAKHLAK", "AKHLAK", "ANEKA"],
    "answer": 0,
    "credit": [1.0, 0.5, 0.0],
}
MULTIPLE = {"type": "multiple", "text": "Pilih.", "choices": ["a", "b", "c", "d"], "answer": [0, 1]}
TF = {"type": "true_false", "text": "ASN wajib netral.", "answer": True}
SHORT = {
    "type": "short_answer",
    "text": "Lembaga pembina analis kebijakan?",
    "answers": ["Lembaga Administrasi Negara", "LAN", "Lembaga*"],
    "credit": [1.0, 1.0, 0.25],
}
NUMERIC = {"type": "numeric", "text": "JP minimal?", "answer": 20, "tolerance": 0}
NUMERIC_MANY = {
    "type": "numeric",
    "text": "Tahun proklamasi?",
    "answers": [{"value": 1945, "tolerance": 0}, {"value": 1945, "tolerance": 2, "credit": 0.5}],
}
ESSAY = {"type": "essay", "text": "Jelaskan."}
DESCRIPTION = {"type": "description", "text": "Bagian dua."}


@pytest.mark.parametrize(
    "question", [SINGLE, MULTIPLE, TF, SHORT, NUMERIC, NUMERIC_MANY, ESSAY, DESCRIPTION]
)
def test_examples_are_valid(question: dict) -> None:
    assert validate_question(question) == []


@pytest.mark.parametrize(
    ("question", "errors"),
    [
        ("x", [("question", "must be an object")]),
        (
            {"type": "cloze", "text": "x"},
            [
                (
                    "type",
                    "must be one of single, multiple, "
                    "true_false, short_answer, numeric, essay, description",
                )
            ],
        ),
        ({"type": "essay", "text": " "}, [("text", "is required")]),
        ({**SINGLE, "answer": 3}, [("answer", "index 3 is out of range 0..2")]),
        ({**SINGLE, "answer": True}, [("answer", "must be the index of the correct choice")]),
        ({**SINGLE, "answer": None}, [("answer", "must be the index of the correct choice")]),
        ({**SINGLE, "choices": ["a"], "credit": None}, [("choices", "needs at least 2 choices")]),
        ({**SINGLE, "credit": [0.5, 0.5, 0.0]}, [("credit", "the answer's credit must be 1")]),
        ({**SINGLE, "credit": [1, 2, 0]}, [("credit", "entries must be numbers between 0 and 1")]),
        (
            {**SINGLE, "choice_feedback": ["a"]},
            [("choice_feedback", "must be a list of 3 entries, one per choice")],
        ),
        ({**MULTIPLE, "answer": []}, [("answer", "needs at least one correct choice")]),
        ({**MULTIPLE, "answer": [1, 1]}, [("answer", "indexes must be unique")]),
        ({**MULTIPLE, "answer": [0, 4]}, [("answer", "indexes must be in range 0..3")]),
        ({**TF, "answer": "true"}, [("answer", "must be true or false")]),
        ({**SHORT, "answers": []}, [("answers", "needs at least one non-empty accepted answer")]),
        (
            {**SHORT, "credit": [0.5, 0.5, 0.5]},
            [("credit", "at least one answer must have credit 1")],
        ),
        ({**NUMERIC, "answer": "20"}, [("answer", "must be a number")]),
        ({**NUMERIC, "tolerance": -1}, [("tolerance", "must be a number >= 0")]),
        (
            {**NUMERIC_MANY, "answers": [{"value": 1, "credit": 0.5}]},
            [("answers", "at least one answer must have credit 1")],
        ),
        ({**ESSAY, "level": 6}, [("level", "must be an integer from 1 to 5")]),
        ({**ESSAY, "tags": ["K1", 2]}, [("tags", "must be a list of non-empty strings")]),
        ({**ESSAY, "format": "rtf"}, [("format", "must be one of html, markdown, plain")]),
    ],
)
def test_invalid_questions_name_the_field(question, errors) -> None:
    assert validate_question(question) == errors


@pytest.mark.parametrize(
    ("question", "response", "expected"),
    [
        (SINGLE, 0, Grade(1.0, True)),
        (SINGLE, 1, Grade(0.5, False)),
        (SINGLE, 2, Grade(0.0, False)),
        ({**SINGLE, "credit": None}, 1, Grade(0.0, False)),
        (MULTIPLE, [0, 1], Grade(1.0, True)),
        (MULTIPLE, [1, 0], Grade(1.0, True)),
        (MULTIPLE, [0], Grade(0.5, False)),
        (MULTIPLE, [0, 2], Grade(0.0, False)),
        (MULTIPLE, [0, 1, 2], Grade(0.5, False)),
        (MULTIPLE, [0, 1, 2, 3], Grade(0.0, False)),
        (MULTIPLE, [], Grade(0.0, False)),
        (TF, True, Grade(1.0, True)),
        (TF, False, Grade(0.0, False)),
        (SHORT, "  lembaga   ADMINISTRASI negara ", Grade(1.0, True)),
        (SHORT, "lan", Grade(1.0, True)),
        (SHORT, "Lembaga Kepegawaian", Grade(0.25, False)),
        (SHORT, "BKN", Grade(0.0, False)),
        (NUMERIC, 20, Grade(1.0, True)),
        (NUMERIC, 20.0, Grade(1.0, True)),
        (NUMERIC, 21, Grade(0.0, False)),
        ({**NUMERIC, "answer": 0.3}, 0.1 + 0.2, Grade(1.0, True)),
        (NUMERIC_MANY, 1945, Grade(1.0, True)),
        (NUMERIC_MANY, 1947, Grade(0.5, False)),
        (NUMERIC_MANY, 1948, Grade(0.0, False)),
        (ESSAY, "Jawaban panjang", Grade(0.0, None, pending=True)),
        (DESCRIPTION, None, Grade(0.0, None)),
    ],
)
def test_grade(question: dict, response, expected: Grade) -> None:
    assert grade(question, response) == expected


@pytest.mark.parametrize(
    ("question", "response", "message"),
    [
        (SINGLE, 3, "index 3 is out of range 0..2"),
        (SINGLE, -1, "index -1 is out of range 0..2"),
        (SINGLE, "0", "must be the index of a choice"),
        (SINGLE, True, "must be the index of a choice"),
        (MULTIPLE, 0, "must be a list of choice indexes"),
        (MULTIPLE, [0, 0], "indexes must be unique"),
        (MULTIPLE, [9], "indexes must be in range 0..3"),
        (TF, 1, "must be true or false"),
        (SHORT, 5, "must be a string"),
        (NUMERIC, "20", "must be a number"),
        (NUMERIC, float("nan"), "must be a number"),
        (ESSAY, ["x"], "must be a string"),
        (DESCRIPTION, "x", "a description takes no answer"),
    ],
)
def test_malformed_responses_score_zero_and_are_reported(question, response, message) -> None:
    assert validate_response(question, response) == [("response", message)]
    result = grade(question, response)
    assert result.score == 0.0
    if question["type"] not in ("essay", "description"):
        assert result == Grade(0.0, False)


def test_unanswered_is_valid_and_scores_zero() -> None:
    assert validate_response(SINGLE, None) == []
    assert grade(SINGLE, None) == Grade(0.0, False)


def test_normalise_folds_case_accents_and_spaces() -> None:
    assert normalise("  Café\tKOPI  tubruk ") == "cafe kopi tubruk"
    assert normalise("Straße") == "strasse"


def test_wildcard_and_literal_star() -> None:
    question = {"type": "short_answer", "text": "x", "answers": ["a\\*b"]}
    assert grade(question, "a*b").correct is True
    assert grade(question, "axxb").correct is False


def test_grade_attempt_weights_and_unanswered() -> None:
    questions = [SINGLE, MULTIPLE, TF, DESCRIPTION]
    assert grade_attempt(questions, [0, [0], False]) == pytest.approx(50.0)
    assert grade_attempt(questions, {0: 0, 2: True}) == pytest.approx(200 / 3)
    assert grade_attempt(questions, [1, [0, 1], True, None], weights=[2, 1, 1, 5]) == (
        pytest.approx(100 * (2 * 0.5 + 1 + 1) / 4)
    )


def test_grade_attempt_essays_wait_for_the_trainer() -> None:
    questions = [TF, ESSAY]
    assert grade_attempt(questions, [True, "esai"]) == pytest.approx(50.0)
    assert grade_attempt(questions, [True, "esai"], manual_scores={1: 0.8}) == pytest.approx(90.0)


def test_grade_attempt_edge_cases() -> None:
    assert grade_attempt([], []) == 0.0
    assert grade_attempt([DESCRIPTION], [None]) == 0.0
    with pytest.raises(ValueError, match="one entry per question"):
        grade_attempt([TF], [True], weights=[1, 2])
    with pytest.raises(ValueError, match="negative"):
        grade_attempt([TF], [True], weights=[-1])
    # A malformed response never crashes an attempt.
    assert grade_attempt([SINGLE, TF], ["bukan indeks", True]) == pytest.approx(50.0)

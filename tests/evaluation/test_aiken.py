"""Aiken reader and writer: Moodle's fixtures, broken input and our own sample."""

from pathlib import Path

from evaluation_service.questions.aiken import parse_aiken, to_aiken
from evaluation_service.questions.gift import ParseError

DATA = Path(__file__).parent / "data"


def test_moodle_aiken_questions(shared_fixtures: Path) -> None:
    path = shared_fixtures / "quiz_moodle_question_format_fixtures/aiken/questions.aiken.txt"
    result = parse_aiken(path.read_text(encoding="utf-8"))
    assert result.errors == []
    assert result.questions == [
        {
            "type": "single",
            "text": "The Moodle project was started by:",
            "choices": ["Petr Skoda", "Martin Dougiamas", "Eloy Lafuente", "Tim Hunt"],
            "answer": 1,
        },
        {
            "type": "single",
            # HTML-looking text is kept verbatim: escaping is the renderer's job.
            "text": "Moodle's abilities include handling user input that includes "
            '<html class="cool"> & images:',
            "choices": ["True", "False"],
            "answer": 0,
        },
    ]


def test_moodle_aiken_errors(shared_fixtures: Path) -> None:
    path = shared_fixtures / "quiz_moodle_question_format_fixtures_current/aiken/aiken_errors.txt"
    result = parse_aiken(path.read_text(encoding="utf-8"))
    assert result.questions == [
        {
            "type": "single",
            "text": "A good question",
            "choices": ["Correct", "Incorrect"],
            "answer": 0,
        }
    ]
    assert result.errors == [
        ParseError(1, "fewer than 2 choices"),
        ParseError(5, "choice without a question before it"),
        ParseError(7, "ANSWER line without a question"),
        ParseError(14, "missing ANSWER line"),
        ParseError(18, "fewer than 2 choices (a choice needs a space after 'A.' or 'A)')"),
    ]


def test_own_indonesian_sample() -> None:
    result = parse_aiken((DATA / "kuis_pelatihan.aiken.txt").read_text(encoding="utf-8"))
    first, second = result.questions
    assert first["choices"][first["answer"]] == "Lembaga Administrasi Negara"
    assert len(first["choices"]) == 4
    # A stem over two lines is joined; "A)" works like "A.".
    assert second == {
        "type": "single",
        "text": "Masa percobaan CPNS paling lama berapa tahun?",
        "choices": ["1 tahun", "2 tahun"],
        "answer": 0,
    }
    assert result.errors == [
        ParseError(14, "missing ANSWER line"),
        ParseError(18, "ANSWER 'C' on line 21 is not among the choices A, B"),
    ]


def test_unterminated_question_at_end_of_file() -> None:
    result = parse_aiken("Soal?\nA. ya\nB. tidak\n")
    assert result.questions == []
    assert result.errors == [ParseError(1, "missing ANSWER line")]


def test_repeated_letter_and_lowercase_answer() -> None:
    result = parse_aiken("Soal?\nA. ya\nA. lagi\nB. tidak\nanswer: b\n")
    assert result.errors == [ParseError(3, "choice A repeated")]
    assert result.questions[0]["answer"] == 1


def test_export_round_trip_and_skipped_types() -> None:
    questions = [
        {
            "type": "single",
            "text": "Ibu kota\nIndonesia?",
            "choices": ["Jakarta", "Bandung"],
            "answer": 0,
        },
        {"type": "true_false", "text": "Benar?", "answer": True},
        {"type": "single", "text": "Pilih.", "choices": ["x", "y", "z"], "answer": 2},
    ]
    exported = to_aiken(questions)
    assert exported.skipped == [
        (1, "type 'true_false' is not exportable to Aiken (single choice only)")
    ]
    assert exported.text.startswith("Ibu kota Indonesia?\nA. Jakarta\nB. Bandung\nANSWER: A\n\n")
    again = parse_aiken(exported.text)
    assert again.errors == []
    assert again.questions == [
        {
            "type": "single",
            "text": "Ibu kota Indonesia?",
            "choices": ["Jakarta", "Bandung"],
            "answer": 0,
        },
        questions[2],
    ]


def test_export_refuses_text_that_would_misread() -> None:
    exported = to_aiken(
        [{"type": "single", "text": "A. jebakan", "choices": ["a", "b"], "answer": 0}]
    )
    assert exported.text == ""
    assert exported.skipped == [(0, "the question text would read as a choice or an ANSWER line")]

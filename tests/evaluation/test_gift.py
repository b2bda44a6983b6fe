"""GIFT reader and writer: the pegjs corpus, Moodle's fixtures and our own bank."""

import json
from pathlib import Path

import pytest
from evaluation_service.questions.gift import ParseError, parse_gift, to_gift
from evaluation_service.questions.model import validate_question

DATA = Path(__file__).parent / "data"
PEGJS = "quiz_gift_pegjs_test_questions"
MATCHING = "matching questions are not supported"

# Fixtures with a feature we do not support, and the errors we expect instead
# of the JSON's "Matching" entries: (line where the question starts, message).
UNSUPPORTED = {
    "matching1.gift": [(3, MATCHING), (9, MATCHING)],
    "giftFormatPhpExamples.gift": [(15, MATCHING)],
    "totara_moodle_match.gift": [(4, MATCHING)],
}

PEGJS_TYPES = {
    "MC": {"single", "multiple"},
    "TF": {"true_false"},
    "Short": {"short_answer"},
    "Numerical": {"numeric"},
    "Essay": {"essay"},
    "Description": {"description"},
}


def _text(rich: dict | None) -> str | None:
    return None if rich is None else rich["text"]


def _numeric_expected(choices) -> list[tuple[float, float, float, str | None]]:
    """pegjs numeric answers as (value, tolerance, credit, feedback)."""

    def spec(s: dict) -> tuple[float, float]:
        if s["type"] == "high-low":
            low, high = s["numberLow"], s["numberHigh"]
            return (low + high) / 2, (high - low) / 2
        return s["number"], s.get("range", 0)

    if isinstance(choices, dict):
        return [(*spec(choices), 1.0, None)]
    # '~' entries (isCorrect false) only carry wrong-answer feedback: we drop them.
    return [
        (*spec(c["text"]), 1.0 if c["weight"] is None else c["weight"] / 100, _text(c["feedback"]))
        for c in choices
        if c["isCorrect"]
    ]


def _check_choices(expected: dict, got: dict) -> None:
    choices = expected["choices"]
    assert got["choices"] == [c["text"]["text"] for c in choices]
    feedback = [_text(c["feedback"]) for c in choices]
    assert got.get("choice_feedback", [None] * len(choices)) == feedback
    if got["type"] == "single":
        # One '=' (isCorrect) is the answer; other positive weights are partial credit.
        assert [c["isCorrect"] for c in choices] == [
            i == got["answer"] for i in range(len(choices))
        ]
        credit = [1.0 if c["isCorrect"] else max(0, c["weight"] or 0) / 100 for c in choices]
        assert got.get("credit", [1.0 if c["isCorrect"] else 0.0 for c in choices]) == credit
    else:
        correct = [
            i
            for i, c in enumerate(choices)
            if (c["weight"] is not None and c["weight"] > 0)
            or (c["isCorrect"] and c["weight"] is None)
        ]
        assert got["answer"] == correct


def _check(expected: dict, got: dict) -> None:
    """Compare one pegjs JSON question with our canonical dict."""
    assert got["type"] in PEGJS_TYPES[expected["type"]]
    assert got["text"] == expected["stem"]["text"]
    assert got.get("title") == expected["title"]
    fmt = expected["stem"]["format"]
    assert got.get("format") == (None if fmt == "moodle" else fmt)
    assert got.get("tags") == expected.get("tags")
    assert got.get("feedback") == _text(expected.get("globalFeedback"))
    kind = expected["type"]
    if kind == "MC":
        _check_choices(expected, got)
    elif kind == "TF":
        assert got["answer"] is expected["isTrue"]
        # pegjs names the two feedbacks by position; Moodle shows the first for a
        # wrong answer and the second for a right one, and so do we.
        wrong, right = _text(expected["trueFeedback"]), _text(expected["falseFeedback"])
        by_response = {expected["isTrue"]: right, not expected["isTrue"]: wrong}
        assert got.get("feedback_true") == by_response[True]
        assert got.get("feedback_false") == by_response[False]
    elif kind == "Short":
        choices = expected["choices"]
        assert got["answers"] == [c["text"]["text"] for c in choices]
        credit = [1.0 if c["weight"] is None else c["weight"] / 100 for c in choices]
        assert got.get("credit", [1.0] * len(choices)) == credit
        feedback = [_text(c["feedback"]) for c in choices]
        assert got.get("answer_feedback", [None] * len(choices)) == feedback
    elif kind == "Numerical":
        answers = got.get("answers") or [{"value": got["answer"], "tolerance": got["tolerance"]}]
        actual = [
            (a["value"], a["tolerance"], a.get("credit", 1.0), a.get("feedback")) for a in answers
        ]
        expected_answers = _numeric_expected(expected["choices"])
        assert len(actual) == len(expected_answers)
        for (v, t, c, f), (ev, et, ec, ef) in zip(actual, expected_answers, strict=True):
            assert (v, t, c, f) == (pytest.approx(ev), pytest.approx(et), ec, ef)


def _pegjs_files(shared: Path) -> list[Path]:
    return sorted((shared / PEGJS).glob("*.gift"))


def test_pegjs_corpus_is_complete(shared_fixtures: Path) -> None:
    files = _pegjs_files(shared_fixtures)
    assert len(files) == 51
    assert all(f.with_suffix(".json").is_file() for f in files)


def test_pegjs_corpus_matches_expected_json(shared_fixtures: Path) -> None:
    checked = 0
    for path in _pegjs_files(shared_fixtures):
        expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        result = parse_gift(path.read_text(encoding="utf-8"))
        categories = [e["title"] for e in expected if e["type"] == "Category"]
        assert result.categories == categories, path.name
        wanted_errors = [ParseError(line, msg) for line, msg in UNSUPPORTED.get(path.name, [])]
        assert result.errors == wanted_errors, path.name
        supported = [e for e in expected if e["type"] not in ("Category", "Matching")]
        assert len(result.questions) == len(supported), path.name
        for want, got in zip(supported, result.questions, strict=True):
            try:
                _check(want, got)
            except AssertionError as error:
                raise AssertionError(f"{path.name}: {want['stem']['text'][:60]!r}") from error
            assert validate_question(got) == [], (path.name, got)
            checked += 1
    assert checked == 96


def test_pegjs_unsupported_list_names_real_fixtures(shared_fixtures: Path) -> None:
    names = {p.name for p in _pegjs_files(shared_fixtures)}
    assert set(UNSUPPORTED) <= names
    for name in UNSUPPORTED:
        expected = json.loads((shared_fixtures / PEGJS / name).with_suffix(".json").read_text())
        matching = [e for e in expected if e["type"] == "Matching"]
        assert len(matching) == len(UNSUPPORTED[name])


def test_true_false_feedback_follows_moodle_order(shared_fixtures: Path) -> None:
    text = (shared_fixtures / PEGJS / "TFTwoFeedback.gift").read_text()
    questions = parse_gift(text).questions
    assert questions[0] == {
        "type": "true_false",
        "text": "Grant is buried in Grant's tomb.",
        "answer": False,
        "feedback_true": "feedback for true",
        "feedback_false": "feedback for false",
    }
    # {TRUE#first}: the first feedback is for the wrong answer, i.e. "false".
    assert questions[1]["feedback_false"] == "feedback for true"
    assert "feedback_true" not in questions[1]


def test_moodle_questions_gift(shared_fixtures: Path) -> None:
    path = shared_fixtures / "quiz_moodle_question_format_fixtures/gift/questions.gift.txt"
    result = parse_gift(path.read_text(encoding="utf-8"))
    assert result.errors == [ParseError(5, MATCHING)]
    assert [q["type"] for q in result.questions] == [
        "essay",
        "single",
        "multiple",
        "numeric",
        "short_answer",
        "true_false",
        "true_false",
        "true_false",
    ]
    multiple = result.questions[2]
    assert multiple["answer"] == [0, 2]
    assert multiple["choices"] == ["yellow", "red", "off-beige", "blue"]
    # The stray '";' after the braces is text after the answer: a missing word.
    numeric = result.questions[3]
    assert numeric["text"] == 'What is a number from 1 to 5? _____ ";'
    assert (numeric["answer"], numeric["tolerance"]) == (3, 2)
    short = result.questions[4]
    assert short["answers"] == ["Frog", "Cat", "*"]
    assert short["credit"] == [1.0, 0.5, 0.0]
    tf = result.questions[5]
    assert tf["feedback"] == "This is, of course, a Hitchiker's Guide to the Galaxy reference."
    assert tf["feedback_true"] == "42 is the Ultimate Answer."


def test_moodle_examples_gift(shared_fixtures: Path) -> None:
    path = shared_fixtures / "quiz_moodle_question_format_fixtures/gift/examples.txt"
    result = parse_gift(path.read_text(encoding="utf-8"))
    assert len(result.questions) == 40  # 43 question blocks, 3 of them matching
    assert result.errors == [ParseError(line, MATCHING) for line in (55, 61, 177)]
    assert result.categories == []


def test_moodle_questions_in_category(shared_fixtures: Path) -> None:
    path = (
        shared_fixtures
        / "quiz_moodle_question_format_fixtures_current/gift/questions_in_category.gift.txt"
    )
    result = parse_gift(path.read_text(encoding="utf-8"))
    assert result.categories == ["$course$/Default for New Features"]
    assert result.errors == [ParseError(5, MATCHING)]
    greeting, user, acronym = result.questions
    assert greeting["text"].startswith('<a href="http://demo.moodle.net/file.php/5/media/')
    assert greeting["answer"] == 1
    assert user["answers"] == ["Moodler"]
    assert acronym["answer"] is True
    assert {q["category"] for q in result.questions} == {"$course$/Default for New Features"}


def test_own_indonesian_bank() -> None:
    result = parse_gift((DATA / "kuis_pelatihan.gift").read_text(encoding="utf-8"))
    assert result.categories == ["latsar/nilai-dasar"]
    assert result.errors == [
        ParseError(27, "the answer block '{' is not closed with '}'"),
        ParseError(29, MATCHING),
    ]
    single, multiple, tf, short, numeric, essay = result.questions
    assert single == {
        "type": "single",
        "title": "Nilai dasar",
        "text": "Singkatan nilai dasar ASN yang diluncurkan pada tahun 2021 adalah _____ .",
        "choices": ["BerAKHLAK", "AKHLAK", "ANEKA"],
        "answer": 0,
        "credit": [1.0, 0.5, 0.0],
        "choice_feedback": [
            "Benar, Berorientasi Pelayanan, Akuntabel, Kompeten, dan seterusnya.",
            'Hampir: awalan "Ber" tidak boleh dihilangkan.',
            "ANEKA adalah nilai dasar pada kurikulum sebelumnya.",
        ],
        "tags": ["BerAKHLAK"],
        "level": 2,
        "category": "latsar/nilai-dasar",
    }
    assert multiple["type"] == "multiple"
    assert multiple["answer"] == [0, 1]
    assert multiple["feedback"] == "Lihat Pasal 4 UU Nomor 25 Tahun 2009."
    assert tf["answer"] is True
    assert tf["feedback_true"] == "Betul, lihat UU 20/2023."
    assert tf["feedback_false"] == "Salah: ASN dilarang berpihak."
    assert short["answers"] == ["LAN", "Lembaga Administrasi Negara"]
    assert (numeric["answer"], numeric["tolerance"]) == (20, 0)
    assert essay["type"] == "essay"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("Soal?{=a", "the answer block '{' is not closed with '}'"),
        ("Soal?}", "'}' without an opening '{' (escape it as \\})"),
        ("::Judul tanpa penutup Soal?{T}", "the title is not closed with '::'"),
        ("{=a ~b}", "the question has no text"),
        ("Soal?{~a ~b}", "no correct answer: mark one with = or give it a positive %weight%"),
        ("Soal?{=a}{=b}", "more than one answer block {...} in one question"),
        ("Soal?{=a {b}", "'{' inside the answer block (escape it as \\{)"),
        ("Soal?{=satu}", None),
        ("Soal?{~satu}", "a multiple-choice question needs at least 2 choices"),
        ("Soal?{=%50%a ~b}", "the correct answer (=) must be worth 100%"),
        ("Soal?{=a ~%150%b}", "weight %150% is outside -100%..100%"),
        ("Soal?{=a ~%x%b}", "malformed weight in answer '%x%b' (expected %50%)"),
        ("Soal?{#abc}", "numeric answer 'abc' is not a number"),
        ("Soal?{#5..1}", "numeric range '5..1' has low above high"),
        ("Soal?{#3:-1}", "numeric tolerance in '3:-1' is negative"),
        ("Soal?{#=%50%3}", "no numeric answer is worth 100%"),
        ("Soal?{=%50%a}", "no short answer is worth 100%"),
        ("Soal?{=a ~}", "choice 2 is empty"),
    ],
)
def test_errors_name_the_reason(source: str, message: str | None) -> None:
    result = parse_gift(f"// komentar\n{source}\n")
    if message is None:
        assert result.errors == []
    else:
        assert result.errors == [ParseError(2, message)]
        assert result.questions == []


def test_reading_continues_after_a_broken_question() -> None:
    text = "Rusak {=a\n\nBaik?{T}\n\n\n// x\nJuga rusak }\n\nBaik juga?{F}\n"
    result = parse_gift(text)
    assert [e.line for e in result.errors] == [1, 7]
    assert [q["text"] for q in result.questions] == ["Baik?", "Baik juga?"]


def test_text_formats_and_escapes() -> None:
    text = "[markdown]Baris satu  \nbaris **dua**\\n\\{x\\}{}\n\nA   b\nc \\\\ d \\: e{}"
    markdown, plain = parse_gift(text).questions
    assert markdown["text"] == "Baris satu  \nbaris **dua**\n{x}"
    assert markdown["format"] == "markdown"
    assert plain["text"] == "A b c \\ d : e"
    assert "format" not in plain


def test_numeric_range_becomes_value_and_tolerance() -> None:
    (q,) = parse_gift("Angka 1 sampai 5?{#1..5}").questions
    assert (q["answer"], q["tolerance"]) == (3, 2)


ROUND_TRIP = [
    {"type": "single", "text": "Ibu kota: Jakarta?", "choices": ["Ya", "Tidak"], "answer": 0},
    {
        "type": "single",
        "text": "Pilih {satu} = #benar~",
        "title": "Judul: dengan titik dua",
        "choices": ["a\\b", "c#d", "e=f"],
        "answer": 2,
        "credit": [0.25, 0.0, 1.0],
        "choice_feedback": [None, "umpan\nbalik", None],
        "feedback": "Umum",
        "tags": ["K-01", "K-02"],
        "level": 3,
        "category": "latsar/agenda-1",
    },
    {"type": "multiple", "text": "Pilih dua.", "choices": ["a", "b", "c"], "answer": [0, 2]},
    {
        "type": "multiple",
        "text": "Pilih tiga.",
        "choices": ["a", "b", "c", "d"],
        "answer": [0, 1, 3],
    },
    {"type": "true_false", "text": "Benar?", "answer": True, "feedback_false": "Bukan."},
    {
        "type": "true_false",
        "text": "Salah?",
        "answer": False,
        "feedback_true": "x",
        "feedback_false": "y",
    },
    {"type": "short_answer", "text": "Kota _____ adalah ibu kota.", "answers": ["Jakarta"]},
    {
        "type": "short_answer",
        "text": "Hewan?",
        "answers": ["Komodo", "Biawak", "*"],
        "credit": [1.0, 0.5, 0.0],
        "answer_feedback": ["Bagus", None, "Salah"],
    },
    {"type": "numeric", "text": "Pi?", "answer": 3.1415, "tolerance": 0.0005},
    {"type": "numeric", "text": "Dua?", "answer": 2.0, "tolerance": 0.0},
    {
        "type": "numeric",
        "text": "Tahun?",
        "answers": [
            {"value": 1945.0, "tolerance": 0.0, "feedback": "Tepat"},
            {"value": 1945.0, "tolerance": 1.0, "credit": 0.5},
        ],
    },
    {"type": "essay", "text": "Jelaskan.", "format": "html", "feedback": "<b>Dinilai</b>"},
    {"type": "description", "text": "Bagian berikut tentang etika.", "format": "markdown"},
]


@pytest.mark.parametrize("question", ROUND_TRIP, ids=lambda q: q["type"])
def test_round_trip(question: dict) -> None:
    assert validate_question(question) == []
    result = parse_gift(to_gift([question]))
    assert result.errors == []
    assert result.questions == [question]


def test_round_trip_of_whole_bank() -> None:
    bank = parse_gift((DATA / "kuis_pelatihan.gift").read_text(encoding="utf-8"))
    again = parse_gift(to_gift(bank.questions))
    assert again.questions == bank.questions
    assert again.categories == bank.categories


def test_round_trip_of_pegjs_corpus(shared_fixtures: Path) -> None:
    for path in _pegjs_files(shared_fixtures):
        questions = parse_gift(path.read_text(encoding="utf-8")).questions
        assert parse_gift(to_gift(questions)).questions == questions, path.name


def test_export_refuses_invalid_questions() -> None:
    with pytest.raises(ValueError, match="question 1: answer"):
        to_gift([{"type": "single", "text": "x", "choices": ["a", "b"], "answer": 5}])

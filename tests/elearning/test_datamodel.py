"""SCORM 1.2 and 2004 CMI data model: error codes, commits and status rollup."""

from __future__ import annotations

import pytest
from elearning_service.scorm.datamodel import (
    SCORM12,
    SCORM2004,
    CmiError,
    apply_commit,
    begin_session,
    derive_status,
    format_duration,
    initial_state,
    parse_duration,
    validate_get,
    validate_set,
)


def s12(**extra: str) -> dict[str, str]:
    """A fresh 1.2 state plus extra keys (dots written as __)."""
    state = initial_state("scorm12", learner_id="199001012020121001", learner_name="Siti, Aminah")
    state.update({k.replace("__", "."): v for k, v in extra.items()})
    return state


def s2004(**extra: str) -> dict[str, str]:
    """A fresh 2004 state plus extra keys (dots written as __)."""
    state = initial_state("scorm2004", learner_id="199001012020121001", learner_name="Siti Aminah")
    state.update({k.replace("__", "."): v for k, v in extra.items()})
    return state


def code_of(version, element, value, state) -> int | None:
    """The error code of a set, or None when accepted."""
    try:
        validate_set(version, element, value, state)
    except CmiError as err:
        assert err.element == element  # the API answers 422 naming the element
        return err.code
    return None


# ---------------------------------------------------------------- SCORM 1.2

OK_12 = [
    ("cmi.core.lesson_status", "completed"),
    ("cmi.core.lesson_status", "browsed"),
    ("cmi.core.lesson_location", "bab2/halaman3"),
    ("cmi.core.score.raw", "85.5"),
    ("cmi.core.score.raw", ""),
    ("cmi.core.score.min", "0"),
    ("cmi.core.score.max", "100"),
    ("cmi.core.exit", "suspend"),
    ("cmi.core.exit", ""),
    ("cmi.core.session_time", "0001:30:05.25"),
    ("cmi.core.session_time", "00:00:10"),
    ("cmi.suspend_data", "x" * 4096),
    ("cmi.comments", "Materi jelas"),
    ("cmi.student_preference.audio", "-1"),
    ("cmi.student_preference.speed", "-100"),
    ("cmi.student_preference.text", "1"),
    ("cmi.objectives.0.id", "obj_etika"),
    ("cmi.objectives.0.status", "passed"),
    ("cmi.interactions.0.id", "soal_1"),
    ("cmi.interactions.0.type", "choice"),
    ("cmi.interactions.0.time", "13:45:00"),
    ("cmi.interactions.0.result", "wrong"),
    ("cmi.interactions.0.result", "0.5"),
    ("cmi.interactions.0.latency", "0000:00:12.5"),
    ("cmi.interactions.0.weighting", "1"),
]


@pytest.mark.parametrize(("element", "value"), OK_12)
def test_scorm12_accepts(element, value):
    assert code_of("scorm12", element, value, s12()) is None


ERR_12 = [
    ("cmi.core.lesson_stat", "completed", 201),  # typo: not an element
    ("cmi.foo", "x", 201),
    ("", "x", 201),
    ("cmi.interactions.01.id", "x", 201),  # leading zero index
    ("cmi.interactions.5.id", "x", 201),  # index out of order
    ("cmi.core._children", "x", 402),
    ("cmi.objectives._count", "3", 402),
    ("cmi.core.student_id", "x", 403),
    ("cmi.core.student_name", "x", 403),
    ("cmi.core.total_time", "0000:01:00", 403),
    ("cmi.core.credit", "no-credit", 403),
    ("cmi.core.entry", "resume", 403),
    ("cmi.launch_data", "x", 403),
    ("cmi.student_data.mastery_score", "10", 403),
    ("cmi.core.lesson_status", "not attempted", 405),  # only the LMS sets this
    ("cmi.core.lesson_status", "done", 405),
    ("cmi.core.lesson_status", "Completed", 405),
    ("cmi.core.score.raw", "101", 405),
    ("cmi.core.score.raw", "-1", 405),
    ("cmi.core.score.raw", "abc", 405),
    ("cmi.core.score.raw", "1e2", 405),
    ("cmi.core.exit", "normal", 405),  # 2004 word, not 1.2
    ("cmi.core.session_time", "PT1H", 405),  # 2004 format, not 1.2
    ("cmi.core.session_time", "1:00:00", 405),
    ("cmi.core.session_time", "0000:60:00", 405),
    ("cmi.suspend_data", "x" * 4097, 405),
    ("cmi.core.lesson_location", "x" * 256, 405),
    ("cmi.student_preference.audio", "101", 405),
    ("cmi.student_preference.text", "2", 405),
    ("cmi.student_preference.speed", "1.5", 405),
    ("cmi.objectives.0.id", "dua kata", 405),
    ("cmi.objectives.0.status", "unknown", 405),
    ("cmi.interactions.0.type", "long-fill-in", 405),  # 2004 only
    ("cmi.interactions.0.time", "25:00:00", 405),
    ("cmi.interactions.0.result", "incorrect", 405),  # 1.2 says "wrong"
]


@pytest.mark.parametrize(("element", "value", "code"), ERR_12)
def test_scorm12_refuses_with_code(element, value, code):
    assert code_of("scorm12", element, value, s12()) == code


@pytest.mark.parametrize(
    ("element", "code"),
    [
        ("cmi.core.exit", 404),
        ("cmi.core.session_time", 404),
        ("cmi.interactions.0.id", 404),
        ("cmi.interactions.0.student_response", 404),
        ("cmi.core.nope", 201),
    ],
)
def test_scorm12_get_errors(element, code):
    with pytest.raises(CmiError) as err:
        validate_get("scorm12", element)
    assert err.value.code == code


@pytest.mark.parametrize(
    "element",
    ["cmi.core.lesson_status", "cmi.core._children", "cmi.interactions._count", "cmi.suspend_data"],
)
def test_scorm12_get_ok(element):
    validate_get("scorm12", element)


def test_scorm12_arrays_grow_in_order():
    state = s12()
    state = apply_commit("scorm12", state, {"cmi.objectives.0.id": "a", "cmi.objectives.1.id": "b"})
    assert code_of("scorm12", "cmi.objectives.2.id", "c", state) is None
    assert code_of("scorm12", "cmi.objectives.3.id", "c", state) == 201
    state = apply_commit(
        "scorm12",
        state,
        {"cmi.interactions.0.id": "q1", "cmi.interactions.0.correct_responses.0.pattern": "a"},
    )
    assert code_of("scorm12", "cmi.interactions.0.correct_responses.2.pattern", "c", state) == 201
    assert code_of("scorm12", "cmi.interactions.0.objectives.0.id", "a", state) is None


def test_every_element_is_classified():
    # Keywords and read-only elements are never settable; write-only are never gettable.
    for version, model in (("scorm12", SCORM12), ("scorm2004", SCORM2004)):
        for pattern, spec in model.items():
            element = pattern.replace(".n.", ".0.")
            assert spec.access in {"k", "r", "w", "rw"}
            if spec.access == "w":
                with pytest.raises(CmiError):
                    validate_get(version, element)
            else:
                validate_get(version, element)


# ---------------------------------------------------------------- SCORM 2004

OK_2004 = [
    ("cmi.completion_status", "completed"),
    ("cmi.completion_status", "unknown"),
    ("cmi.success_status", "failed"),
    ("cmi.score.scaled", "-1"),
    ("cmi.score.scaled", "0.85"),
    ("cmi.score.raw", "250"),  # no range on raw in 2004
    ("cmi.progress_measure", "1"),
    ("cmi.exit", "normal"),
    ("cmi.session_time", "PT1H2M3.5S"),
    ("cmi.session_time", "P1DT0S"),
    ("cmi.session_time", "PT0S"),
    ("cmi.location", "x" * 1000),
    ("cmi.suspend_data", "x" * 64000),
    ("cmi.learner_preference.language", "id-ID"),
    ("cmi.learner_preference.audio_captioning", "-1"),
    ("cmi.learner_preference.delivery_speed", "1.5"),
    ("cmi.objectives.0.id", "urn:cakap:obj:etika"),
    ("cmi.interactions.0.id", "soal-1"),
    ("cmi.comments_from_learner.0.comment", "{lang=id}Bagus"),
    ("cmi.comments_from_learner.0.timestamp", "2026-08-17T09:30:00.5+07:00"),
    ("cmi.comments_from_learner.0.timestamp", "2026"),
    ("adl.nav.request", "continue"),
    ("adl.nav.request", "{target=bab_2}choice"),
]


@pytest.mark.parametrize(("element", "value"), OK_2004)
def test_scorm2004_accepts(element, value):
    assert code_of("scorm2004", element, value, s2004()) is None


ERR_2004 = [
    ("cmi.core.lesson_status", "completed", 401),  # a 1.2 name
    ("cmi.nope", "x", 401),
    ("cmi._version", "1.0", 404),
    ("cmi.interactions._count", "1", 404),
    ("cmi.learner_id", "x", 404),
    ("cmi.credit", "credit", 404),
    ("cmi.total_time", "PT1S", 404),
    ("cmi.scaled_passing_score", "0.5", 404),
    ("cmi.completion_threshold", "0.5", 404),
    ("cmi.comments_from_lms.0.comment", "x", 404),
    ("cmi.completion_status", "passed", 406),
    ("cmi.success_status", "completed", 406),
    ("cmi.exit", "quit", 406),
    ("cmi.score.scaled", "1.01", 407),
    ("cmi.score.scaled", "-1.5", 407),
    ("cmi.score.scaled", "abc", 406),
    ("cmi.progress_measure", "1.2", 407),
    ("cmi.progress_measure", "-0.1", 407),
    ("cmi.session_time", "0000:01:00", 406),  # 1.2 format
    ("cmi.session_time", "PT", 406),
    ("cmi.session_time", "P", 406),
    ("cmi.session_time", "PT1.123S", 406),
    ("cmi.session_time", "1H", 406),
    ("cmi.suspend_data", "x" * 64001, 407),
    ("cmi.location", "x" * 1001, 407),
    ("cmi.learner_preference.language", "bahasa indonesia", 406),
    ("cmi.learner_preference.audio_level", "-1", 407),
    ("cmi.comments_from_learner.0.timestamp", "2026-13-01", 406),
    ("cmi.comments_from_learner.0.timestamp", "1969-01-01", 407),
    ("cmi.comments_from_learner.0.timestamp", "17/08/2026", 406),
    ("cmi.objectives.0.success_status", "passed", 408),  # id must come first
    ("cmi.objectives.1.id", "x", 351),  # index out of order
    ("cmi.interactions.0.type", "choice", 408),
    ("adl.nav.request", "teleport", 406),
]


@pytest.mark.parametrize(("element", "value", "code"), ERR_2004)
def test_scorm2004_refuses_with_code(element, value, code):
    assert code_of("scorm2004", element, value, s2004()) == code


def test_scorm2004_get_write_only():
    with pytest.raises(CmiError) as err:
        validate_get("scorm2004", "cmi.session_time")
    assert err.value.code == 405
    with pytest.raises(CmiError) as err:
        validate_get("scorm2004", "cmi.core.score.raw")
    assert err.value.code == 401


def test_scorm2004_ids_are_unique_and_fixed():
    state = apply_commit(
        "scorm2004", s2004(), {"cmi.objectives.0.id": "a", "cmi.objectives.1.id": "b"}
    )
    assert code_of("scorm2004", "cmi.objectives.2.id", "a", state) == 351
    assert code_of("scorm2004", "cmi.objectives.0.id", "z", state) == 351
    assert code_of("scorm2004", "cmi.objectives.0.id", "a", state) is None


RESPONSES = [
    ("true-false", "true", None),
    ("true-false", "yes", 406),
    ("choice", "a[,]b", None),
    ("choice", "a[,]a", 406),
    ("matching", "1[.]a[,]2[.]b", None),
    ("matching", "1-a", 406),
    ("sequencing", "c[,]a[,]b", None),
    ("likert", "setuju", None),
    ("likert", "a[,]b", 406),
    ("fill-in", "Pancasila", None),
    ("long-fill-in", "x" * 4001, 407),
]


@pytest.mark.parametrize(("kind", "response", "code"), RESPONSES)
def test_scorm2004_learner_response_follows_type(kind, response, code):
    state = apply_commit(
        "scorm2004", s2004(), {"cmi.interactions.0.id": "q", "cmi.interactions.0.type": kind}
    )
    assert code_of("scorm2004", "cmi.interactions.0.learner_response", response, state) == code


def test_scorm2004_numeric_pattern_and_response():
    state = apply_commit(
        "scorm2004", s2004(), {"cmi.interactions.0.id": "q", "cmi.interactions.0.type": "numeric"}
    )
    assert (
        code_of("scorm2004", "cmi.interactions.0.correct_responses.0.pattern", "1[:]5", state)
        is None
    )
    assert (
        code_of("scorm2004", "cmi.interactions.0.correct_responses.0.pattern", "1-5", state) == 406
    )
    assert code_of("scorm2004", "cmi.interactions.0.learner_response", "3.5", state) is None


def test_scorm2004_response_before_type_is_a_dependency_error():
    state = apply_commit("scorm2004", s2004(), {"cmi.interactions.0.id": "q"})
    assert code_of("scorm2004", "cmi.interactions.0.learner_response", "a", state) == 408


# ---------------------------------------------------------------- durations and commits


@pytest.mark.parametrize(
    ("version", "text", "seconds"),
    [
        ("scorm12", "0001:30:05.25", 5405.25),
        ("scorm12", "00:00:10", 10),
        ("scorm2004", "PT1H2M3.5S", 3723.5),
        ("scorm2004", "P1D", 86400),
        ("scorm2004", "PT0S", 0),
    ],
)
def test_parse_duration(version, text, seconds):
    assert parse_duration(version, text) == pytest.approx(seconds)


def test_format_duration():
    assert format_duration("scorm12", 5405.25) == "0001:30:05.25"
    assert format_duration("scorm2004", 3723.5) == "PT1H2M3.5S"
    assert format_duration("scorm2004", 0) == "PT0H0M0S"


def test_commit_accumulates_total_time_without_double_counting():
    state = apply_commit(
        "scorm12",
        s12(**{"cmi__core__total_time": "0001:00:00"}),
        {"cmi.core.session_time": "0000:10:00"},
    )
    assert state["cmi.core.total_time"] == "0001:10:00.00"
    # The SCO reports the session's running time again: it replaces, it does not add.
    state = apply_commit("scorm12", state, {"cmi.core.session_time": "0000:15:00"})
    assert state["cmi.core.total_time"] == "0001:15:00.00"
    # A new session starts from the stored total.
    state = begin_session("scorm12", state)
    state = apply_commit("scorm12", state, {"cmi.core.session_time": "0000:05:00"})
    assert state["cmi.core.total_time"] == "0001:20:00.00"


def test_commit_2004_total_time():
    state = apply_commit("scorm2004", s2004(), {"cmi.session_time": "PT1H30M"})
    state = begin_session("scorm2004", state)
    state = apply_commit("scorm2004", state, {"cmi.session_time": "PT45M10.5S"})
    assert state["cmi.total_time"] == "PT2H15M10.5S"


def test_commit_is_all_or_nothing_and_names_the_element():
    state = s12()
    with pytest.raises(CmiError) as err:
        apply_commit(
            "scorm12", state, {"cmi.core.lesson_status": "completed", "cmi.core.score.raw": "abc"}
        )
    assert err.value.element == "cmi.core.score.raw"
    assert err.value.code == 405
    assert state["cmi.core.lesson_status"] == "not attempted"  # input untouched


def test_commit_in_order_lets_id_come_first_in_one_request():
    state = apply_commit(
        "scorm2004",
        s2004(),
        {
            "cmi.interactions.0.id": "q1",
            "cmi.interactions.0.type": "true-false",
            "cmi.interactions.0.learner_response": "true",
        },
    )
    assert state["cmi.interactions.0.learner_response"] == "true"


def test_begin_session_resumes_only_after_suspend():
    state = apply_commit("scorm12", s12(), {"cmi.core.exit": "suspend", "cmi.suspend_data": "p=3"})
    resumed = begin_session("scorm12", state)
    assert resumed["cmi.core.entry"] == "resume"
    assert resumed["cmi.suspend_data"] == "p=3"
    assert "cmi.core.exit" not in resumed
    fresh = begin_session("scorm12", apply_commit("scorm12", s12(), {"cmi.core.exit": "logout"}))
    assert fresh["cmi.core.entry"] == ""


# ---------------------------------------------------------------- status rollup

DERIVE_12 = [
    ({}, None, ("not_attempted", "unknown", None)),
    ({"cmi.core.lesson_status": "incomplete"}, None, ("incomplete", "unknown", None)),
    ({"cmi.core.lesson_status": "browsed"}, None, ("incomplete", "unknown", None)),
    ({"cmi.core.lesson_status": "completed"}, None, ("completed", "unknown", None)),
    (
        {"cmi.core.lesson_status": "passed", "cmi.core.score.raw": "90"},
        None,
        ("completed", "passed", 90.0),
    ),
    ({"cmi.core.lesson_status": "failed"}, None, ("completed", "failed", None)),
    # The mastery score decides over what the SCO said (RTE 1.2 3.4.4).
    (
        {"cmi.core.lesson_status": "completed", "cmi.core.score.raw": "65"},
        70,
        ("completed", "failed", 65.0),
    ),
    (
        {"cmi.core.lesson_status": "failed", "cmi.core.score.raw": "70"},
        70,
        ("completed", "passed", 70.0),
    ),
    ({"cmi.core.lesson_status": "incomplete"}, 70, ("incomplete", "unknown", None)),
    # Without credit the mastery score does not judge.
    (
        {
            "cmi.core.lesson_status": "completed",
            "cmi.core.score.raw": "10",
            "cmi.core.credit": "no-credit",
        },
        70,
        ("completed", "unknown", 10.0),
    ),
]


@pytest.mark.parametrize(("values", "mastery", "expected"), DERIVE_12)
def test_derive_status_12(values, mastery, expected):
    assert (
        derive_status(
            "scorm12", s12(**{k.replace(".", "__"): v for k, v in values.items()}), mastery
        )
        == expected
    )


def test_mastery_from_state_sets_lesson_status_on_commit():
    state = initial_state("scorm12", learner_id="1", learner_name="A", mastery_score=80)
    state = apply_commit(
        "scorm12", state, {"cmi.core.lesson_status": "completed", "cmi.core.score.raw": "85"}
    )
    assert state["cmi.core.lesson_status"] == "passed"
    assert derive_status("scorm12", state) == ("completed", "passed", 85.0)


DERIVE_2004 = [
    ({}, None, ("not_attempted", "unknown", None)),
    ({"cmi.completion_status": "incomplete"}, None, ("incomplete", "unknown", None)),
    (
        {
            "cmi.completion_status": "completed",
            "cmi.success_status": "passed",
            "cmi.score.scaled": "0.9",
        },
        None,
        ("completed", "passed", 90.0),
    ),
    (
        {"cmi.completion_status": "completed", "cmi.score.raw": "42"},
        None,
        ("completed", "unknown", 42.0),
    ),
    # scaled_passing_score overrides success_status.
    (
        {
            "cmi.success_status": "passed",
            "cmi.score.scaled": "0.5",
            "cmi.scaled_passing_score": "0.8",
        },
        None,
        ("not_attempted", "failed", 50.0),
    ),
    (
        {"cmi.success_status": "failed", "cmi.score.scaled": "0.8"},
        0.8,
        ("not_attempted", "passed", 80.0),
    ),
    (
        {"cmi.success_status": "passed", "cmi.scaled_passing_score": "0.8"},
        None,
        ("not_attempted", "unknown", None),
    ),
    # completion_threshold overrides completion_status.
    (
        {
            "cmi.completion_status": "incomplete",
            "cmi.progress_measure": "0.9",
            "cmi.completion_threshold": "0.75",
        },
        None,
        ("completed", "unknown", None),
    ),
    (
        {
            "cmi.completion_status": "completed",
            "cmi.progress_measure": "0.5",
            "cmi.completion_threshold": "0.75",
        },
        None,
        ("incomplete", "unknown", None),
    ),
]


@pytest.mark.parametrize(("values", "passing", "expected"), DERIVE_2004)
def test_derive_status_2004(values, passing, expected):
    assert (
        derive_status(
            "scorm2004", s2004(**{k.replace(".", "__"): v for k, v in values.items()}), passing
        )
        == expected
    )


def test_unknown_version_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown SCORM version"):
        validate_set("scorm3000", "cmi.x", "1", {})  # type: ignore[arg-type]

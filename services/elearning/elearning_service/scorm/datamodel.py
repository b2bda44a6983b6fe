"""SCORM 1.2 and 2004 (4th ed.) CMI data model: validation, commits and status rollup.

State is a flat mapping of element name to string value, e.g.
{"cmi.core.lesson_status": "incomplete", "cmi.interactions.0.id": "q1"}; array counts
are derived from the keys. Keys starting with "cakap." are the server's own bookkeeping.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Version = Literal["scorm12", "scorm2004"]
Completion = Literal["not_attempted", "incomplete", "completed"]
Success = Literal["unknown", "passed", "failed"]

# Bookkeeping: total_time when the current session began, so repeated session_time
# commits within one session replace each other instead of adding up.
SESSION_BASE = "cakap.total_time_at_session_start"


class CmiError(ValueError):
    """A refused Get/Set: the SCORM error code, a message and the element concerned."""

    def __init__(self, code: int, message: str, element: str) -> None:
        super().__init__(f"{element}: {message} (error {code})")
        self.code = code
        self.message = message
        self.element = element


class _Bad(Exception):
    """Raised by value checkers: `kind` is 'type' or 'range'; mapped to a code per version."""

    def __init__(self, kind: Literal["type", "range"], message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


Checker = Callable[[str], None]

# ---------------------------------------------------------------- value checkers

_DECIMAL = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)$")
_TIMESPAN_12 = re.compile(r"^(\d{2,4}):([0-5]\d):([0-5]\d)(\.\d{1,2})?$")
_TIME_12 = re.compile(r"^([01]\d|2[0-3]):([0-5]\d):([0-5]\d)(\.\d{1,2})?$")
_DURATION = re.compile(
    r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d{1,2})?)S)?)?$"
)
_TIMESTAMP = re.compile(
    r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,2}))?"
    r"(Z|[+-]\d{2}(?::?\d{2})?)?)?)?)?)?)?$"
)
_LANG = re.compile(r"^([A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*)?$")
_SHORT_ID = re.compile(r"^\S{1,250}$")


def _string(limit: int) -> Checker:
    """Any text up to `limit` characters."""

    def check(value: str) -> None:
        if len(value) > limit:
            raise _Bad("range", f"longer than {limit} characters")

    return check


def _identifier(limit: int) -> Checker:
    """A non-empty identifier without whitespace, up to `limit` characters."""

    def check(value: str) -> None:
        if not value or re.search(r"\s", value):
            raise _Bad("type", "must be a non-empty identifier without spaces")
        if len(value) > limit:
            raise _Bad("range", f"longer than {limit} characters")

    return check


def _vocab(*words: str) -> Checker:
    """One of a fixed list of words."""

    def check(value: str) -> None:
        if value not in words:
            raise _Bad("type", f"must be one of {', '.join(repr(w) for w in words)}")

    return check


def _real(lo: float | None = None, hi: float | None = None, blank: bool = False) -> Checker:
    """A decimal number, optionally within [lo, hi]; `blank` allows '' (1.2 CMIBlank)."""

    def check(value: str) -> None:
        if blank and value == "":
            return
        if not _DECIMAL.match(value):
            raise _Bad("type", "must be a decimal number")
        number = float(value)
        if (lo is not None and number < lo) or (hi is not None and number > hi):
            raise _Bad(
                "range",
                f"must be between {lo:g} and {hi:g}"
                if hi is not None
                else f"must be at least {lo:g}",
            )

    return check


def _integer(lo: int, hi: int) -> Checker:
    """A whole number in [lo, hi] (1.2 CMISInteger)."""

    def check(value: str) -> None:
        if not re.fullmatch(r"-?\d+", value):
            raise _Bad("type", "must be a whole number")
        if not lo <= int(value) <= hi:
            raise _Bad("range", f"must be between {lo} and {hi}")

    return check


def _timespan_12(value: str) -> None:
    """CMITimespan: HHHH:MM:SS.SS."""
    if not _TIMESPAN_12.match(value):
        raise _Bad("type", "must be a time span HHHH:MM:SS.SS")


def _time_12(value: str) -> None:
    """CMITime: HH:MM:SS.SS, a time of day."""
    if not _TIME_12.match(value):
        raise _Bad("type", "must be a time of day HH:MM:SS")


def _duration(value: str) -> None:
    """ISO 8601 duration (timeinterval), e.g. PT1H2M3.5S."""
    match = _DURATION.match(value)
    if not match or not any(match.groups()) or value.endswith("T"):
        raise _Bad("type", "must be an ISO 8601 duration such as PT1H30M5S")


def _timestamp(value: str) -> None:
    """ISO 8601 time (SCORM 2004 'time (second, 10, 0)'), years 1970-2038."""
    match = _TIMESTAMP.match(value)
    if not match:
        raise _Bad("type", "must be an ISO 8601 timestamp such as 2026-08-17T09:30:00Z")
    year, month, day, hour, minute, second = (int(g) if g else None for g in match.groups()[:6])
    if not 1970 <= (year or 0) <= 2038:
        raise _Bad("range", "year must be between 1970 and 2038")
    try:
        datetime(year or 1970, month or 1, day or 1, hour or 0, minute or 0, second or 0)
    except ValueError as exc:
        raise _Bad("type", f"is not a real date/time ({exc})") from exc


def _language(value: str) -> None:
    """A language code such as 'id' or 'en-US', or empty."""
    if not _LANG.match(value) or len(value) > 250:
        raise _Bad("type", "must be a language code such as 'id' or 'en-US'")


def _result_12(value: str) -> None:
    """1.2 interaction result: a word or a decimal."""
    if value in ("correct", "wrong", "unanticipated", "neutral") or _DECIMAL.match(value):
        return
    raise _Bad("type", "must be correct, wrong, unanticipated, neutral or a number")


def _result_2004(value: str) -> None:
    """2004 interaction result: a word or a real."""
    if value in ("correct", "incorrect", "unanticipated", "neutral") or _DECIMAL.match(value):
        return
    raise _Bad("type", "must be correct, incorrect, unanticipated, neutral or a number")


def _nav_request(value: str) -> None:
    """adl.nav.request: a navigation request, optionally {target=ID}choice/jump."""
    plain = (
        "continue",
        "previous",
        "exit",
        "exitAll",
        "abandon",
        "abandonAll",
        "suspendAll",
        "_none_",
    )
    if value in plain or re.fullmatch(r"\{target=\S+\}(choice|jump)", value):
        return
    raise _Bad("type", "is not a navigation request")


# ---------------------------------------------------------------- element tables


@dataclass(frozen=True)
class Spec:
    """One element of a data model: access ('r', 'w', 'rw', or 'k' for keywords) and checker."""

    access: str
    check: Checker | None = None


_LESSON_STATUS = ("passed", "completed", "failed", "incomplete", "browsed", "not attempted")
_SCORE_12 = _real(0, 100, blank=True)
_INTERACTION_TYPES_12 = (
    "true-false", "choice", "fill-in", "matching", "performance", "sequencing", "likert", "numeric",
)  # fmt: skip

SCORM12: dict[str, Spec] = {
    "cmi._version": Spec("k"),
    "cmi.core._children": Spec("k"),
    "cmi.core.student_id": Spec("r"),
    "cmi.core.student_name": Spec("r"),
    "cmi.core.lesson_location": Spec("rw", _string(255)),
    "cmi.core.credit": Spec("r"),
    # A SCO may not set "not attempted" (RTE 1.2, 3.4.4): only the LMS starts there.
    "cmi.core.lesson_status": Spec("rw", _vocab(*_LESSON_STATUS[:-1])),
    "cmi.core.entry": Spec("r"),
    "cmi.core.score._children": Spec("k"),
    "cmi.core.score.raw": Spec("rw", _SCORE_12),
    "cmi.core.score.max": Spec("rw", _SCORE_12),
    "cmi.core.score.min": Spec("rw", _SCORE_12),
    "cmi.core.total_time": Spec("r"),
    "cmi.core.lesson_mode": Spec("r"),
    "cmi.core.exit": Spec("w", _vocab("time-out", "suspend", "logout", "")),
    "cmi.core.session_time": Spec("w", _timespan_12),
    "cmi.suspend_data": Spec("rw", _string(4096)),
    "cmi.launch_data": Spec("r"),
    "cmi.comments": Spec("rw", _string(4096)),
    "cmi.comments_from_lms": Spec("r"),
    "cmi.objectives._children": Spec("k"),
    "cmi.objectives._count": Spec("k"),
    "cmi.objectives.n.id": Spec("rw", _identifier(255)),
    "cmi.objectives.n.score._children": Spec("k"),
    "cmi.objectives.n.score.raw": Spec("rw", _SCORE_12),
    "cmi.objectives.n.score.max": Spec("rw", _SCORE_12),
    "cmi.objectives.n.score.min": Spec("rw", _SCORE_12),
    "cmi.objectives.n.status": Spec("rw", _vocab(*_LESSON_STATUS)),
    "cmi.student_data._children": Spec("k"),
    "cmi.student_data.mastery_score": Spec("r"),
    "cmi.student_data.max_time_allowed": Spec("r"),
    "cmi.student_data.time_limit_action": Spec("r"),
    "cmi.student_preference._children": Spec("k"),
    "cmi.student_preference.audio": Spec("rw", _integer(-1, 100)),
    "cmi.student_preference.language": Spec("rw", _string(255)),
    "cmi.student_preference.speed": Spec("rw", _integer(-100, 100)),
    "cmi.student_preference.text": Spec("rw", _integer(-1, 1)),
    "cmi.interactions._children": Spec("k"),
    "cmi.interactions._count": Spec("k"),
    "cmi.interactions.n.id": Spec("w", _identifier(255)),
    "cmi.interactions.n.objectives._count": Spec("k"),
    "cmi.interactions.n.objectives.n.id": Spec("w", _identifier(255)),
    "cmi.interactions.n.time": Spec("w", _time_12),
    "cmi.interactions.n.type": Spec("w", _vocab(*_INTERACTION_TYPES_12)),
    "cmi.interactions.n.correct_responses._count": Spec("k"),
    "cmi.interactions.n.correct_responses.n.pattern": Spec("w", _string(255)),
    "cmi.interactions.n.weighting": Spec("w", _real()),
    "cmi.interactions.n.student_response": Spec("w", _string(255)),
    "cmi.interactions.n.result": Spec("w", _result_12),
    "cmi.interactions.n.latency": Spec("w", _timespan_12),
}

_COMPLETION = ("completed", "incomplete", "not attempted", "unknown")
_SUCCESS = ("passed", "failed", "unknown")
_INTERACTION_TYPES_2004 = (
    "true-false", "choice", "fill-in", "long-fill-in", "matching", "performance",
    "sequencing", "likert", "numeric", "other",
)  # fmt: skip
_REAL = _real()
_SCALED = _real(-1, 1)
_PROGRESS = _real(0, 1)

SCORM2004: dict[str, Spec] = {
    "cmi._version": Spec("k"),
    "cmi.comments_from_learner._children": Spec("k"),
    "cmi.comments_from_learner._count": Spec("k"),
    "cmi.comments_from_learner.n.comment": Spec("rw", _string(4000)),
    "cmi.comments_from_learner.n.location": Spec("rw", _string(250)),
    "cmi.comments_from_learner.n.timestamp": Spec("rw", _timestamp),
    "cmi.comments_from_lms._children": Spec("k"),
    "cmi.comments_from_lms._count": Spec("k"),
    "cmi.comments_from_lms.n.comment": Spec("r"),
    "cmi.comments_from_lms.n.location": Spec("r"),
    "cmi.comments_from_lms.n.timestamp": Spec("r"),
    "cmi.completion_status": Spec("rw", _vocab(*_COMPLETION)),
    "cmi.completion_threshold": Spec("r"),
    "cmi.credit": Spec("r"),
    "cmi.entry": Spec("r"),
    "cmi.exit": Spec("w", _vocab("time-out", "suspend", "logout", "normal", "")),
    "cmi.interactions._children": Spec("k"),
    "cmi.interactions._count": Spec("k"),
    "cmi.interactions.n.id": Spec("rw", _identifier(4000)),
    "cmi.interactions.n.type": Spec("rw", _vocab(*_INTERACTION_TYPES_2004)),
    "cmi.interactions.n.objectives._count": Spec("k"),
    "cmi.interactions.n.objectives.n.id": Spec("rw", _identifier(4000)),
    "cmi.interactions.n.timestamp": Spec("rw", _timestamp),
    "cmi.interactions.n.correct_responses._count": Spec("k"),
    "cmi.interactions.n.correct_responses.n.pattern": Spec("rw", None),  # checked by type
    "cmi.interactions.n.weighting": Spec("rw", _REAL),
    "cmi.interactions.n.learner_response": Spec("rw", None),  # checked by type
    "cmi.interactions.n.result": Spec("rw", _result_2004),
    "cmi.interactions.n.latency": Spec("rw", _duration),
    "cmi.interactions.n.description": Spec("rw", _string(250)),
    "cmi.launch_data": Spec("r"),
    "cmi.learner_id": Spec("r"),
    "cmi.learner_name": Spec("r"),
    "cmi.learner_preference._children": Spec("k"),
    "cmi.learner_preference.audio_level": Spec("rw", _real(0)),
    "cmi.learner_preference.language": Spec("rw", _language),
    "cmi.learner_preference.delivery_speed": Spec("rw", _real(0)),
    "cmi.learner_preference.audio_captioning": Spec("rw", _vocab("-1", "0", "1")),
    "cmi.location": Spec("rw", _string(1000)),
    "cmi.max_time_allowed": Spec("r"),
    "cmi.mode": Spec("r"),
    "cmi.objectives._children": Spec("k"),
    "cmi.objectives._count": Spec("k"),
    "cmi.objectives.n.id": Spec("rw", _identifier(4000)),
    "cmi.objectives.n.score._children": Spec("k"),
    "cmi.objectives.n.score.scaled": Spec("rw", _SCALED),
    "cmi.objectives.n.score.raw": Spec("rw", _REAL),
    "cmi.objectives.n.score.min": Spec("rw", _REAL),
    "cmi.objectives.n.score.max": Spec("rw", _REAL),
    "cmi.objectives.n.success_status": Spec("rw", _vocab(*_SUCCESS)),
    "cmi.objectives.n.completion_status": Spec("rw", _vocab(*_COMPLETION)),
    "cmi.objectives.n.progress_measure": Spec("rw", _PROGRESS),
    "cmi.objectives.n.description": Spec("rw", _string(250)),
    "cmi.progress_measure": Spec("rw", _PROGRESS),
    "cmi.scaled_passing_score": Spec("r"),
    "cmi.score._children": Spec("k"),
    "cmi.score.scaled": Spec("rw", _SCALED),
    "cmi.score.raw": Spec("rw", _REAL),
    "cmi.score.min": Spec("rw", _REAL),
    "cmi.score.max": Spec("rw", _REAL),
    "cmi.session_time": Spec("w", _duration),
    "cmi.success_status": Spec("rw", _vocab(*_SUCCESS)),
    "cmi.suspend_data": Spec("rw", _string(64000)),
    "cmi.time_limit_action": Spec("r"),
    "cmi.total_time": Spec("r"),
    "adl.nav.request": Spec("rw", _nav_request),
}

MODELS: dict[str, dict[str, Spec]] = {"scorm12": SCORM12, "scorm2004": SCORM2004}

# Error codes per version for each kind of refusal.
_CODES: dict[str, dict[str, int]] = {
    "scorm12": {
        "general": 201, "undefined": 201, "keyword": 402, "read_only": 403,
        "write_only": 404, "type": 405, "range": 405, "dependency": 201,
    },
    "scorm2004": {
        "general": 351, "undefined": 401, "keyword": 404, "read_only": 404,
        "write_only": 405, "type": 406, "range": 407, "dependency": 408,
    },
}  # fmt: skip

# Arrays whose records are created by setting their first field; the field each needs first.
_ARRAYS = {
    "cmi.objectives": "id",
    "cmi.interactions": "id",
    "cmi.interactions.n.objectives": "id",
    "cmi.interactions.n.correct_responses": "pattern",
    "cmi.comments_from_learner": None,
}

# ---------------------------------------------------------------- lookup helpers


def _fail(version: str, kind: str, message: str, element: str) -> CmiError:
    """A CmiError with the code this version uses for `kind`."""
    return CmiError(_CODES[version][kind], message, element)


def _model(version: str) -> dict[str, Spec]:
    """The element table of a version."""
    if version not in MODELS:
        raise ValueError(f"unknown SCORM version {version!r}")
    return MODELS[version]


def _pattern(element: str) -> tuple[str, list[int]] | None:
    """Replace array indices by 'n': ('cmi.interactions.n.id', [0]); None if malformed."""
    parts = element.split(".")
    indices: list[int] = []
    for i, part in enumerate(parts):
        if part.isdigit() and part.isascii():
            # Leading zeros would let "01" and "1" name the same record.
            if part != str(int(part)):
                return None
            indices.append(int(part))
            parts[i] = "n"
    return ".".join(parts), indices


def _lookup(version: str, element: str) -> tuple[str, list[int], Spec]:
    """Find an element's spec, or raise the version's 'undefined element' error."""
    found = _pattern(element) if element else None
    spec = _model(version).get(found[0]) if found else None
    if not found or spec is None:
        raise _fail(
            version,
            "undefined",
            f"{element!r} is not a {_name(version)} data model element",
            element,
        )
    return found[0], found[1], spec


def _name(version: str) -> str:
    """Human name of a version."""
    return "SCORM 1.2" if version == "scorm12" else "SCORM 2004"


def array_count(state: Mapping[str, str], prefix: str) -> int:
    """Number of records of an array, e.g. prefix 'cmi.interactions.' -> 3."""
    indices = set()
    for key in state:
        if key.startswith(prefix):
            head = key[len(prefix) :].split(".", 1)[0]
            if head.isdigit():
                indices.add(int(head))
    return len(indices)


# ---------------------------------------------------------------- public checks


def validate_get(version: Version, element: str) -> None:
    """Refuse a GetValue of an unknown or write-only element."""
    _, _, spec = _lookup(version, element)
    if spec.access == "w":
        raise _fail(version, "write_only", "element is write only", element)


def validate_set(version: Version, element: str, value: str, state: Mapping[str, str]) -> None:
    """Refuse a SetValue the standard does not allow, given the current state."""
    if not isinstance(value, str):
        raise _fail(version, "type", "value must be a string", element)
    pattern, indices, spec = _lookup(version, element)
    if spec.access == "k":
        raise _fail(version, "keyword", "element is a keyword and cannot be set", element)
    if spec.access == "r":
        raise _fail(version, "read_only", "element is read only", element)
    _check_indices(version, element, pattern, indices, state)
    try:
        if spec.check is not None:
            spec.check(value)
        elif version == "scorm2004":
            _check_response(element, pattern, indices, value, state)
    except _Bad as bad:
        raise _fail(version, bad.kind, bad.message, element) from None
    _check_uniqueness(version, element, pattern, indices, value, state)


def _check_indices(
    version: str, element: str, pattern: str, indices: list[int], state: Mapping[str, str]
) -> None:
    """Array records must be created in order, first field first (2004: error 408)."""
    parts = element.split(".")
    depth = 0
    for i, part in enumerate(parts):
        if not (part.isdigit() and part.isascii()):
            continue
        prefix = ".".join(parts[:i]) + "."
        count = array_count(state, prefix)
        index = indices[depth]
        depth += 1
        if index > count:
            raise _fail(
                version, "general",
                f"array index {index} is out of order (next free index is {count})", element,
            )  # fmt: skip
        array = _pattern(".".join(parts[:i]))
        first = _ARRAYS.get(array[0]) if array else None
        record = prefix + part + "."
        field = parts[i + 1] if i + 1 < len(parts) else ""
        # 1.2 has no dependency error and real 1.2 SCOs skip ids, so only 2004 insists.
        needs_first = version == "scorm2004" and first and field != first
        if needs_first and f"{record}{first}" not in state:
            raise _fail(
                version, "dependency", f"{record}{first} must be set before {element}", element
            )


def _check_uniqueness(
    version: str,
    element: str,
    pattern: str,
    indices: list[int],
    value: str,
    state: Mapping[str, str],
) -> None:
    """2004: identifiers are unique in their array and, once set, cannot change."""
    if version != "scorm2004" or not pattern.endswith(".n.id"):
        return
    if state.get(element) not in (None, value):
        raise _fail(version, "general", "an identifier cannot be changed once set", element)
    prefix = element.rsplit(".", 2)[0] + "."
    for key, existing in state.items():
        same_array = key.startswith(prefix) and (_pattern(key) or ("",))[0] == pattern
        if key != element and existing == value and same_array:
            raise _fail(version, "general", f"identifier {value!r} is already used", element)


# ---------------------------------------------------------------- 2004 responses by type


def _ids(value: str, sep: str = "[,]") -> list[str]:
    """Split a 2004 response list and check each part is a short identifier."""
    parts = value.split(sep) if value else []
    for part in parts:
        if not _SHORT_ID.match(part):
            raise _Bad("type", f"{part!r} is not a valid short identifier")
    return parts


def _check_response(
    element: str, pattern: str, indices: list[int], value: str, state: Mapping[str, str]
) -> None:
    """Check correct_responses.n.pattern / learner_response against the interaction type."""
    record = f"cmi.interactions.{indices[0]}."
    kind = state.get(record + "type")
    if kind is None:
        # The format of a response depends on the type (RTE 4.2.9), so type comes first.
        raise _BadDependency(record + "type")
    is_pattern = pattern.endswith(".pattern")
    if len(value) > 4000:
        raise _Bad("range", "longer than 4000 characters")
    if kind == "true-false":
        if value not in ("true", "false"):
            raise _Bad("type", "must be 'true' or 'false'")
    elif kind == "choice":
        parts = _ids(value)
        if len(set(parts)) != len(parts):
            raise _Bad("type", "choices must not repeat")
    elif kind in ("sequencing", "likert"):
        parts = _ids(value)
        if kind == "likert" and len(parts) != 1:
            raise _Bad("type", "a likert response is one identifier")
    elif kind == "matching":
        for pair in value.split("[,]"):
            halves = pair.split("[.]")
            if len(halves) != 2 or not all(_SHORT_ID.match(h) for h in halves):
                raise _Bad("type", f"{pair!r} is not a source[.]target pair")
    elif kind == "numeric":
        if is_pattern:
            bounds = value.split("[:]")
            if len(bounds) != 2 or not all(b == "" or _DECIMAL.match(b) for b in bounds):
                raise _Bad("type", "must be min[:]max")
        elif not _DECIMAL.match(value):
            raise _Bad("type", "must be a number")


class _BadDependency(_Bad):
    """A response set before its interaction's type."""

    def __init__(self, needed: str) -> None:
        super().__init__("type", f"{needed} must be set first")
        self.kind = "dependency"  # type: ignore[assignment]


# ---------------------------------------------------------------- durations


def parse_duration(version: Version, value: str) -> float:
    """Seconds in a CMITimespan (1.2) or ISO 8601 duration (2004)."""
    if version == "scorm12":
        match = _TIMESPAN_12.match(value)
        if not match:
            raise ValueError(f"not a CMITimespan: {value!r}")
        h, m, s, frac = match.groups()
        return int(h) * 3600 + int(m) * 60 + int(s) + float(frac or 0)
    match = _DURATION.match(value)
    if not match or not any(match.groups()):
        raise ValueError(f"not an ISO 8601 duration: {value!r}")
    y, mo, d, h, mi, s = (float(g) if g else 0.0 for g in match.groups())
    # Years and months have no fixed length; SCORM players use 365 and 30 days.
    return ((y * 365 + mo * 30 + d) * 24 + h) * 3600 + mi * 60 + s


def format_duration(version: Version, seconds: float) -> str:
    """Seconds as CMITimespan 'HHHH:MM:SS.SS' (1.2) or 'PT#H#M#S' (2004)."""
    centis = round(seconds * 100)
    hours, rest = divmod(centis, 360000)
    minutes, rest = divmod(rest, 6000)
    secs = rest / 100
    if version == "scorm12":
        return f"{hours:04d}:{minutes:02d}:{secs:05.2f}"
    text = f"{secs:.2f}".rstrip("0").rstrip(".")
    return f"PT{hours}H{minutes}M{text}S"


# ---------------------------------------------------------------- state


def initial_state(
    version: Version,
    *,
    learner_id: str,
    learner_name: str,
    credit: bool = True,
    mode: str = "normal",
    launch_data: str | None = None,
    mastery_score: float | None = None,
    scaled_passing_score: float | None = None,
    completion_threshold: float | None = None,
) -> dict[str, str]:
    """The state an LMS hands a SCO on its first launch."""
    credit_word = "credit" if credit else "no-credit"
    if version == "scorm12":
        state = {
            "cmi.core.student_id": learner_id,
            "cmi.core.student_name": learner_name,
            "cmi.core.credit": credit_word,
            "cmi.core.lesson_status": "not attempted",
            "cmi.core.entry": "ab-initio",
            "cmi.core.lesson_mode": mode,
            "cmi.core.total_time": "0000:00:00.00",
            "cmi.launch_data": launch_data or "",
        }
        if mastery_score is not None:
            state["cmi.student_data.mastery_score"] = f"{mastery_score:g}"
    else:
        state = {
            "cmi.learner_id": learner_id,
            "cmi.learner_name": learner_name,
            "cmi.credit": credit_word,
            "cmi.completion_status": "unknown",
            "cmi.success_status": "unknown",
            "cmi.entry": "ab-initio",
            "cmi.mode": mode,
            "cmi.total_time": "PT0H0M0S",
            "cmi.launch_data": launch_data or "",
        }
        if scaled_passing_score is not None:
            state["cmi.scaled_passing_score"] = f"{scaled_passing_score:g}"
        if completion_threshold is not None:
            state["cmi.completion_threshold"] = f"{completion_threshold:g}"
    return state


def _keys(version: str) -> tuple[str, str, str]:
    """(total_time, session_time, exit) element names of a version."""
    if version == "scorm12":
        return "cmi.core.total_time", "cmi.core.session_time", "cmi.core.exit"
    return "cmi.total_time", "cmi.session_time", "cmi.exit"


# Bookkeeping: set by any commit of a session, removed when the session ends; a launch
# only ends (and re-enters) the sessions that actually ran.
ACTIVE = "cakap.session_active"
# Bookkeeping: the id of the last session whose finish was applied, so a finish that
# arrives twice (postMessage and beacon on unload) is applied once.
FINISHED = "cakap.finished_session"


def end_session(version: Version, state: Mapping[str, str]) -> dict[str, str]:
    """Close a session: the next entry follows this exit; session values are cleared.

    cmi.core.exit / cmi.exit "suspend" makes the next entry "resume" (bookmark and
    suspend_data kept); any other exit makes it "" and, in 1.2, drops suspend_data (RTE
    1.2 3.4.4, 2004 RTE 4.2.8).
    """
    total, session, exit_ = _keys(version)
    new = dict(state)
    suspended = new.pop(exit_, "") == "suspend"
    entry = "cmi.core.entry" if version == "scorm12" else "cmi.entry"
    new[entry] = "resume" if suspended else ""
    new.pop(session, None)
    new.pop(ACTIVE, None)
    new[SESSION_BASE] = new.get(total, format_duration(version, 0))
    if not suspended and version == "scorm12":
        # In 2004 the sequencer decides: a new attempt on the activity starts from fresh
        # data, and a Suspend All after this exit resumes it with what it had.
        new.pop("cmi.suspend_data", None)
    return new


def begin_session(version: Version, state: Mapping[str, str]) -> dict[str, str]:
    """State for a new launch: a session left open (no finish) is ended first.

    A SCO that was never run keeps cmi.core.entry / cmi.entry "ab-initio".
    """
    if ACTIVE in state:
        return end_session(version, state)
    total, _, _ = _keys(version)
    new = dict(state)
    new[SESSION_BASE] = new.get(total, format_duration(version, 0))
    return new


def finish(
    version: Version,
    state: Mapping[str, str],
    *,
    completion_set_by_content: bool = False,
    objective_set_by_content: bool = False,
) -> dict[str, str]:
    """What the LMS does when a SCO calls LMSFinish/Terminate or is unloaded.

    SCORM 1.2 (RTE 3.4.4): lesson_status never set -> "completed" ("browsed" in browse
    mode); with credit, a mastery score and a raw score decide passed/failed.
    SCORM 2004 (SN 4th ed. 4.6, delivery controls): unless the package says the content
    sets them, an unreported completion becomes "completed" and an unreported success
    "passed", unless the SCO exits with "suspend": its attempt is not over, so nothing
    is decided for it yet (SN UP.4). The session then ends (exit -> next entry).
    """
    new = dict(state)
    if version != "scorm12" and new.get("cmi.exit") == "suspend":
        return end_session(version, new)
    if version == "scorm12":
        if new.get("cmi.core.lesson_status", "not attempted") == "not attempted":
            browse = new.get("cmi.core.lesson_mode") == "browse"
            new["cmi.core.lesson_status"] = "browsed" if browse else "completed"
        _apply_mastery_12(new)
    else:
        if not completion_set_by_content and new.get("cmi.completion_status", "unknown") in (
            "unknown",
            "not attempted",
        ):
            new["cmi.completion_status"] = "completed"
        if not objective_set_by_content and new.get("cmi.success_status", "unknown") == "unknown":
            new["cmi.success_status"] = "passed"
    return end_session(version, new)


def apply_commit(
    version: Version, state: Mapping[str, str], updates: Mapping[str, str]
) -> dict[str, str]:
    """Validate updates in order and return the new state (the input is not changed).

    total_time = total at session start + the latest session_time, so a SCO that commits
    session_time several times in one session is not counted twice.
    """
    new = dict(state)
    for element, value in updates.items():
        validate_set(version, element, value, new)
        new[element] = value
    if updates:
        new[ACTIVE] = "1"
    total, session, _ = _keys(version)
    if session in updates:
        base = new.get(SESSION_BASE) or state.get(total) or format_duration(version, 0)
        new.setdefault(SESSION_BASE, base)
        seconds = parse_duration(version, base) + parse_duration(version, updates[session])
        new[total] = format_duration(version, seconds)
    if version == "scorm12":
        _apply_mastery_12(new)
    return new


def _apply_mastery_12(state: dict[str, str]) -> None:
    """RTE 1.2 3.4.4: with credit, a mastery score and a raw score decide passed/failed."""
    mastery = state.get("cmi.student_data.mastery_score")
    raw = state.get("cmi.core.score.raw")
    if mastery and raw and state.get("cmi.core.credit", "credit") == "credit":
        state["cmi.core.lesson_status"] = "passed" if float(raw) >= float(mastery) else "failed"


def _float(value: str | None) -> float | None:
    """A float from a stored value, or None when empty."""
    return float(value) if value not in (None, "") else None


def derive_status(
    version: Version, state: Mapping[str, str], mastery_score: float | None = None
) -> tuple[Completion, Success, float | None]:
    """(completion, success, score) for the LMS from a SCO's state.

    mastery_score is the 1.2 masteryscore (0..100) or, for 2004, a scaled passing score
    (-1..1) that overrides cmi.scaled_passing_score. The score is 1.2 score.raw, or for
    2004 score.scaled x 100 when given, else score.raw.
    """
    if version == "scorm12":
        return _derive_12(state, mastery_score)
    return _derive_2004(state, mastery_score)


def _derive_12(
    state: Mapping[str, str], mastery: float | None
) -> tuple[Completion, Success, float | None]:
    """SCORM 1.2 rollup from lesson_status, score.raw and the mastery score."""
    raw = _float(state.get("cmi.core.score.raw"))
    if mastery is None:
        mastery = _float(state.get("cmi.student_data.mastery_score"))
    status = state.get("cmi.core.lesson_status", "not attempted")
    if (
        mastery is not None
        and raw is not None
        and state.get("cmi.core.credit", "credit") == "credit"
    ):
        status = "passed" if raw >= mastery else "failed"
    completion: Completion
    success: Success = "unknown"
    if status in ("passed", "failed"):
        completion, success = "completed", status  # type: ignore[assignment]
    elif status == "completed":
        completion = "completed"
    elif status in ("incomplete", "browsed"):
        completion = "incomplete"
    else:
        completion = "not_attempted"
    return completion, success, raw


def _derive_2004(
    state: Mapping[str, str], passing: float | None
) -> tuple[Completion, Success, float | None]:
    """SCORM 2004 rollup; threshold and passing score override the SCO (RTE 4.2.4, 4.2.22)."""
    threshold = _float(state.get("cmi.completion_threshold"))
    progress = _float(state.get("cmi.progress_measure"))
    status = state.get("cmi.completion_status", "unknown")
    if threshold is not None:
        # RTE 4.2.4.1: with a threshold, progress_measure alone decides (unknown without it).
        status = (
            "unknown"
            if progress is None
            else ("completed" if progress >= threshold else "incomplete")
        )
    completion: Completion = {"completed": "completed", "incomplete": "incomplete"}.get(
        status, "not_attempted"
    )  # type: ignore[assignment]
    if passing is None:
        passing = _float(state.get("cmi.scaled_passing_score"))
    scaled = _float(state.get("cmi.score.scaled"))
    success: Success = state.get("cmi.success_status", "unknown")  # type: ignore[assignment]
    if passing is not None:
        success = "unknown" if scaled is None else ("passed" if scaled >= passing else "failed")
    if success not in ("passed", "failed"):
        success = "unknown"
    raw = _float(state.get("cmi.score.raw"))
    score = scaled * 100 if scaled is not None else raw
    return completion, success, score

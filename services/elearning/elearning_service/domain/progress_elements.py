"""Runtime elements of non-SCORM modules (PDF, video, page) and of SCORM assets.

The player reports these through the same PUT as SCORM content, so they are validated the
same way (422 naming the element) and the server alone decides completion:
- progress.opened     "true"  the content was shown
- progress.confirmed  "true"  the learner pressed "Selesai membaca" (PDF, page)
- progress.watched    0..1    share of a video's duration actually played (kept as a maximum)
- progress.position   >= 0    seconds into the video, to resume
- progress.session_time       ISO 8601 duration of this session (total time, as in SCORM 2004)
"""

from __future__ import annotations

from collections.abc import Mapping

from ..scorm.datamodel import SESSION_BASE, CmiError, Completion, format_duration, parse_duration

TOTAL = "progress.total_time"
# Watching this share of a video counts as having seen it.
VIDEO_DONE = 0.9


def _decimal(element: str, value: str, lo: float, hi: float | None) -> float:
    try:
        number = float(value)
    except ValueError:
        raise CmiError(406, "must be a decimal number", element) from None
    if number != number or number < lo or (hi is not None and number > hi):  # NaN too
        bound = f"between {lo:g} and {hi:g}" if hi is not None else f"at least {lo:g}"
        raise CmiError(407, f"must be {bound}", element)
    return number


def apply_progress(state: Mapping[str, str], updates: Mapping[str, str]) -> dict[str, str]:
    """Validate all updates; the new state (input unchanged), or CmiError on the first bad one."""
    new = dict(state)
    for element, value in updates.items():
        if element in ("progress.opened", "progress.confirmed"):
            if value != "true":
                raise CmiError(406, "must be 'true'", element)
            new[element] = value
        elif element == "progress.watched":
            watched = _decimal(element, value, 0, 1)
            new[element] = f"{max(watched, float(new.get(element) or 0)):g}"
        elif element == "progress.position":
            new[element] = f"{_decimal(element, value, 0, None):g}"
        elif element == "progress.session_time":
            try:
                seconds = parse_duration("scorm2004", value)
            except ValueError:
                raise CmiError(
                    406, "must be an ISO 8601 duration such as PT1M30S", element
                ) from None
            base = new.setdefault(SESSION_BASE, new.get(TOTAL, "PT0H0M0S"))
            new[TOTAL] = format_duration("scorm2004", parse_duration("scorm2004", base) + seconds)
        else:
            raise CmiError(401, f"{element!r} is not a progress element of this module", element)
    return new


def begin_progress_session(state: Mapping[str, str]) -> dict[str, str]:
    """A new launch: session time counts on top of the total so far."""
    new = dict(state)
    new[SESSION_BASE] = new.get(TOTAL, "PT0H0M0S")
    return new


def progress_completion(kind: str, state: Mapping[str, str]) -> Completion:
    """Completion of a PDF/page (confirmed), video (watched >= 90 %) or asset (opened)."""
    opened = state.get("progress.opened") == "true"
    if kind in ("pdf", "page"):
        done = state.get("progress.confirmed") == "true"
    elif kind == "video":
        done = float(state.get("progress.watched") or 0) >= VIDEO_DONE
    else:  # a SCORM asset: launching it is all it asks
        done = opened
    if done:
        return "completed"
    started = opened or any(k.startswith("progress.") and k != TOTAL for k in state)
    return "incomplete" if started else "not_attempted"


def progress_seconds(state: Mapping[str, str]) -> float:
    """Total time recorded for a non-SCORM item."""
    return parse_duration("scorm2004", state.get(TOTAL, "PT0H0M0S"))

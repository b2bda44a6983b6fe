"""Attempts: start or resume, commit runtime data, roll it up, publish completion once."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import Any

from cakap_shared.db import utcnow
from cakap_shared.problems import CakapError
from sqlalchemy import select, update

from .extensions import db, events
from .models import Attempt, Module, ModuleVersion
from .progress_model import (
    apply_progress,
    begin_progress_session,
    progress_completion,
    progress_seconds,
)
from .scorm.datamodel import (
    CmiError,
    apply_commit,
    begin_session,
    derive_status,
    initial_state,
    parse_duration,
)

SCORM_KINDS = ("scorm12", "scorm2004")
MAIN = "main"  # the one item of a PDF, video or page module


def items(version: ModuleVersion) -> list[dict[str, Any]]:
    """The launchable items of a version: SCOs/assets for SCORM, one item otherwise."""
    info = version.info
    if version.kind in SCORM_KINDS:
        return info["scos"]
    return [
        {
            "identifier": MAIN,
            "title": info.get("title", ""),
            "href": info["launch"],
            "scorm_type": "asset",
        }
    ]


def _is_sco(version: ModuleVersion, item: Mapping[str, Any]) -> bool:
    return version.kind in SCORM_KINDS and item.get("scorm_type") == "sco"


def _initial(
    version: ModuleVersion, item: Mapping[str, Any], learner_id: str, name: str
) -> dict[str, str]:
    if not _is_sco(version, item):
        return {}
    return initial_state(
        version.kind,  # type: ignore[arg-type]
        learner_id=learner_id,
        learner_name=name,
        launch_data=item.get("launch_data"),
        mastery_score=item.get("mastery_score"),
        scaled_passing_score=item.get("scaled_passing_score"),
        completion_threshold=item.get("completion_threshold"),
    )


def open_attempt(module: Module, learner_id: str) -> Attempt | None:
    """The learner's open attempt on this module, if any."""
    return db.session.scalars(
        select(Attempt).where(
            Attempt.module_id == module.id,
            Attempt.learner_id == learner_id,
            Attempt.status == "open",
        )
    ).first()


def start_or_resume(module: Module, learner_id: str, learner_name: str) -> Attempt:
    """Resume the open attempt (its pinned version) or start one on the current version.

    Every launch begins a new session in each item (entry, session time base) and rotates
    the launch nonce, which retires the URLs of earlier launches.
    """
    attempt = open_attempt(module, learner_id)
    if attempt is None:
        version = module.version()
        done = db.session.scalar(
            select(db.func.count())
            .select_from(Attempt)
            .where(Attempt.module_id == module.id, Attempt.learner_id == learner_id)
        )
        state = {
            i["identifier"]: _initial(version, i, learner_id, learner_name) for i in items(version)
        }
        attempt = Attempt(
            learner_id=learner_id,
            learner_name=learner_name[:200],
            module_id=module.id,
            version_id=version.id,
            version=version,
            number=(done or 0) + 1,
            cmi=json.dumps(state),
            launch_nonce="",
        )
        db.session.add(attempt)
    version = attempt.version
    state = attempt.state
    for item in items(version):
        key = item["identifier"]
        current = state.get(key, {})
        state[key] = (
            begin_session(version.kind, current)  # type: ignore[arg-type]
            if _is_sco(version, item)
            else begin_progress_session(current)
        )
    attempt.cmi = json.dumps(state)
    attempt.launch_nonce = secrets.token_urlsafe(16)
    attempt.updated_at = utcnow()
    return attempt


def find_item(version: ModuleVersion, identifier: str | None) -> dict[str, Any]:
    """An item by identifier (the first one when None); 422 naming `sco` when unknown."""
    all_items = items(version)
    if identifier is None:
        return all_items[0]
    for item in all_items:
        if item["identifier"] == identifier:
            return item
    raise CakapError(
        422,
        f"sco: {identifier!r} is not an item of this module",
        errors={"sco": ["not an item of this module"]},
    )


def _as_strings(body: Any) -> dict[str, str]:
    """The PUT body as element -> string; numbers are accepted and written as text."""
    if not isinstance(body, dict) or not body:
        raise CakapError(
            422,
            "The body must be a non-empty JSON object of element: value.",
            errors={"_body": ['expected {"element": "value", ...}']},
        )
    out: dict[str, str] = {}
    for element, value in body.items():
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise CakapError(
                422,
                f"{element}: the value must be a string",
                errors={element: ["the value must be a string"]},
            )
        out[element] = (
            value
            if isinstance(value, str)
            else f"{value:g}"
            if isinstance(value, float)
            else str(value)
        )
    return out


def commit(attempt: Attempt, sco: str | None, body: Any) -> dict[str, str]:
    """Validate all elements (nothing stored if one fails), store, roll up, publish."""
    updates = _as_strings(body)
    version = attempt.version
    item = find_item(version, sco)
    state = attempt.state
    current = state.get(item["identifier"], {})
    try:
        if _is_sco(version, item):
            new = apply_commit(version.kind, current, updates)  # type: ignore[arg-type]
        else:
            new = apply_progress(current, updates)
    except CmiError as err:
        raise CakapError(
            422,
            f"{err.element}: {err.message}",
            errors={err.element: [f"{err.message} (SCORM error {err.code})"]},
            cmi_error=err.code,
        ) from None
    state[item["identifier"]] = new
    attempt.cmi = json.dumps(state)
    attempt.updated_at = utcnow()
    rollup(attempt, state)
    return new


def rollup(attempt: Attempt, state: Mapping[str, Mapping[str, str]]) -> None:
    """Completion, success, score and time of the whole attempt from its items."""
    version = attempt.version
    completions: list[str] = []
    successes: list[str] = []
    scores: list[float] = []
    seconds = 0.0
    for item in items(version):
        s = state.get(item["identifier"], {})
        if _is_sco(version, item):
            completion, success, score = derive_status(version.kind, s)  # type: ignore[arg-type]
            total = s.get("cmi.core.total_time" if version.kind == "scorm12" else "cmi.total_time")
            seconds += parse_duration(version.kind, total) if total else 0.0  # type: ignore[arg-type]
            successes.append(success)
            if score is not None:
                scores.append(score)
        else:
            kind = version.kind if version.kind not in SCORM_KINDS else "asset"
            completion = progress_completion(kind, s)
            seconds += progress_seconds(s)
        completions.append(completion)
    if all(c == "completed" for c in completions):
        attempt.completion = "completed"
    elif any(c != "not_attempted" for c in completions):
        attempt.completion = "incomplete"
    else:
        attempt.completion = "not_attempted"
    if "failed" in successes:
        attempt.success = "failed"
    elif "passed" in successes and attempt.completion == "completed":
        attempt.success = "passed"
    else:
        attempt.success = "unknown"
    attempt.score = round(sum(scores) / len(scores), 2) if scores else None
    attempt.total_seconds = round(seconds, 2)
    _publish_once(attempt)


def _claim(attempt: Attempt, flag: str) -> bool:
    """Set a published flag only if nobody did: exactly one commit publishes each event."""
    column = getattr(Attempt, flag)
    result = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, column.is_(False))
        .values({flag: True})
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _publish_once(attempt: Attempt) -> None:
    if attempt.completion == "completed" and not attempt.completed_published:
        if attempt.completed_at is None:
            attempt.completed_at = utcnow()
        # A completed attempt is closed: the next launch starts a new attempt.
        attempt.status, attempt.open_slot = "closed", None
        if _claim(attempt, "completed_published"):
            attempt.completed_published = True
            events.publish("module.completed", event_data(attempt), attempt.id)
    if (
        attempt.success == "passed"
        and not attempt.passed_published
        and _claim(attempt, "passed_published")
    ):
        attempt.passed_published = True
        events.publish("module.passed", event_data(attempt), attempt.id)


def event_data(attempt: Attempt) -> dict[str, Any]:
    """The data of module.completed / module.passed (COMMON.md)."""
    completed = attempt.completed_at or utcnow()
    return {
        "attempt_id": attempt.id,
        "module_id": attempt.module_id,
        "learner_id": attempt.learner_id,
        "completed_at": completed.isoformat(),
        "score": attempt.score,
        "success": attempt.success,
    }

"""Attempts: start or resume, commit runtime data, roll it up, publish completion once."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

from cakap_shared.db import utcnow
from cakap_shared.problems import CakapError
from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult

from ..extensions import db, events
from ..models import (
    OPEN_SLOTS,
    SCORM_KINDS,
    Attempt,
    AttemptStatus,
    Completion,
    LearnerObjective,
    Mode,
    Module,
    ModuleKind,
    ModuleVersion,
    Success,
)
from ..scorm import sequencing
from ..scorm.datamodel import (
    ACTIVE,
    FINISHED,
    CmiError,
    apply_commit,
    begin_session,
    derive_status,
    finish,
    initial_state,
    parse_duration,
)
from .progress_elements import (
    apply_progress,
    begin_progress_session,
    progress_completion,
    progress_seconds,
)

# cmi.core.lesson_mode / cmi.mode a SCO is given per launch mode (RTE 1.2 3.4.4, 2004
# RTE 4.2.18): a completed course is reviewed, a trainer's preview browses.
CMI_MODES = {Mode.NORMAL: "normal", Mode.REVIEW: "review", Mode.PREVIEW: "browse"}
MAIN = "main"  # the one item of a PDF, video or page module
# Where a SCORM 2004 attempt keeps its sequencing tracking in the state; "#" cannot start
# an item identifier (an XML ID), so it never collides with one.
SEQUENCING = "#sequencing"
NAV_REQUESTS = (
    "start",
    "resumeAll",
    "continue",
    "previous",
    "choice",
    "exit",
    "exitAll",
    "suspendAll",
    "abandon",
    "abandonAll",
)


@dataclass(frozen=True)
class _Outline:
    """What the runtime reads from a version's summary: its items and its activity tree."""

    items: list[dict[str, Any]]
    tree: sequencing.Tree | None


def items(version: ModuleVersion) -> list[dict[str, Any]]:
    """The launchable items of a version: SCOs/assets for SCORM, one item otherwise.

    Shared by every request reading the same summary: read them, never change them.
    """
    return _outline(version.kind, version.summary).items


def activity_tree(version: ModuleVersion) -> sequencing.Tree | None:
    """The SCORM 2004 activity tree of a version (None for everything else); shared, as
    items() are."""
    return _outline(version.kind, version.summary).tree


# A commit reads a version's items and tree several times (item, rollup, controls), and
# every commit of every learner reads the same few versions: a 2004 tree takes some 0.2 ms
# to build, its summary some 0.1 ms to parse. Keyed by the summary itself, not the
# version's id, so a summary that changed is read afresh. 32 versions played at once per
# worker is plenty for a city; a package's summary is a few KB (a large one some 100 KB).
@lru_cache(maxsize=32)
def _outline(kind: ModuleKind, summary: str) -> _Outline:
    info = json.loads(summary)
    if kind in SCORM_KINDS:
        all_items = info["scos"]
    else:
        all_items = [
            {
                "identifier": MAIN,
                "title": info.get("title", ""),
                "href": info["launch"],
                "scorm_type": "asset",
            }
        ]
    if kind != ModuleKind.SCORM2004:
        return _Outline(all_items, None)
    # Versions uploaded before sequencing was read have no tree in their summary; their
    # items become the children of one root with the default sequencing.
    data = info.get("sequencing") or {
        "id": "#root",
        "title": info.get("title", ""),
        "children": [
            {"id": i["identifier"], "title": i.get("title", ""), "launch": True}
            for i in info["scos"]
        ],
    }
    return _Outline(all_items, sequencing.Tree.from_dict(data))


def _tracking(state: Mapping[str, Any]) -> dict[str, Any]:
    tracking = state.get(SEQUENCING)
    return dict(tracking) if isinstance(tracking, dict) else sequencing.new_tracking()


# A global objective id longer than this stays with the attempt (the table's key size).
MAX_GLOBAL_ID = 255


def _shared_targets(tree: sequencing.Tree) -> set[str]:
    """The global objectives of a tree that live with the learner, not the attempt."""
    if not tree.global_to_system:
        return set()
    return {t for t in tree.global_targets() if len(t) <= MAX_GLOBAL_ID}


def _load_tracking(
    attempt: Attempt, tree: sequencing.Tree, state: Mapping[str, Any]
) -> sequencing.Tracking:
    """The attempt's tracking with the learner's system-wide global objectives in it."""
    tracking = _tracking(state)
    targets = _shared_targets(tree)
    if targets:
        rows = db.session.scalars(
            select(LearnerObjective).where(
                LearnerObjective.learner_id == attempt.learner_id,
                LearnerObjective.objective_id.in_(targets),
            )
        )
        globals_ = dict(tracking.get("globals", {}))
        globals_.update({row.objective_id: row.record() for row in rows})
        tracking["globals"] = globals_
    return tracking


def _store_tracking(
    attempt: Attempt, tree: sequencing.Tree, state: dict[str, Any], tracking: sequencing.Tracking
) -> None:
    """Keep the tracking in the attempt and the system-wide globals with the learner."""
    targets = _shared_targets(tree)
    globals_ = tracking.get("globals", {})
    for target in targets & set(globals_):
        row = db.session.get(LearnerObjective, (attempt.learner_id, target))
        value = globals_[target]
        if row is None:
            row = LearnerObjective(learner_id=attempt.learner_id, objective_id=target)
            db.session.add(row)
        elif row.record() == value:
            continue
        row.status_known, row.satisfied = value["status_known"], value["satisfied"]
        row.measure_known, row.measure = value["measure_known"], value["measure"]
        row.updated_at = utcnow()
    kept = {k: v for k, v in globals_.items() if k not in targets}
    state[SEQUENCING] = {**tracking, "globals": kept}


def _is_sco(version: ModuleVersion, item: Mapping[str, Any]) -> bool:
    return version.kind in SCORM_KINDS and item.get("scorm_type") == "sco"


def _initial(
    version: ModuleVersion, item: Mapping[str, Any], learner_id: str, name: str, mode: Mode
) -> dict[str, str]:
    if not _is_sco(version, item):
        return {}
    return initial_state(
        version.kind,  # type: ignore[arg-type]
        learner_id=learner_id,
        learner_name=name,
        # Only a counting launch has credit: the others are told so (cmi.credit no-credit).
        credit=mode == Mode.NORMAL,
        mode=CMI_MODES[mode],
        launch_data=item.get("launch_data"),
        mastery_score=item.get("mastery_score"),
        scaled_passing_score=item.get("scaled_passing_score"),
        completion_threshold=item.get("completion_threshold"),
    )


def open_attempt(module: Module, learner_id: str, mode: Mode = Mode.NORMAL) -> Attempt | None:
    """The learner's open attempt on this module in this launch mode, if any."""
    return db.session.scalars(
        select(Attempt).where(
            Attempt.module_id == module.id,
            Attempt.learner_id == learner_id,
            Attempt.mode == mode,
            Attempt.status == AttemptStatus.OPEN,
        )
    ).first()


def start_or_resume(
    module: Module, learner_id: str, learner_name: str, mode: Mode = Mode.NORMAL
) -> Attempt:
    """Resume the open attempt of this mode (its pinned version) or start one on the
    current version; attempts are numbered per mode, so reviews never shift the count.

    Every launch begins a new session in each item (entry, session time base) and rotates
    the launch nonce, which retires the URLs of earlier launches.
    """
    attempt = open_attempt(module, learner_id, mode)
    if attempt is None:
        version = module.version()
        done = db.session.scalar(
            select(db.func.count())
            .select_from(Attempt)
            .where(
                Attempt.module_id == module.id,
                Attempt.learner_id == learner_id,
                Attempt.mode == mode,
            )
        )
        initial = {
            i["identifier"]: _initial(version, i, learner_id, learner_name, mode)
            for i in items(version)
        }
        attempt = Attempt(
            learner_id=learner_id,
            learner_name=learner_name[:200],
            module_id=module.id,
            version_id=version.id,
            version=version,
            number=(done or 0) + 1,
            mode=mode,
            open_slot=OPEN_SLOTS[mode],
            cmi=json.dumps(initial),
            launch_nonce="",
        )
        db.session.add(attempt)
    version = attempt.version
    state = attempt.state
    tracking = state.get(SEQUENCING)
    if isinstance(tracking, dict):
        # A new launch is a new sequencing session: what was delivered is no longer shown.
        tracking["current"] = None if not tracking.get("suspended") else tracking["current"]
        for record in tracking.get("activities", {}).values():
            record["active"] = False
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


def commit(
    attempt: Attempt, sco: str | None, body: Any, finish_session: str | None = None
) -> tuple[dict[str, str], sequencing.Result | None]:
    """Validate all elements (nothing stored if one fails), store, roll up, publish.

    `finish_session` (the id the player gave the SCO's session) says the SCO called
    LMSFinish/Terminate or was unloaded: the finish rules apply once per session, and a
    SCORM 2004 adl.nav.request (or cmi.exit logout/time-out) is acted upon.
    """
    updates = {} if finish_session and not body else _as_strings(body)
    version = attempt.version
    item = find_item(version, sco)
    state = attempt.state
    current = state.get(item["identifier"], {})
    tree = activity_tree(version)
    if finish_session and current.get(FINISHED) == finish_session:
        # The same finish again (postMessage and beacon): already stored and acted upon;
        # applying it after a later navigation would undo that navigation's effects.
        if tree is None:
            return current, None
        kept = _tracking(state)
        return current, sequencing.Result(deliver=kept["current"], ended=kept["ended"])
    new = _apply(version, item, current, updates)
    request: tuple[str, str | None] | None = None
    suspended: bool | None = None
    tracking = _load_tracking(attempt, tree, state) if tree is not None else None
    if finish_session and _is_sco(version, item) and new.get(FINISHED) != finish_session:
        new, request, suspended = _finish(version, item, new, tree, tracking)
        new[FINISHED] = finish_session
    nav: sequencing.Result | None = None
    state[item["identifier"]] = new
    if tree is not None and tracking is not None:
        sequencing.report(tree, tracking, item["identifier"], new, suspended=suspended)
        if request is not None:
            nav = sequencing.navigate(tree, tracking, *request)
            _fresh_runtime_data(attempt, state, nav)
            _resume_entry(state, tracking, request[0])
        _store_tracking(attempt, tree, state, tracking)
    attempt.cmi = json.dumps(state)
    attempt.updated_at = utcnow()
    rollup(attempt, state, tracking)
    return new, nav


def _apply(
    version: ModuleVersion,
    item: Mapping[str, Any],
    current: dict[str, str],
    updates: dict[str, str],
) -> dict[str, str]:
    """The item's state with the updates applied; 422 naming the first bad element."""
    try:
        if _is_sco(version, item):
            return apply_commit(version.kind, current, updates)  # type: ignore[arg-type]
        return apply_progress(current, updates)
    except CmiError as err:
        raise CakapError(
            422,
            f"{err.element}: {err.message}",
            errors={err.element: [f"{err.message} (SCORM error {err.code})"]},
            cmi_error=err.code,
        ) from None


def _finish(
    version: ModuleVersion,
    item: Mapping[str, Any],
    new: dict[str, str],
    tree: sequencing.Tree | None,
    tracking: sequencing.Tracking | None,
) -> tuple[dict[str, str], tuple[str, str | None] | None, bool | None]:
    """A SCO's session ended: its state after the finish rules, the navigation request it
    left, and (2004) whether it ended suspended."""
    activity = tree.by_id.get(item["identifier"]) if tree else None
    request = _pending_request(version.kind, new)
    suspended: bool | None = None
    if tree is not None:
        suspended = (
            new.get("cmi.exit") == "suspend"
            or (request is not None and request[0] == "suspendAll")
            or _suspended_by_all(tracking, item["identifier"])
        )
        if suspended:
            # Suspend All keeps the SCO's run-time data for the resume, whatever its
            # exit; so does a finish that arrives after the player suspended all.
            new["cmi.exit"] = "suspend"
    # An abandoned attempt does not end (SN TB.2.3): the LMS decides nothing for it.
    abandoned = request is not None and request[0] in ("abandon", "abandonAll")
    finished = finish(
        version.kind,  # type: ignore[arg-type]
        new,
        completion_set_by_content=abandoned
        or bool(activity and activity.completion_set_by_content),
        objective_set_by_content=abandoned or bool(activity and activity.objective_set_by_content),
    )
    return finished, request, suspended


def _suspended_by_all(tracking: sequencing.Tracking | None, identifier: str) -> bool:
    """Whether Suspend All already suspended this (no longer active) activity."""
    record = (tracking or {}).get("activities", {}).get(identifier)
    return bool(record and record["suspended"] and not record["active"])


def _pending_request(kind: str, cmi: dict[str, str]) -> tuple[str, str | None] | None:
    """The navigation request a terminating 2004 SCO left (RTE 4.4, adl.nav.request)."""
    if kind != ModuleKind.SCORM2004:
        return None
    value = cmi.pop("adl.nav.request", "_none_")
    exit_ = cmi.get("cmi.exit", "")
    if value.startswith("{target="):
        target, _, verb = value[len("{target=") :].partition("}")
        return ("choice", target) if verb == "choice" else None
    if value in NAV_REQUESTS:
        return value, None
    # cmi.exit logout (deprecated) and time-out end the whole session (SN 4th ed. 4.2.8).
    if exit_ in ("logout", "time-out"):
        return "exitAll", None
    if exit_ == "suspend":
        return None
    return None


def navigate(attempt: Attempt, request: str, target: str | None) -> sequencing.Result:
    """A navigation request from the player's controls, applied to a 2004 attempt."""
    tree = activity_tree(attempt.version)
    if tree is None:
        raise CakapError(
            422,
            "Only SCORM 2004 modules have sequencing; the player navigates this one itself.",
            errors={"request": ["no sequencing in this module"]},
        )
    if request not in NAV_REQUESTS:
        raise CakapError(
            422, f"request: {request!r} is not a navigation request",
            errors={"request": [f"one of {', '.join(NAV_REQUESTS)}"]},
        )  # fmt: skip
    if request == "choice" and target not in tree.by_id:
        raise CakapError(
            422, "target: not an activity of this module", errors={"target": ["unknown"]}
        )
    state = attempt.state
    tracking = _load_tracking(attempt, tree, state)
    result = sequencing.navigate(tree, tracking, request, target)
    _fresh_runtime_data(attempt, state, result)
    _resume_entry(state, tracking, request)
    _store_tracking(attempt, tree, state, tracking)
    attempt.cmi = json.dumps(state)
    attempt.updated_at = utcnow()
    rollup(attempt, state, tracking)
    return result


def _resume_entry(state: dict[str, Any], tracking: sequencing.Tracking, request: str) -> None:
    """After Suspend All the suspended SCO is resumed next time (cmi.entry "resume"),
    even if its session had already ended with another exit."""
    leaf = tracking.get("suspended")
    if request != "suspendAll" or not leaf or leaf not in state:
        return
    entry = state[leaf]
    if ACTIVE in entry:
        # Its session is still open: whenever it ends, it ends suspended.
        entry["cmi.exit"] = "suspend"
    elif FINISHED in entry:
        entry["cmi.entry"] = "resume"


def _fresh_runtime_data(attempt: Attempt, state: dict[str, Any], nav: sequencing.Result) -> None:
    """A new attempt on a SCO that ran before starts with fresh run-time data (RTE 4.1).

    The time spent so far stays counted in cmi.total_time: the module's time is the sum
    of its items' time, across their attempts.
    """
    if not nav.new_attempt or nav.deliver is None:
        return
    old = state.get(nav.deliver, {})
    if FINISHED not in old and ACTIVE not in old:
        return  # never ran: its initial state is already fresh
    item = find_item(attempt.version, nav.deliver)
    fresh = _initial(attempt.version, item, attempt.learner_id, attempt.learner_name, attempt.mode)
    fresh = begin_session(
        "scorm2004", {**fresh, "cmi.total_time": old.get("cmi.total_time", "PT0S")}
    )
    state[nav.deliver] = fresh


def controls(attempt: Attempt) -> dict[str, Any] | None:
    """What the player may offer now (2004), from the attempt's tracking."""
    tree = activity_tree(attempt.version)
    if tree is None:
        return None
    state = attempt.state
    return sequencing.controls(tree, _load_tracking(attempt, tree, state))


def rollup(
    attempt: Attempt,
    state: Mapping[str, Mapping[str, str]],
    tracking: sequencing.Tracking | None = None,
) -> None:
    """Completion, success, score and time of the whole attempt from its items.

    `tracking` is the 2004 sequencing state with its global objectives loaded.
    """
    version = attempt.version
    completions: list[str] = []
    successes: list[str] = []
    scores: list[float] = []
    seconds = 0.0
    for item in items(version):
        s = state.get(item["identifier"], {})
        if _is_sco(version, item):
            item_completion, item_success, score = derive_status(version.kind, s)  # type: ignore[arg-type]
            total = s.get(
                "cmi.core.total_time" if version.kind == ModuleKind.SCORM12 else "cmi.total_time"
            )
            seconds += parse_duration(version.kind, total) if total else 0.0  # type: ignore[arg-type]
            successes.append(item_success)
            if score is not None:
                scores.append(score)
        else:
            kind = version.kind if version.kind not in SCORM_KINDS else "asset"
            item_completion = progress_completion(kind, s)
            seconds += progress_seconds(s)
        completions.append(item_completion)
    tree = activity_tree(version)
    if tree is not None:
        # SCORM 2004: the module's result is the root activity's rollup (SN 4.6), not
        # "every item completed".
        if tracking is None:
            tracking = _load_tracking(attempt, tree, state)
        root_completion, root_success, measure = sequencing.root_status(tree, tracking)
        completion, success = Completion(root_completion), Success(root_success)
        if not sequencing.result_is_final(tree, tracking):
            # Exit and post-condition rules (e.g. retry for remediation) may still undo
            # this rollup: nothing is announced until the course's attempt ends.
            completion = Completion.INCOMPLETE if completion == Completion.COMPLETED else completion
            success = Success.UNKNOWN
        attempt.completion, attempt.success = completion, success
        if measure is not None:
            scores = [measure * 100]
        if tracking.get("ended") and attempt.status == AttemptStatus.OPEN:
            # The course's attempt ended (exit all, abandon all, past the last activity):
            # the next launch is a new attempt, whatever this one achieved.
            attempt.status, attempt.open_slot = AttemptStatus.CLOSED, None
    else:
        attempt.completion, attempt.success = _flat_result(completions, successes)
    attempt.score = round(sum(scores) / len(scores), 2) if scores else None
    attempt.total_seconds = round(seconds, 2)
    if attempt.counts:
        # A review or preview stays open and silent: it never closes, completes or
        # announces anything that progress, catalog, JP or certificates would act on.
        _publish_once(attempt)


def _flat_result(completions: list[str], successes: list[str]) -> tuple[Completion, Success]:
    """Completion and success of a module without sequencing: every item counts."""
    if all(c == Completion.COMPLETED for c in completions):
        completion = Completion.COMPLETED
    elif any(c != Completion.NOT_ATTEMPTED for c in completions):
        completion = Completion.INCOMPLETE
    else:
        completion = Completion.NOT_ATTEMPTED
    if Success.FAILED in successes:
        return completion, Success.FAILED
    if Success.PASSED in successes and completion == Completion.COMPLETED:
        return completion, Success.PASSED
    return completion, Success.UNKNOWN


def _claim(attempt: Attempt, flag: str) -> bool:
    """Set a published flag only if nobody did: exactly one commit publishes each event."""
    column = getattr(Attempt, flag)
    result = cast(
        "CursorResult[Any]",  # an UPDATE's result, which counts the rows
        db.session.execute(
            update(Attempt)
            .where(Attempt.id == attempt.id, column.is_(False))
            .values({flag: True})
            .execution_options(synchronize_session=False)
        ),
    )
    return result.rowcount == 1


def _publish_once(attempt: Attempt) -> None:
    if attempt.completion == Completion.COMPLETED and not attempt.completed_published:
        if attempt.completed_at is None:
            attempt.completed_at = utcnow()
        # A completed attempt is closed: the next launch starts a new attempt.
        attempt.status, attempt.open_slot = AttemptStatus.CLOSED, None
        if _claim(attempt, "completed_published"):
            attempt.completed_published = True
            events.publish("module.completed", event_data(attempt), attempt.id)
    if (
        attempt.success == Success.PASSED
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
        "success": str(attempt.success),
    }

"""Attempts as the API and the player use them: who may read one, and committing runtime
data or navigation requests to it, with the rights and retries around the runtime rules."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from cakap_shared.auth import Principal
from cakap_shared.problems import CakapError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..models import Attempt
from . import runtime
from .credentials import WITH_VERSION, credential_attempt
from .launches import require_in_use

T = TypeVar("T")
# A page that closes sends its last commit and the player's Suspend All at once, and
# neither can be sent again: the server tries a conflicting write a few times itself.
STALE_RETRIES = 3


@dataclass(frozen=True)
class Navigation:
    """What a navigation request came to and what the player may offer next."""

    deliver: str | None
    ended: bool
    error: str | None
    controls: dict[str, Any] | None
    attempt: Attempt


@dataclass(frozen=True)
class Commit:
    """The stored state of the item, the attempt's rollup and any navigation it caused."""

    sco: str
    state: dict[str, str]
    attempt: Attempt
    navigation: Navigation | None
    controls: dict[str, Any] | None


def may_read(who: Principal, attempt: Attempt) -> bool:
    """The learner, the module's owner (trainer), an administrator or a service."""
    if who.id == attempt.learner_id or who.is_admin or who.is_service:
        return True
    return who.has_role("trainer") and attempt.module.owner_id == who.id


def visible_attempt(attempt_id: str, who: Principal) -> Attempt:
    """An attempt the caller may see, else 404 (whether it exists or not)."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or not may_read(who, attempt):
        raise CakapError(404, "No such attempt.")
    return attempt


def commit(
    attempt_id: str,
    who: Principal | None,
    launch_token: str | None,
    sco: str | None,
    body: Any,
    finish: str | None,
) -> Commit:
    """Store a commit sent with the learner's bearer token or the player's launch credential."""
    if who is not None and not launch_token:
        attempt = db.session.get(Attempt, attempt_id, options=WITH_VERSION)
        # Only the learner writes their runtime data; nobody else sees it exists.
        if attempt is None or attempt.learner_id != who.id:
            raise CakapError(404, "No such attempt.")
    elif launch_token:
        attempt, _ = credential_attempt("launch", launch_token, attempt_id)
    else:
        raise CakapError(
            401,
            "A bearer token or a launch credential is required.",
            headers={"WWW-Authenticate": 'Bearer realm="cakap"'},
        )
    require_in_use(attempt, commit=True, runtime_call=True)
    return _commit(attempt, sco, body, finish)


def commit_beacon(
    attempt_id: str, credential: str, sco: str | None, raw: bytes, finish: str | None
) -> Commit:
    """Store the last commit of an unloading SCO, sent with its frame's content credential
    (bound to the attempt, the launch and this one item).

    `raw` is the beacon's body: JSON whatever its declared type (sendBeacon sends
    text/plain), read only once the credential was accepted.
    """
    attempt, claims = credential_attempt("content", credential, attempt_id)
    require_in_use(attempt, commit=True, runtime_call=True)
    all_items = runtime.items(attempt.version)
    if claims.sco is None or not 0 <= claims.sco < len(all_items):
        raise CakapError(404, "No such attempt.")
    own = all_items[claims.sco]["identifier"]
    if sco not in (None, own):
        raise CakapError(
            403, "This credential commits for another item.", errors={"sco": ["not yours"]}
        )
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        raise CakapError(
            422, "The body must be a JSON object of element: value.",
            errors={"_body": ["not JSON"]},
        ) from None  # fmt: skip
    return _commit(attempt, own, body, finish)


def navigate(
    attempt_id: str, launch_token: str | None, request: str, target: str | None
) -> Navigation:
    """Apply a SCORM 2004 navigation request from the player's controls to the attempt."""
    attempt, _ = credential_attempt("launch", launch_token, attempt_id)
    require_in_use(attempt, commit=True, runtime_call=True)
    nav = _retrying(lambda: runtime.navigate(attempt, request, target), "request")
    return _navigation(attempt, nav)


def _retrying(work: Callable[[], T], what: str) -> T:
    """Run work and commit; on a concurrent change of the attempt, reload and run again.

    A concurrent commit may surface at an autoflush inside work, not only at the commit;
    the rollback expires the attempt, so the next run reads what the other one stored.
    """
    for _ in range(STALE_RETRIES):
        try:
            result = work()
            _commit_keeping_loaded()
            return result
        except (StaleDataError, IntegrityError):
            # IntegrityError: two modules wrote the same new shared objective at once.
            db.session.rollback()
    raise CakapError(
        409, f"The attempt changed at the same time; send the {what} again.", code="stale"
    )


def _commit_keeping_loaded() -> None:
    """Commit without expiring what this request loaded.

    The answer is built from the attempt just written; expired, it would be read back
    (attempt and version, two SELECTs) only to see this request's own UPDATE again.
    """
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def _commit(attempt: Attempt, sco: str | None, body: Any, finish: str | None) -> Commit:
    """Store one commit and answer with the item's state, the rollup and any navigation."""
    state, nav = _retrying(lambda: runtime.commit(attempt, sco, body, finish), "commit")
    item = runtime.find_item(attempt.version, sco)["identifier"]
    visible = {k: v for k, v in state.items() if not k.startswith("cakap.")}
    navigation = _navigation(attempt, nav) if nav is not None else None
    return Commit(item, visible, attempt, navigation, runtime.controls(attempt))


def _navigation(attempt: Attempt, nav: runtime.sequencing.Result) -> Navigation:
    return Navigation(nav.deliver, nav.ended, nav.error, runtime.controls(attempt), attempt)

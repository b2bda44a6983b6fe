"""Attempts: launch (start or resume), read the rollup, commit runtime data."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any, TypeVar

from cakap_shared.auth import Principal, current_principal, public
from cakap_shared.db import utcnow
from cakap_shared.logs import audit
from cakap_shared.problems import CakapError
from flask import current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from . import runtime
from .domain import launches
from .extensions import db
from .launch import LaunchClaims, LaunchRefused, LaunchTokens
from .models import Attempt
from .schemas import (
    AttemptSchema,
    BeaconArgsSchema,
    CmiArgsSchema,
    CmiResultSchema,
    LaunchArgsSchema,
    LaunchSchema,
    NavigationResultSchema,
    NavigationSchema,
)

T = TypeVar("T")

blp = Blueprint(
    "attempts", __name__, url_prefix="/api/v1", description="Module attempts and runtime"
)
LAUNCH_HEADER = "X-Launch-Token"


def tokens() -> LaunchTokens:
    """The app's launch credential issuer."""
    return current_app.extensions["elearning_launch"]


def attempt_view(attempt: Attempt) -> dict[str, Any]:
    """An attempt's rollup as the API shows it."""
    return {
        "id": attempt.id,
        "module_id": attempt.module_id,
        "learner_id": attempt.learner_id,
        "version": attempt.version.number,
        "number": attempt.number,
        "status": attempt.status,
        "mode": attempt.mode,
        "counts": attempt.counts,
        "completion": attempt.completion,
        "success": attempt.success,
        "score": attempt.score,
        "total_seconds": attempt.total_seconds,
        "started_at": attempt.started_at,
        "updated_at": attempt.updated_at,
        "completed_at": attempt.completed_at,
    }


def launch_url(attempt: Attempt) -> str:
    """The player URL of this launch (relative: the gateway's origin serves /play)."""
    token = tokens().issue("launch", attempt.id, attempt.learner_id, attempt.launch_nonce)
    return f"/play/{attempt.id}?launch={token}"


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


def credential_attempt(
    purpose: str, credential: str | None, attempt_id: str
) -> tuple[Attempt, LaunchClaims]:
    """The attempt a launch or content credential opens: valid, unexpired, current, this one."""
    try:
        claims = tokens().check(purpose, credential)
    except LaunchRefused as exc:
        raise CakapError(
            401,
            "The launch link is invalid or has expired; launch the module again.",
            code="launch-expired",
        ) from exc
    attempt = db.session.get(Attempt, attempt_id)
    if (
        attempt is None
        or claims.attempt_id != attempt.id
        or claims.learner_id != attempt.learner_id
    ):
        raise CakapError(404, "No such attempt.")
    if claims.nonce != attempt.launch_nonce:
        raise CakapError(
            401,
            "This launch was replaced by a newer one; launch the module again.",
            code="launch-expired",
        )
    return attempt, claims


def require_in_use(attempt: Attempt, *, commit: bool) -> None:
    """Refuse a player page or a commit unless the attempt is open and its learner may
    still take the module: checked on every use, because a launch credential stays
    valid for hours after a withdrawal or after the attempt closed.

    The one exception: the session that completed the attempt may commit for
    LAUNCH_CLOSED_GRACE_SECONDS more (SCORM content sends its session time on finish).
    """
    if attempt.status != "open":
        if commit and _closed_moments_ago(attempt):
            return
        audit("module.closed_attempt_refused", attempt_id=attempt.id)
        raise CakapError(
            409,
            "This attempt is already finished; open the module again from your course.",
            code="attempt-closed",
        )
    allowed, code = launches.still_usable(attempt)
    if not allowed:
        audit("module.use_refused", attempt_id=attempt.id, mode=attempt.mode)
        raise CakapError(
            403,
            "You are no longer enrolled in a course with this module (withdrawn or ended), "
            "so this attempt cannot be played or saved."
            if code == "not-enrolled"
            else "You have not completed a course with this module, so it cannot be reviewed.",
            code=code,
        )


def _closed_moments_ago(attempt: Attempt) -> bool:
    closed = attempt.completed_at
    if closed is None:
        return False
    if closed.tzinfo is None:  # SQLite gives naive UTC datetimes back
        closed = closed.replace(tzinfo=UTC)
    grace = timedelta(seconds=current_app.config["LAUNCH_CLOSED_GRACE_SECONDS"])
    return utcnow() - closed <= grace


@blp.route("/modules/<string:module_id>/attempts")
class ModuleAttempts(MethodView):
    """Launching a module."""

    @blp.arguments(LaunchArgsSchema, required=False)
    @blp.response(201, LaunchSchema)
    @blp.alt_response(403, description="No right to launch the module in this mode (`code`)")
    @blp.alt_response(404, description="No such module")
    @blp.alt_response(503, description="Catalog could not be asked")
    def post(self, body: dict[str, Any], module_id: str) -> dict[str, Any]:
        """Start an attempt, or resume the open one of the same mode, and return the player URL.

        Without a body (or `mode` `normal`) the attempt counts toward completion. `review`
        (a learner who completed a course holding the module) and `preview` (the module's
        owner or an administrator) launch with no credit: SCORM `cmi.credit` `no-credit`,
        `cmi.mode` `review` or `browse`; their commits never change progress, completion, JP
        or certificates, and no event is published.
        """
        attempt = launches.launch(module_id, current_principal(), body.get("mode", "normal"))
        return {
            "id": attempt.id,
            "module_id": attempt.module_id,
            "version": attempt.version.number,
            "mode": attempt.mode,
            "counts": attempt.counts,
            "launch_url": launch_url(attempt),
            "launch_expires_in": tokens().ttl,
        }


@blp.route("/module-attempts/<string:attempt_id>")
class ModuleAttemptsById(MethodView):
    """One attempt."""

    @blp.response(200, AttemptSchema)
    def get(self, attempt_id: str) -> dict[str, Any]:
        """Completion, success, score and total time of an attempt."""
        return attempt_view(visible_attempt(attempt_id, current_principal()))


@blp.route("/module-attempts/<string:attempt_id>/cmi")
@public
class ModuleAttemptCmi(MethodView):
    """Runtime commits: the learner's token or the player's launch credential."""

    @blp.arguments(CmiArgsSchema, location="query")
    @blp.response(200, CmiResultSchema)
    @blp.alt_response(401, description="No valid token or launch credential")
    @blp.alt_response(403, description="No longer enrolled in a course with the module")
    @blp.alt_response(404, description="Not your attempt")
    @blp.alt_response(409, description="The attempt is finished (or changed meanwhile)")
    @blp.alt_response(503, description="Catalog could not be asked")
    @blp.alt_response(422, description="Unknown element or illegal value; the element is named")
    def put(self, args: dict[str, Any], attempt_id: str) -> dict[str, Any]:
        """Validate and store runtime elements (all or nothing) and roll up the status."""
        principal = getattr(g, "principal", None)
        launch_token = request.headers.get(LAUNCH_HEADER)
        if principal is not None and not launch_token:
            attempt = db.session.get(Attempt, attempt_id)
            # Only the learner writes their runtime data; nobody else sees it exists.
            if attempt is None or attempt.learner_id != principal.id:
                raise CakapError(404, "No such attempt.")
        elif launch_token:
            attempt, _ = credential_attempt("launch", launch_token, attempt_id)
        else:
            raise CakapError(
                401,
                "A bearer token or a launch credential is required.",
                headers={"WWW-Authenticate": 'Bearer realm="cakap"'},
            )
        require_in_use(attempt, commit=True)
        body = request.get_json(silent=True)
        return _commit(attempt, args.get("sco"), body, args.get("finish"))

    @blp.arguments(BeaconArgsSchema, location="query")
    @blp.response(200, CmiResultSchema)
    @blp.alt_response(401, description="No valid content credential")
    @blp.alt_response(422, description="Unknown element or illegal value; the element is named")
    def post(self, args: dict[str, Any], attempt_id: str) -> dict[str, Any]:
        """The last commit of a SCO whose page is unloading (navigator.sendBeacon).

        A beacon cannot carry headers, so the SCO frame's own content credential (bound
        to the attempt, the launch and this one item) is in the query, and the body is
        JSON whatever its declared type (sendBeacon sends text/plain).
        """
        attempt, claims = credential_attempt("content", args["credential"], attempt_id)
        require_in_use(attempt, commit=True)
        all_items = runtime.items(attempt.version)
        if claims.sco is None or not 0 <= claims.sco < len(all_items):
            raise CakapError(404, "No such attempt.")
        sco = all_items[claims.sco]["identifier"]
        if args.get("sco") not in (None, sco):
            raise CakapError(
                403, "This credential commits for another item.", errors={"sco": ["not yours"]}
            )
        raw = request.get_data(cache=False)
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            raise CakapError(
                422, "The body must be a JSON object of element: value.",
                errors={"_body": ["not JSON"]},
            ) from None  # fmt: skip
        return _commit(attempt, sco, body, args.get("finish"))


# A page that closes sends its last commit and the player's Suspend All at once, and
# neither can be sent again: the server tries a conflicting write a few times itself.
STALE_RETRIES = 3


def _retrying(work: Callable[[], T], what: str) -> T:
    """Run work and commit; on a concurrent change of the attempt, reload and run again.

    A concurrent commit may surface at an autoflush inside work, not only at the commit;
    the rollback expires the attempt, so the next run reads what the other one stored.
    """
    for _ in range(STALE_RETRIES):
        try:
            result = work()
            db.session.commit()
            return result
        except (StaleDataError, IntegrityError):
            # IntegrityError: two modules wrote the same new shared objective at once.
            db.session.rollback()
    raise CakapError(
        409, f"The attempt changed at the same time; send the {what} again.", code="stale"
    )


def _commit(attempt: Attempt, sco: str | None, body: Any, finish: str | None) -> dict[str, Any]:
    """Store one commit and answer with the item's state, the rollup and any navigation."""
    state, nav = _retrying(lambda: runtime.commit(attempt, sco, body, finish), "commit")
    item = runtime.find_item(attempt.version, sco)["identifier"]
    visible = {k: v for k, v in state.items() if not k.startswith("cakap.")}
    return {
        "sco": item,
        "state": visible,
        "attempt": attempt_view(attempt),
        "navigation": _navigation_view(attempt, nav) if nav is not None else None,
        "controls": runtime.controls(attempt),
    }


def _navigation_view(attempt: Attempt, nav: runtime.sequencing.Result) -> dict[str, Any]:
    return {
        "deliver": nav.deliver,
        "ended": nav.ended,
        "error": nav.error,
        "controls": runtime.controls(attempt),
        "attempt": attempt_view(attempt),
    }


@blp.route("/module-attempts/<string:attempt_id>/navigation")
@public
class ModuleAttemptNavigation(MethodView):
    """SCORM 2004 navigation requests from the player's own controls."""

    @blp.arguments(NavigationSchema)
    @blp.response(200, NavigationResultSchema)
    @blp.alt_response(401, description="No valid launch credential")
    @blp.alt_response(422, description="Not a SCORM 2004 module, or an unknown target")
    def post(self, body: dict[str, Any], attempt_id: str) -> dict[str, Any]:
        """Apply start/continue/previous/choice/exit/exitAll/suspendAll to the attempt.

        A request the sequencing rules refuse is answered 200 with `error` set to the SN
        exception code (e.g. SB.2.9-5: choice not allowed here) and nothing delivered.
        """
        attempt, _ = credential_attempt("launch", request.headers.get(LAUNCH_HEADER), attempt_id)
        require_in_use(attempt, commit=True)
        nav = _retrying(
            lambda: runtime.navigate(attempt, body["request"], body.get("target")), "request"
        )
        return _navigation_view(attempt, nav)

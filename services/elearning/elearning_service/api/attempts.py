"""Attempts: launch (start or resume), read the rollup, commit runtime data, navigate."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.auth import current_principal, public
from cakap_shared.schemas import UtcDateTime, state_field
from flask import g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from ..domain import attempts as domain
from ..domain import launches
from ..domain.runtime import NAV_REQUESTS
from ..models import Attempt, AttemptStatus, Completion, Mode, Success

blp = Blueprint(
    "attempts", __name__, url_prefix="/api/v1", description="Module attempts and runtime"
)
LAUNCH_HEADER = "X-Launch-Token"


class LaunchArgsSchema(ma.Schema):
    """How to launch: counting (default), or a review or preview that never counts."""

    mode = ma.fields.String(
        load_default="normal",
        validate=ma.validate.OneOf([m.value for m in Mode]),
        metadata={
            "description": "normal: counts toward completion (an enrolled learner); review: "
            "no credit, a learner who completed a course holding the module; preview: no "
            "credit, the module's owner or an administrator"
        },
    )


class LaunchSchema(ma.Schema):
    """A started or resumed attempt and where the browser opens it."""

    id = ma.fields.String(attribute="attempt.id")
    module_id = ma.fields.String(attribute="attempt.module_id")
    version = ma.fields.Integer(attribute="attempt.version.number")
    mode = state_field(Mode, "normal, review or preview", attribute="attempt.mode")
    counts = ma.fields.Boolean(
        attribute="attempt.counts",
        metadata={"description": "whether it counts toward completion"},
    )
    launch_url = ma.fields.String(metadata={"description": "player URL with a launch credential"})
    launch_expires_in = ma.fields.Integer()


class AttemptSchema(ma.Schema):
    """An attempt's rolled-up status."""

    id = ma.fields.String()
    module_id = ma.fields.String()
    learner_id = ma.fields.String()
    version = ma.fields.Integer(attribute="version.number")
    number = ma.fields.Integer()
    status = state_field(AttemptStatus, "open or closed")
    mode = state_field(Mode, "normal, review or preview")
    counts = ma.fields.Boolean(metadata={"description": "whether it counts toward completion"})
    completion = state_field(Completion, "not_attempted, incomplete, completed")
    success = state_field(Success, "unknown, passed, failed")
    score = ma.fields.Float(allow_none=True)
    total_time = ma.fields.Float(attribute="total_seconds", metadata={"description": "seconds"})
    started_at = UtcDateTime()
    updated_at = UtcDateTime()
    completed_at = UtcDateTime(allow_none=True)


class CmiArgsSchema(ma.Schema):
    """Which item of a multi-SCO package the commit is for (default: the first)."""

    sco = ma.fields.String(load_default=None, validate=ma.validate.Length(min=1, max=255))
    finish = ma.fields.String(
        load_default=None,
        validate=ma.validate.Regexp(r"^[A-Za-z0-9_-]{1,64}$"),
        metadata={
            "description": "The SCO finished (LMSFinish/Terminate or unloaded) its session with "
            "this id: the finish rules apply once per session id, and a SCORM 2004 "
            "adl.nav.request is acted upon."
        },
    )


class BeaconArgsSchema(CmiArgsSchema):
    """A commit sent with navigator.sendBeacon while the SCO's page unloads."""

    credential = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=1000),
        metadata={"description": "The content credential of the SCO's frame"},
    )


class NavigationResultSchema(ma.Schema):
    """What a navigation request came to and what the player may offer next."""

    deliver = ma.fields.String(allow_none=True, metadata={"description": "item to show"})
    ended = ma.fields.Boolean(metadata={"description": "the sequencing session ended"})
    error = ma.fields.String(allow_none=True, metadata={"description": "SN exception code"})
    controls = ma.fields.Dict(allow_none=True)
    attempt = ma.fields.Nested(AttemptSchema)


class NavigationSchema(ma.Schema):
    """A SCORM 2004 navigation request from the player's controls."""

    request = ma.fields.String(required=True, validate=ma.validate.OneOf(NAV_REQUESTS))
    target = ma.fields.String(load_default=None, validate=ma.validate.Length(min=1, max=255))


class CmiResultSchema(ma.Schema):
    """The stored state of the item and the attempt's rollup."""

    sco = ma.fields.String()
    state = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    attempt = ma.fields.Nested(AttemptSchema)
    navigation = ma.fields.Nested(NavigationResultSchema, allow_none=True)
    controls = ma.fields.Dict(
        allow_none=True,
        metadata={"description": "SCORM 2004: what the player may offer after this commit"},
    )


@blp.route("/modules/<string:module_id>/attempts")
class ModuleAttempts(MethodView):
    """Launching a module."""

    @blp.arguments(LaunchArgsSchema, required=False)
    @blp.response(201, LaunchSchema)
    @blp.alt_response(403, description="No right to launch the module in this mode (`code`)")
    @blp.alt_response(404, description="No such module")
    @blp.alt_response(503, description="Catalog could not be asked")
    def post(self, body: dict[str, Any], module_id: str) -> launches.Launch:
        """Start an attempt, or resume the open one of the same mode, and return the player URL.

        Without a body (or `mode` `normal`) the attempt counts toward completion. `review`
        (a learner who completed a course holding the module) and `preview` (the module's
        owner or an administrator) launch with no credit: SCORM `cmi.credit` `no-credit`,
        `cmi.mode` `review` or `browse`; their commits never change progress, completion, JP
        or certificates, and no event is published.
        """
        return launches.launch(module_id, current_principal(), Mode(body.get("mode", "normal")))


@blp.route("/module-attempts/<string:attempt_id>")
class ModuleAttemptsById(MethodView):
    """One attempt."""

    @blp.response(200, AttemptSchema)
    def get(self, attempt_id: str) -> Attempt:
        """Completion, success, score and total time of an attempt."""
        return domain.visible_attempt(attempt_id, current_principal())


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
    def put(self, args: dict[str, Any], attempt_id: str) -> domain.Commit:
        """Validate and store runtime elements (all or nothing) and roll up the status."""
        return domain.commit(
            attempt_id,
            getattr(g, "principal", None),
            request.headers.get(LAUNCH_HEADER),
            args.get("sco"),
            request.get_json(silent=True),
            args.get("finish"),
        )

    @blp.arguments(BeaconArgsSchema, location="query")
    @blp.response(200, CmiResultSchema)
    @blp.alt_response(401, description="No valid content credential")
    @blp.alt_response(422, description="Unknown element or illegal value; the element is named")
    def post(self, args: dict[str, Any], attempt_id: str) -> domain.Commit:
        """The last commit of a SCO whose page is unloading (navigator.sendBeacon).

        A beacon cannot carry headers, so the SCO frame's own content credential (bound
        to the attempt, the launch and this one item) is in the query, and the body is
        JSON whatever its declared type (sendBeacon sends text/plain).
        """
        return domain.commit_beacon(
            attempt_id,
            args["credential"],
            args.get("sco"),
            request.get_data(cache=False),
            args.get("finish"),
        )


@blp.route("/module-attempts/<string:attempt_id>/navigation")
@public
class ModuleAttemptNavigation(MethodView):
    """SCORM 2004 navigation requests from the player's own controls."""

    @blp.arguments(NavigationSchema)
    @blp.response(200, NavigationResultSchema)
    @blp.alt_response(401, description="No valid launch credential")
    @blp.alt_response(422, description="Not a SCORM 2004 module, or an unknown target")
    def post(self, body: dict[str, Any], attempt_id: str) -> domain.Navigation:
        """Apply start/continue/previous/choice/exit/exitAll/suspendAll to the attempt.

        A request the sequencing rules refuse is answered 200 with `error` set to the SN
        exception code (e.g. SB.2.9-5: choice not allowed here) and nothing delivered.
        """
        return domain.navigate(
            attempt_id, request.headers.get(LAUNCH_HEADER), body["request"], body.get("target")
        )

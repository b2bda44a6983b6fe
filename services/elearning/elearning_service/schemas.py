"""Request and response schemas of the elearning API."""

from __future__ import annotations

import marshmallow as ma
from cakap_shared.db import PageArgsSchema, UtcDateTime, page_schema
from flask_smorest.fields import Upload

from .models import MODES


class UploadSchema(ma.Schema):
    """A multipart/form-data upload: the file part and an optional title part."""

    file = Upload(required=True, metadata={"description": "SCORM zip, PDF, MP4 or Markdown"})
    title = ma.fields.String(load_default=None, validate=ma.validate.Length(min=1, max=300))


class ScoSchema(ma.Schema):
    """A launchable item of a SCORM package, in manifest order."""

    identifier = ma.fields.String()
    title = ma.fields.String()
    href = ma.fields.String(metadata={"description": "resource href + item parameters"})
    scorm_type = ma.fields.String(metadata={"description": "sco (runtime API) or asset"})


class ModuleSchema(ma.Schema):
    """A content module."""

    id = ma.fields.String()
    title = ma.fields.String()
    kind = ma.fields.String(metadata={"description": "scorm12, scorm2004, pdf, video or page"})
    version = ma.fields.Integer(attribute="current_version")
    owner_id = ma.fields.String()
    launch_url = ma.fields.String(
        metadata={"description": "POST here (as a learner) to launch: answers the player URL"}
    )
    scos = ma.fields.List(ma.fields.Nested(ScoSchema), metadata={"description": "SCORM only"})
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


ModulePageSchema = page_schema(ModuleSchema)


class ModuleListArgsSchema(PageArgsSchema):
    """Paging of the module list."""


class LaunchArgsSchema(ma.Schema):
    """How to launch: counting (default), or a review or preview that never counts."""

    mode = ma.fields.String(
        load_default="normal",
        validate=ma.validate.OneOf(MODES),
        metadata={
            "description": "normal: counts toward completion (an enrolled learner); review: "
            "no credit, a learner who completed a course holding the module; preview: no "
            "credit, the module's owner or an administrator"
        },
    )


class LaunchSchema(ma.Schema):
    """A started or resumed attempt and where the browser opens it."""

    id = ma.fields.String()
    module_id = ma.fields.String()
    version = ma.fields.Integer()
    mode = ma.fields.String(metadata={"description": "normal, review or preview"})
    counts = ma.fields.Boolean(metadata={"description": "whether it counts toward completion"})
    launch_url = ma.fields.String(metadata={"description": "player URL with a launch credential"})
    launch_expires_in = ma.fields.Integer()


class AttemptSchema(ma.Schema):
    """An attempt's rolled-up status."""

    id = ma.fields.String()
    module_id = ma.fields.String()
    learner_id = ma.fields.String()
    version = ma.fields.Integer()
    number = ma.fields.Integer()
    status = ma.fields.String(metadata={"description": "open or closed"})
    mode = ma.fields.String(metadata={"description": "normal, review or preview"})
    counts = ma.fields.Boolean(metadata={"description": "whether it counts toward completion"})
    completion = ma.fields.String(metadata={"description": "not_attempted, incomplete, completed"})
    success = ma.fields.String(metadata={"description": "unknown, passed, failed"})
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

    request = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(
            ["start", "resumeAll", "continue", "previous", "choice", "exit", "exitAll",
             "suspendAll", "abandon", "abandonAll"]
        ),
    )  # fmt: skip
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


class ProgressArgsSchema(ma.Schema):
    """Whose progress (default: the caller)."""

    learner_id = ma.fields.String(load_default=None, validate=ma.validate.Length(min=1, max=80))


class ModuleProgressSchema(ma.Schema):
    """One learner's progress in one module (best attempt)."""

    module_id = ma.fields.String()
    title = ma.fields.String()
    kind = ma.fields.String()
    status = ma.fields.String(metadata={"description": "not_attempted, incomplete, completed"})
    success = ma.fields.String()
    score = ma.fields.Float(allow_none=True)
    total_time = ma.fields.Float(metadata={"description": "seconds, all attempts"})
    attempts = ma.fields.Integer()
    last_activity = UtcDateTime(allow_none=True)


class LearnerProgressSchema(ma.Schema):
    """A learner's progress per module."""

    learner_id = ma.fields.String()
    items = ma.fields.List(ma.fields.Nested(ModuleProgressSchema))


class ClassProgressArgsSchema(ma.Schema):
    """Which class roster to report on."""

    class_id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=80))


class RosterProgressSchema(ma.Schema):
    """One roster member's progress in the module."""

    learner_id = ma.fields.String()
    name = ma.fields.String()
    started = ma.fields.Boolean()
    completed = ma.fields.Boolean()
    status = ma.fields.String()
    score = ma.fields.Float(allow_none=True)
    total_time = ma.fields.Float()
    attempts = ma.fields.Integer()


class ClassProgressSchema(ma.Schema):
    """A module's progress in one class."""

    module_id = ma.fields.String()
    class_id = ma.fields.String()
    learners = ma.fields.Integer()
    started = ma.fields.Integer()
    completed = ma.fields.Integer()
    average_score = ma.fields.Float(allow_none=True)
    total_time = ma.fields.Float(metadata={"description": "seconds, all learners"})
    items = ma.fields.List(ma.fields.Nested(RosterProgressSchema))

"""Modules: upload (SCORM, PDF, video, Markdown page), new versions, read, list."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.auth import current_principal, require_roles
from cakap_shared.schemas import PageArgsSchema, UtcDateTime, page_schema, state_field
from flask import Request
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict

from ..domain import modules as domain
from ..models import Module, ModuleKind


class _UploadParser(FlaskParser):
    """Reads `files` as the whole multipart body: its file parts and its text parts (title)."""

    def load_files(self, req: Request, schema: ma.Schema) -> Any:
        return self._makeproxy(CombinedMultiDict([req.files, req.form]), schema)


class _Blueprint(Blueprint):
    """A Blueprint whose `files` arguments are one multipart/form-data body, as documented.

    Separate files + form arguments would publish only the form, as a urlencoded body.
    """

    ARGUMENTS_PARSER = _UploadParser()


blp = _Blueprint("modules", __name__, url_prefix="/api/v1", description="Content modules")


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
    kind = state_field(ModuleKind, "scorm12, scorm2004, pdf, video or page")
    version = ma.fields.Integer(attribute="current_version")
    owner_id = ma.fields.String()
    launch_url = ma.fields.String(
        metadata={"description": "POST here (as a learner) to launch: answers the player URL"}
    )
    scos = ma.fields.List(ma.fields.Nested(ScoSchema), metadata={"description": "SCORM only"})
    created_at = UtcDateTime()
    updated_at = UtcDateTime()

    @ma.post_dump
    def _scorm_only(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        """Only a SCORM module has `scos`: the field is absent, not null, for the others."""
        if data.get("scos") is None:
            data.pop("scos", None)
        return data


ModulePageSchema = page_schema(ModuleSchema)


class ModuleListArgsSchema(PageArgsSchema):
    """Paging of the module list."""


@blp.route("/modules")
class Modules(MethodView):
    """Upload and list modules."""

    @blp.arguments(ModuleListArgsSchema, location="query")
    @blp.response(200, ModulePageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List modules: a trainer's own, all for admins."""
        return domain.list_modules(current_principal(), args["page"], args["per_page"])

    @blp.arguments(UploadSchema, location="files")
    @blp.response(201, ModuleSchema)
    @blp.alt_response(413, description="Over MODULE_MAX_BYTES")
    @blp.alt_response(422, description="Not a playable package; `detail` says why")
    def post(self, form: dict[str, Any]) -> Module:
        """Upload a SCORM 1.2/2004 zip, a PDF, an MP4 video or a Markdown page."""
        who = require_roles("trainer", "admin")
        return domain.create_module(who, form["file"], form["title"])


@blp.route("/modules/<string:module_id>")
class ModulesById(MethodView):
    """One module."""

    @blp.response(200, ModuleSchema)
    def get(self, module_id: str) -> Module:
        """A module with, for SCORM, its launchable items in manifest order."""
        current_principal()
        return domain.get_module(module_id)


@blp.route("/modules/<string:module_id>/versions")
class ModuleVersions(MethodView):
    """New versions of a module."""

    @blp.arguments(UploadSchema, location="files")
    @blp.response(201, ModuleSchema)
    @blp.alt_response(413, description="Over MODULE_MAX_BYTES")
    @blp.alt_response(422, description="Not a playable package, or another kind")
    def post(self, form: dict[str, Any], module_id: str) -> Module:
        """Upload a new version; open attempts keep playing the version they started."""
        who = require_roles("trainer", "admin")
        return domain.add_version(who, module_id, form["file"], form["title"])

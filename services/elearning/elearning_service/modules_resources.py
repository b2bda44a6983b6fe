"""Modules: upload (SCORM, PDF, video, Markdown page), new versions, read, list."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.auth import Principal, current_principal, require_roles
from cakap_shared.db import new_id, paginate, utcnow
from cakap_shared.logs import audit
from cakap_shared.problems import CakapError
from flask import Request, current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict

from . import content
from .extensions import db
from .models import Module, ModuleVersion
from .schemas import (
    ModuleListArgsSchema,
    ModulePageSchema,
    ModuleSchema,
    UploadSchema,
)
from .scorm.package import PackageError


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


def module_view(module: Module) -> dict[str, Any]:
    """A module as the API shows it (with its SCOs for SCORM)."""
    out: dict[str, Any] = {
        "id": module.id,
        "title": module.title,
        "kind": module.kind,
        "current_version": module.current_version,
        "owner_id": module.owner_id,
        "launch_url": f"/api/v1/modules/{module.id}/attempts",
        "created_at": module.created_at,
        "updated_at": module.updated_at,
    }
    if module.kind in ("scorm12", "scorm2004"):
        out["scos"] = module.version().info["scos"]
    return out


def get_module(module_id: str) -> Module:
    """A module or 404."""
    module = db.session.get(Module, module_id)
    if module is None:
        raise CakapError(404, "No such module.")
    return module


def _store_upload(
    form: dict[str, Any], title: str | None, key: str, expected: tuple[str, ...] | None = None
) -> content.Ingested:
    """Check and store the upload under key, or answer 413/422 having written nothing."""
    upload = form["file"]
    try:
        return content.ingest(
            upload.stream,
            upload.filename or "upload",
            title,
            key,
            content.store(),
            max_bytes=current_app.config["MODULE_MAX_BYTES"],
            limits=content.limits_from_config(),
            expected_kinds=expected,
            declared_type=upload.mimetype,
        )
    except content.TooLarge:
        limit = current_app.config["MODULE_MAX_BYTES"] // (1024 * 1024)
        audit("module.upload_refused", reason="too large")
        raise CakapError(413, f"The file is larger than the {limit} MiB limit.") from None
    except PackageError as exc:
        audit("module.upload_refused", reason=exc.detail)
        raise CakapError(
            422, exc.detail, errors={"file": [exc.detail]}, code="package-invalid"
        ) from None


def _add_version(
    module: Module, number: int, result: content.Ingested, key: str, who: Principal
) -> None:
    version = ModuleVersion(
        module_id=module.id,
        number=number,
        kind=result.kind,
        storage_key=key,
        summary=content.summary_json(result.summary),
        uploaded_by=who.id,
    )
    module.versions.append(version)
    module.current_version = number
    module.updated_at = utcnow()


def _commit_or_remove(key: str) -> None:
    """Commit; if the database refuses, remove the stored files so nothing dangles."""
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        content.store().delete(key)
        raise


@blp.route("/modules")
class Modules(MethodView):
    """Upload and list modules."""

    @blp.arguments(ModuleListArgsSchema, location="query")
    @blp.response(200, ModulePageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List modules: a trainer's own, all for admins."""
        who = current_principal()
        query = select(Module).order_by(Module.created_at.desc(), Module.id)
        if not (who.is_admin or who.is_service):
            if not who.has_role("trainer"):
                raise CakapError(403, "Only trainers and administrators list modules.")
            query = query.where(Module.owner_id == who.id)
        page = paginate(db, query, args["page"], args["per_page"])
        page["items"] = [module_view(m) for m in page["items"]]
        return page

    @blp.arguments(UploadSchema, location="files")
    @blp.response(201, ModuleSchema)
    @blp.alt_response(413, description="Over MODULE_MAX_BYTES")
    @blp.alt_response(422, description="Not a playable package; `detail` says why")
    def post(self, form: dict[str, Any]) -> dict[str, Any]:
        """Upload a SCORM 1.2/2004 zip, a PDF, an MP4 video or a Markdown page."""
        who = require_roles("trainer", "admin")
        module_id = new_id()
        key = f"{module_id}-v1"
        result = _store_upload(form, form["title"], key)
        module = Module(id=module_id, title=result.title, kind=result.kind, owner_id=who.id)
        db.session.add(module)
        _add_version(module, 1, result, key, who)
        _commit_or_remove(key)
        audit("module.uploaded", module_id=module.id, kind=module.kind, version=1)
        return module_view(module)


@blp.route("/modules/<string:module_id>")
class ModulesById(MethodView):
    """One module."""

    @blp.response(200, ModuleSchema)
    def get(self, module_id: str) -> dict[str, Any]:
        """A module with, for SCORM, its launchable items in manifest order."""
        current_principal()
        return module_view(get_module(module_id))


@blp.route("/modules/<string:module_id>/versions")
class ModuleVersions(MethodView):
    """New versions of a module."""

    @blp.arguments(UploadSchema, location="files")
    @blp.response(201, ModuleSchema)
    @blp.alt_response(413, description="Over MODULE_MAX_BYTES")
    @blp.alt_response(422, description="Not a playable package, or another kind")
    def post(self, form: dict[str, Any], module_id: str) -> dict[str, Any]:
        """Upload a new version; open attempts keep playing the version they started."""
        who = require_roles("trainer", "admin")
        module = get_module(module_id)
        if not who.is_admin and module.owner_id != who.id:
            raise CakapError(403, "Only the module's owner or an administrator may replace it.")
        number = max(v.number for v in module.versions) + 1
        key = f"{module.id}-v{number}"
        family = ("scorm12", "scorm2004") if module.kind.startswith("scorm") else (module.kind,)
        result = _store_upload(form, form["title"], key, expected=family)
        if form.get("title"):
            module.title = result.title
        module.kind = result.kind
        _add_version(module, number, result, key, who)
        _commit_or_remove(key)
        audit("module.version_uploaded", module_id=module.id, version=number)
        return module_view(module)

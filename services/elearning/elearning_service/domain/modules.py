"""Modules: upload (SCORM, PDF, video, Markdown page), new versions, read, list.

An upload is checked and stored by `content.ingest` before any row is written, and its
files are removed again if the database refuses the rows, so nothing dangles.
"""

from __future__ import annotations

from typing import Any

from cakap_shared.auth import Principal
from cakap_shared.db import new_id, paginate, utcnow
from cakap_shared.logs import audit
from cakap_shared.problems import CakapError
from flask import current_app
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from ..extensions import db
from ..models import SCORM_KINDS, Module, ModuleVersion
from ..scorm.package import PackageError
from . import content, storage


def get_module(module_id: str) -> Module:
    """A module or 404."""
    module = db.session.get(Module, module_id)
    if module is None:
        raise CakapError(404, "No such module.")
    return module


def list_modules(who: Principal, page: int, per_page: int) -> dict[str, Any]:
    """A page of modules: a trainer's own, all of them for admins and services."""
    query = select(Module).order_by(Module.created_at.desc(), Module.id)
    if not (who.is_admin or who.is_service):
        if not who.has_role("trainer"):
            raise CakapError(403, "Only trainers and administrators list modules.")
        query = query.where(Module.owner_id == who.id)
    return paginate(db, query, page, per_page)


def create_module(who: Principal, upload: FileStorage, title: str | None) -> Module:
    """A new module from an upload, as its version 1."""
    module_id = new_id()
    key = f"{module_id}-v1"
    result = _store_upload(upload, title, key)
    module = Module(id=module_id, title=result.title, kind=result.kind, owner_id=who.id)
    db.session.add(module)
    _add_version(module, 1, result, key, who)
    _commit_or_remove(key)
    audit("module.uploaded", module_id=module.id, kind=module.kind, version=1)
    return module


def add_version(who: Principal, module_id: str, upload: FileStorage, title: str | None) -> Module:
    """A new version of the caller's module; open attempts keep the version they started."""
    module = get_module(module_id)
    if not who.is_admin and module.owner_id != who.id:
        raise CakapError(403, "Only the module's owner or an administrator may replace it.")
    number = max(v.number for v in module.versions) + 1
    key = f"{module.id}-v{number}"
    family = SCORM_KINDS if module.kind in SCORM_KINDS else (module.kind,)
    result = _store_upload(upload, title, key, expected=family)
    if title:
        module.title = result.title
    module.kind = result.kind
    _add_version(module, number, result, key, who)
    _commit_or_remove(key)
    audit("module.version_uploaded", module_id=module.id, version=number)
    return module


def _store_upload(
    upload: FileStorage, title: str | None, key: str, expected: tuple[str, ...] | None = None
) -> content.Ingested:
    """Check and store the upload under key, or answer 413/422 having written nothing."""
    try:
        return content.ingest(
            upload.stream,
            upload.filename or "upload",
            title,
            key,
            storage.store(),
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
        storage.store().delete(key)
        raise

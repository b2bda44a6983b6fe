"""Turning an upload into stored module content: detect, check, unpack, store, summarise.

Everything is written into a private temporary folder first and handed to the content
store only when it passed every check, so a refused upload leaves nothing behind.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import markdown
import nh3
from flask import current_app

from ..models import ModuleKind
from ..scorm.manifest import Manifest, activity_tree, launchable_items
from ..scorm.package import (
    DetectedKind,
    ExtractLimits,
    PackageError,
    import_scorm_zip,
    inspect_upload,
    says_zip,
)
from .storage import ContentStore

PDF_FILE = "document.pdf"
VIDEO_FILE = "video.mp4"
PAGE_FILE = "index.html"
PAGE_SOURCE = "source.md"
_COPY_CHUNK = 1024 * 1024


class TooLarge(Exception):
    """The upload is over MODULE_MAX_BYTES."""


@dataclass
class Ingested:
    """What an accepted upload became."""

    kind: ModuleKind
    title: str
    summary: dict[str, Any]


def limits_from_config() -> ExtractLimits:
    """Package caps from configuration."""
    cfg = current_app.config
    return ExtractLimits(
        max_entries=cfg["PACKAGE_MAX_ENTRIES"], max_total_bytes=cfg["PACKAGE_MAX_UNPACKED_BYTES"]
    )


def _spool(stream: IO[bytes], target: Path, max_bytes: int) -> None:
    """Copy the upload to disk, refusing it as soon as it passes max_bytes."""
    size = 0
    with target.open("wb") as out:
        while chunk := stream.read(_COPY_CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise TooLarge()
            out.write(chunk)


def ingest(
    stream: IO[bytes],
    filename: str,
    title: str | None,
    storage_key: str,
    content_store: ContentStore,
    *,
    max_bytes: int,
    limits: ExtractLimits,
    expected_kinds: tuple[str, ...] | None = None,
    declared_type: str | None = None,
) -> Ingested:
    """Check an upload and store it under storage_key; PackageError/TooLarge refuse it."""
    work = Path(tempfile.mkdtemp(prefix="cakap-upload-"))
    try:
        upload = work / "upload"
        _spool(stream, upload, max_bytes)
        kind = inspect_upload(upload, claims_zip=says_zip(filename, declared_type))
        if expected_kinds and kind.value not in expected_kinds:
            raise PackageError(
                f"this module is a {expected_kinds[0]} module; a new version must be too "
                f"(the file is {kind.value})"
            )
        tree = work / "tree"
        if kind in (DetectedKind.SCORM12, DetectedKind.SCORM2004):
            manifest = import_scorm_zip(upload, tree, limits)
            result = _scorm_summary(manifest, title, filename)
        else:
            tree.mkdir()
            result = _single_file(kind, upload, tree, title, filename)
        content_store.put_tree(storage_key, tree)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _default_title(title: str | None, *candidates: str) -> str:
    for text in (title, *candidates):
        if text and text.strip():
            return text.strip()[:300]
    return "Modul tanpa judul"


def _scorm_summary(manifest: Manifest, title: str | None, filename: str) -> Ingested:
    scos = [
        {
            "identifier": s.identifier,
            "title": s.title,
            "href": s.href,
            "scorm_type": s.scorm_type,
            "visible": s.visible,
            "mastery_score": s.mastery_score,
            "scaled_passing_score": s.scaled_passing_score,
            "completion_threshold": s.completion_threshold,
            "launch_data": s.launch_data,
        }
        for s in launchable_items(manifest)
    ]
    family = manifest.version.family
    masteries = [s["mastery_score"] for s in scos if s["mastery_score"] is not None]
    summary: dict[str, Any] = {
        "title": manifest.title,
        "edition": manifest.version.edition,
        "scos": scos,
        "mastery_score": masteries[0] if masteries else None,
        "warnings": manifest.warnings,
    }
    if family == "scorm2004":
        summary["sequencing"] = activity_tree(manifest)
    return Ingested(
        ModuleKind(family), _default_title(title, manifest.title, Path(filename).stem), summary
    )


def _single_file(
    kind: DetectedKind, upload: Path, tree: Path, title: str | None, filename: str
) -> Ingested:
    stem = Path(filename).stem
    if kind is DetectedKind.PDF:
        shutil.copyfile(upload, tree / PDF_FILE)
        return Ingested(
            ModuleKind.PDF, _default_title(title, stem), {"title": stem, "launch": PDF_FILE}
        )
    if kind is DetectedKind.VIDEO:
        shutil.copyfile(upload, tree / VIDEO_FILE)
        return Ingested(
            ModuleKind.VIDEO, _default_title(title, stem), {"title": stem, "launch": VIDEO_FILE}
        )
    # inspect_upload only sniffed the first MiB: the rest may still be bad bytes.
    try:
        text = upload.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise PackageError("the text page is not valid UTF-8") from None
    if "\x00" in text:  # PostgreSQL stores no NUL in text, and no page needs one
        raise PackageError("the text page holds NUL characters")
    page_title = _first_heading(text) or stem
    final_title = _default_title(title, page_title)
    (tree / PAGE_SOURCE).write_text(text, encoding="utf-8")
    (tree / PAGE_FILE).write_text(render_page(text, final_title), encoding="utf-8")
    return Ingested(ModuleKind.PAGE, final_title, {"title": page_title, "launch": PAGE_FILE})


def _first_heading(text: str) -> str:
    for line in text.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return ""


def render_markdown(text: str) -> str:
    """Markdown to HTML with every raw HTML tag, script and event handler removed."""
    body = markdown.markdown(text, extensions=["extra", "sane_lists"], output_format="html")
    # nh3 (ammonia) keeps a safe allow-list: no script/style/iframe, no on* or javascript:.
    return nh3.clean(body, url_schemes={"http", "https", "mailto"})


_PAGE_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.6;color:#1b1b1b}h1,h2,h3{line-height:1.25}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:.3rem .6rem}code{background:#f3f3f3;padding:0 .2rem}"
)


def render_page(text: str, title: str) -> str:
    """A complete, self-contained HTML page for a Markdown module."""
    return (
        '<!DOCTYPE html>\n<html lang="id"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_PAGE_STYLE}</style></head>"
        f"<body>{render_markdown(text)}</body></html>\n"
    )


def summary_json(summary: dict[str, Any]) -> str:
    """Serialise a summary for the ModuleVersion row."""
    return json.dumps(summary, ensure_ascii=False)


def content_dir_is_empty(root: str | os.PathLike[str]) -> bool:
    """True when no module is stored under root (used by tests and demo checks)."""
    path = Path(root)
    return not path.exists() or not any(path.iterdir())

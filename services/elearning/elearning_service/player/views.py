"""Player routes under /play: the launch page and the content it frames.

Design (SECURITY.md #7): the player page is served from the portal's origin and holds
the launch credential; package files are served under
/play/<attempt>/<content credential>/content/<path> into an <iframe sandbox>, and every
content response also carries CSP `sandbox`. Without CONTENT_ORIGIN the sandbox has no
allow-same-origin, so package HTML runs in an opaque origin. With CONTENT_ORIGIN (another
host than the portal's) the frames load from there with allow-same-origin: the pages of
a package share that origin (localStorage, frames calling each other) and still cannot
read the portal's cookies, storage or DOM. The runtime API lives in a shim injected into
each HTML page of a SCO; commits go by postMessage to the player page, which PUTs them to
/api/v1/module-attempts/<id>/cmi with X-Launch-Token; the last commit of a page that
unloads also goes by sendBeacon with the frame's content credential.
"""

from __future__ import annotations

import json
import mimetypes
import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from cakap_shared.auth import public
from cakap_shared.problems import CakapError
from flask import Blueprint, Response, current_app, render_template, request

from ..domain import storage
from ..domain.credentials import credential_attempt, tokens
from ..domain.launches import require_in_use
from ..domain.runtime import items
from ..domain.storage import UnsafePath
from ..models import SCORM_KINDS, Attempt, Mode, ModuleKind
from ..scorm.datamodel import MODELS
from .ranges import file_response

bp = Blueprint("player", __name__, url_prefix="/play", template_folder="templates")
_SHIM = (Path(__file__).with_name("shim.js")).read_text(encoding="utf-8")
_HEAD = re.compile(rb"<head\b[^>]*>", re.IGNORECASE)
_HTML = re.compile(rb"<html\b[^>]*>", re.IGNORECASE)
_DOCTYPE = re.compile(rb"^\s*(<!doctype[^>]*>)", re.IGNORECASE)

# Package content: scripts must run (SCORM needs inline and eval), but only from the
# package itself; no other origin can be reached, framed or posted to. There is no
# frame-ancestors: a package page framed by another package page has an opaque
# (sandboxed) parent, which no frame-ancestors source can name, so 'self' would refuse
# every frameset and nested content frame. Being framed elsewhere gains nothing: the
# URL holds a per-launch credential and the page runs sandboxed in any frame.
CONTENT_CSP = (
    "default-src 'self' data: blob:; "
    "script-src 'self' 'unsafe-inline' 'unsafe-eval' data: blob:; "
    "style-src 'self' 'unsafe-inline' data:; img-src 'self' data: blob:; "
    "media-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "frame-src 'self' data: blob:; form-action 'self'; base-uri 'self'; "
)
# A PDF must not be sandboxed (browsers refuse to show sandboxed PDFs); it is not HTML
# and nosniff keeps it that way.
PDF_CSP = "default-src 'none'; frame-ancestors 'self'"


SANDBOX = "allow-scripts allow-forms allow-popups"


def content_origin() -> str:
    """CONTENT_ORIGIN ('' when package content shares the portal's address).

    A CONTENT_ORIGIN that is the portal's own origin is ignored: allow-same-origin there
    would hand package scripts the portal's cookies, storage and DOM.
    """
    origin = str(current_app.config.get("CONTENT_ORIGIN") or "")
    portal = urlsplit(str(current_app.config.get("PUBLIC_BASE_URL") or ""))
    if not origin or urlsplit(origin)[:2] == portal[:2]:
        return ""
    return origin


def _on_content_origin() -> bool:
    """True when this request came to the separate content origin (by its Host)."""
    origin = content_origin()
    if not origin:
        return False
    wanted = urlsplit(origin)
    return request.scheme == wanted.scheme and request.host.lower() == wanted.netloc.lower()


def _player_csp(nonce: str) -> str:
    frames = " ".join(filter(None, ["'self'", content_origin()]))
    return (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
        f"img-src 'self' data:; frame-src {frames}; media-src {frames}; connect-src 'self'; "
        "form-action 'none'; base-uri 'none'; frame-ancestors 'self'"
    )


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    # The URL carries a credential: never send it on to anyone.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/<string:attempt_id>")
@public
def player(attempt_id: str) -> Response:
    """The player page of one launch (no login: the launch credential in the URL)."""
    token = request.args.get("launch")
    attempt, _ = credential_attempt("launch", token, attempt_id)
    require_in_use(attempt, commit=False)
    version = attempt.version
    state = attempt.state
    entries = []
    for index, item in enumerate(items(version)):
        ctoken = tokens().issue(
            "content", attempt.id, attempt.learner_id, attempt.launch_nonce, s=index
        )
        entries.append(
            {
                "identifier": item["identifier"],
                "title": item.get("title") or item["identifier"],
                "type": item.get("scorm_type", "asset"),
                "url": f"{content_origin()}/play/{attempt.id}/{ctoken}/content/{item['href']}",
                "visible": item.get("visible", True),
                "state": {
                    k: v
                    for k, v in state.get(item["identifier"], {}).items()
                    if k.startswith("progress.")
                },
            }
        )
    nonce = secrets.token_urlsafe(16)
    config = {
        "attemptId": attempt.id,
        "launch": token,
        "kind": version.kind,
        "items": entries,
        "commitUrl": f"/api/v1/module-attempts/{attempt.id}/cmi",
        "attemptUrl": f"/api/v1/module-attempts/{attempt.id}",
        "navigationUrl": f"/api/v1/module-attempts/{attempt.id}/navigation",
        "sequenced": version.kind == ModuleKind.SCORM2004,
        "blankUrl": f"{content_origin()}/play/blank" if content_origin() else "about:blank",
    }
    page = render_template(
        "player.html",
        title=attempt.module.title,
        kind=version.kind,
        mode=attempt.mode,
        back=_back_link(attempt),
        entries=entries,
        nonce=nonce,
        config_json=safe_json(config),
        # Same-origin only where the content origin is not the portal's.
        sandbox=SANDBOX + (" allow-same-origin" if content_origin() else ""),
    )
    response = Response(page, mimetype="text/html")
    response.headers["Content-Security-Policy"] = _player_csp(nonce)
    return _no_store(response)


def _back_link(attempt: Attempt) -> str:
    """Where "Kembali ke Cakap" leads: the owner's preview to their modules, an admin's
    preview to the beranda, a learner to their enrolments."""
    if attempt.mode != Mode.PREVIEW:
        return "/pendaftaran"
    return "/pengajar/modul" if attempt.learner_id == attempt.module.owner_id else "/"


@bp.get("/blank")
@public
def blank() -> Response:
    """An empty page on the content origin: the frame rests here between two items, so
    it never leaves the content origin (about:blank would take the portal's)."""
    response = Response("<!DOCTYPE html><title></title>", mimetype="text/html")
    response.headers["Content-Security-Policy"] = f"default-src 'none'; sandbox {SANDBOX}"
    return _no_store(response)


@bp.get("/<string:attempt_id>/<string:token>/content/<path:relpath>")
@public
def content_file(attempt_id: str, token: str, relpath: str) -> Response:
    """A file of the attempt's module version, for the sandboxed frame."""
    attempt, claims = credential_attempt("content", token, attempt_id)
    version = attempt.version
    all_items = items(version)
    if claims.sco is None or not 0 <= claims.sco < len(all_items):
        raise CakapError(404, "No such content.")
    mimetype = mimetypes.guess_type(relpath)[0] or "application/octet-stream"
    try:
        if mimetype == "text/html":  # read whole: the runtime shim goes into a SCO's page
            # A content credential lives as long as the launch; a page of the package is
            # only served while the attempt is open (or just completed) and its learner
            # enrolled. Checked per page, not per image or script: they run inside a page
            # served so.
            require_in_use(attempt, commit=True)
            with storage.store().open(version.storage_key, relpath) as fh:
                data = fh.read()
            item = all_items[claims.sco]
            if version.kind in SCORM_KINDS and item.get("scorm_type") == "sco":
                data = inject_shim(data, shim_for(attempt, item, token))
            response = Response(data, mimetype=mimetype)
        else:
            response = file_response(storage.store(), version.storage_key, relpath, mimetype)
    except (FileNotFoundError, UnsafePath):
        raise CakapError(404, "No such file in this module.") from None
    if mimetype == "text/html":
        # Let the browser read <meta charset> from the package: many are not UTF-8.
        response.headers["Content-Type"] = "text/html"
    # Only a PDF module's own document goes unsandboxed: a ".pdf" inside a package is
    # the package author's file (it could be HTML named .pdf) and keeps the sandbox.
    pdf_module = version.kind == ModuleKind.PDF and mimetype == "application/pdf"
    # Package pages get their origin back (allow-same-origin) only on the separate content
    # origin; reached through the portal's address they stay in an opaque origin.
    sandbox = SANDBOX + (" allow-same-origin" if _on_content_origin() else "")
    response.headers["Content-Security-Policy"] = (
        PDF_CSP if pdf_module else f"{CONTENT_CSP}sandbox {sandbox}"
    )
    if pdf_module:
        response.headers["Content-Disposition"] = "inline"
    response = _no_store(response)
    if mimetype != "text/html":
        response.headers["Cache-Control"] = "private, max-age=3600"
    return response


def safe_json(value: Any) -> str:
    """JSON that can sit inside an inline <script> without closing it or breaking out."""
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def inject_shim(html: bytes, shim: str) -> bytes:
    """Put the shim first in <head> (before any package script), whatever the markup."""
    tag = f"<script>{shim}</script>".encode("ascii")
    match = _HEAD.search(html)
    if match:
        return html[: match.end()] + tag + html[match.end() :]
    match = _HTML.search(html) or _DOCTYPE.search(html)
    if match:
        return html[: match.end()] + b"<head>" + tag + b"</head>" + html[match.end() :]
    return tag + html


def _model_tables(version: str) -> dict[str, Any]:
    """Access, vocabularies, ranges and lengths for the shim's quick checks (from datamodel)."""
    model: dict[str, str] = {}
    vocab: dict[str, list[str]] = {}
    ranges: dict[str, list[Any]] = {}
    lengths: dict[str, int] = {}
    for pattern, spec in MODELS[version].items():
        model[pattern] = spec.access
        cells = _closure(spec.check)
        if "words" in cells:
            vocab[pattern] = list(cells["words"])
        elif "limit" in cells:
            lengths[pattern] = cells["limit"]
        elif "blank" in cells:
            ranges[pattern] = [cells.get("lo"), cells.get("hi"), cells["blank"]]
    children = {}
    for pattern in model:
        if pattern.endswith("._children"):
            base = pattern[: -len("_children")]
            if any(p.startswith(base + "n.") for p in model):
                base += "n."  # an array: its records' fields
            names = sorted(
                {
                    p[len(base) :].split(".")[0]
                    for p in model
                    if p.startswith(base)
                    and not p[len(base) :].startswith("_")
                    and p[len(base) :].split(".")[0] != "n"
                }
            )
            children[pattern] = ",".join(names)
    return {
        "model": model,
        "vocab": vocab,
        "ranges": ranges,
        "lengths": lengths,
        "children": children,
    }


def _closure(func: Any) -> dict[str, Any]:
    """The captured variables of a datamodel checker (words, limit, lo/hi/blank)."""
    if func is None or not getattr(func, "__closure__", None):
        return {}
    return {
        name: cell.cell_contents
        for name, cell in zip(func.__code__.co_freevars, func.__closure__, strict=True)
    }


_TABLES: dict[str, dict[str, Any]] = {}


def shim_for(attempt: Attempt, item: dict[str, Any], credential: str) -> str:
    """The shim with this SCO's current state and the version's tables inlined.

    `credential` is the frame's own content credential: the shim's last commit on unload
    goes with sendBeacon to the runtime endpoint, which accepts it for this item only.
    """
    version = attempt.version.kind
    if version not in _TABLES:
        _TABLES[version] = _model_tables(version)
    state = {
        k: v
        for k, v in attempt.state.get(item["identifier"], {}).items()
        if not k.startswith("cakap.")
    }
    beacon = f"/api/v1/module-attempts/{attempt.id}/cmi?" + urlencode(
        {"sco": item["identifier"], "credential": credential}
    )
    boot = {
        "version": version,
        "sco": item["identifier"],
        "state": state,
        "beacon": beacon,
        # Messages from a page that is unloading arrive without a usable source window,
        # so the player recognises the frame by the credential it gave that frame.
        "credential": credential,
        **_TABLES[version],
    }
    return _SHIM.replace("__CAKAP_BOOT__", safe_json(boot))

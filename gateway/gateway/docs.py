"""The merged OpenAPI document of every service, and a plain HTML page listing it."""

from __future__ import annotations

import copy
import html
import json
from collections.abc import Callable
from typing import Any

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
REF_PREFIX = "#/components/"


def _rename_refs(node: Any, renames: dict[str, str]) -> Any:
    """Rewrite `$ref`s ("#/components/<kind>/<name>") in place by `renames` (kind/name keys)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            target = renames.get(ref[len(REF_PREFIX) :])
            if target is not None:
                node["$ref"] = REF_PREFIX + target
        for value in node.values():
            _rename_refs(value, renames)
    elif isinstance(node, list):
        for value in node:
            _rename_refs(value, renames)
    return node


def _prefixed(service: str, name: str) -> str:
    return f"{service[:1].upper()}{service[1:]}{name}"


def _skeleton() -> dict[str, Any]:
    """The merged document before any service is added."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Cakap API",
            "version": "v1",
            "description": "All Cakap services behind the gateway.",
        },
        "servers": [{"url": "/"}],
        "tags": [],
        "paths": {},
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            }
        },
        "security": [{"bearerAuth": []}],
        "x-services": {},
    }


def _renames(
    service: str, own: dict[str, Any], components: dict[str, dict[str, Any]]
) -> dict[str, str]:
    """ "kind/name" -> "kind/NewName" for each of the service's components whose name is taken
    by a different one already merged."""
    renames: dict[str, str] = {}
    # Rename until stable: renaming a schema can make another one that refers to it differ.
    changed = True
    while changed:
        changed = False
        probe = _rename_refs(copy.deepcopy(own), renames)
        for kind, items in probe.items():
            if not isinstance(items, dict):
                continue
            for name, value in items.items():
                key = f"{kind}/{name}"
                if key in renames:
                    continue
                existing = components.get(kind, {}).get(name)
                if existing is not None and existing != value:
                    renames[key] = f"{kind}/{_prefixed(service, name)}"
                    changed = True
    return renames


def _add_components(
    doc: dict[str, Any], renames: dict[str, str], components: dict[str, dict[str, Any]]
) -> None:
    for kind, items in (doc.get("components") or {}).items():
        if not isinstance(items, dict):
            continue
        target = components.setdefault(kind, {})
        for name, value in items.items():
            new_name = renames.get(f"{kind}/{name}", f"{kind}/{name}").split("/", 1)[1]
            target.setdefault(new_name, value)


def _add_paths(
    service: str,
    doc: dict[str, Any],
    paths: dict[str, Any],
    hidden: Callable[[str], bool] | None,
) -> None:
    for path, item in (doc.get("paths") or {}).items():
        if path in paths or not isinstance(item, dict):
            continue  # the gateway routes a path to one service only; first one wins
        if hidden is not None and hidden(path):
            continue
        for method in HTTP_METHODS:
            operation = item.get(method)
            if isinstance(operation, dict):
                operation["x-service"] = service
        paths[path] = item


def merge_openapi(
    documents: dict[str, dict[str, Any]],
    missing: list[str] | None = None,
    hidden: Callable[[str], bool] | None = None,
) -> dict[str, Any]:
    """Merge service documents: paths side by side, components without collisions.

    Paths for which `hidden` is true (the gateway's blocked prefixes) are left out: the
    public document lists only what can be called through the gateway.

    A component that two services define identically is kept once (the shared error and
    paging schemas); a name that means different things is prefixed with the later
    service's name (`CatalogCourse`) and its references are rewritten.
    """
    merged = _skeleton()
    components: dict[str, dict[str, Any]] = merged["components"]
    tag_names: set[object] = set()
    for service, original in documents.items():
        doc = copy.deepcopy(original)
        merged["x-services"][service] = {
            "title": doc.get("info", {}).get("title", service),
            "version": doc.get("info", {}).get("version", ""),
        }
        renames = _renames(service, doc.get("components") or {}, components)
        _rename_refs(doc, renames)
        _add_components(doc, renames, components)
        _add_paths(service, doc, merged["paths"], hidden)
        for tag in doc.get("tags") or []:
            if isinstance(tag, dict) and tag.get("name") not in tag_names:
                tag_names.add(tag.get("name"))
                merged["tags"].append(tag)
    if missing:
        merged["x-missing-services"] = sorted(missing)
    return merged


def render_docs(merged: dict[str, Any]) -> str:
    """A small server-rendered page: every operation grouped by service, with its summary."""
    esc = html.escape
    by_service: dict[str, list[tuple[str, str, str]]] = {}
    for path, item in sorted(merged.get("paths", {}).items()):
        for method in HTTP_METHODS:
            operation = item.get(method)
            if isinstance(operation, dict):
                service = operation.get("x-service", "?")
                summary = operation.get("summary") or operation.get("description") or ""
                by_service.setdefault(service, []).append((method.upper(), path, summary))
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Cakap API</title><style>",
        "body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}",
        "table{border-collapse:collapse;width:100%;margin-bottom:2rem}",
        "td,th{border-bottom:1px solid #ddd;padding:.3rem .6rem;text-align:left}",
        "code{font-size:.95em}.m{font-weight:bold;width:5rem}",
        "</style></head><body><h1>Cakap API</h1>",
        "<p>The merged OpenAPI document of every service: ",
        "<a href='/api/openapi.json'>/api/openapi.json</a>. Every call needs ",
        "<code>Authorization: Bearer &lt;token&gt;</code> unless the service says otherwise.</p>",
    ]
    missing = merged.get("x-missing-services")
    if missing:
        parts.append(f"<p><strong>Not available now:</strong> {esc(', '.join(missing))}</p>")
    for service, operations in sorted(by_service.items()):
        info = merged.get("x-services", {}).get(service, {})
        title = f"{service} {info.get('version', '')}".strip()
        parts.append(f"<h2 id='{esc(service)}'>{esc(title)}</h2><table>")
        parts.append("<tr><th>method</th><th>path</th><th>summary</th></tr>")
        for method, path, summary in operations:
            parts.append(
                f"<tr><td class='m'>{esc(method)}</td><td><code>{esc(path)}</code></td>"
                f"<td>{esc(summary)}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return "".join(parts)


def dumps(document: dict[str, Any]) -> bytes:
    """JSON bytes of a document."""
    return json.dumps(document, ensure_ascii=False).encode()

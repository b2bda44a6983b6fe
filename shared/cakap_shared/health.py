"""Liveness, readiness and the service manifest the gateway routes by."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import text


@dataclass
class ServiceManifest:
    """What a service tells the gateway and its peers about itself."""

    name: str
    version: str
    routes: list[str]
    publishes: list[str] = field(default_factory=list)
    subscribes: list[str] = field(default_factory=list)
    events_path: str = "/internal/events"
    # Where the delivery loop posts several events at once; a peer whose manifest lacks it
    # (an older release during a rollout) gets them one by one on events_path.
    events_batch_path: str = "/internal/events/batch"
    openapi_path: str = "/api/openapi.json"

    def as_json(self) -> dict[str, Any]:
        """The manifest document."""
        return {
            "name": self.name,
            "version": self.version,
            "routes": self.routes,
            "publishes": sorted(self.publishes),
            "subscribes": sorted(self.subscribes),
            "events_path": self.events_path,
            "events_batch_path": self.events_batch_path,
            "openapi": self.openapi_path,
        }


ReadyCheck = Callable[[], None]


def init_health(
    app: Flask,
    manifest: ServiceManifest,
    db: SQLAlchemy | None = None,
    extra_checks: Iterable[tuple[str, ReadyCheck]] = (),
) -> None:
    """Register /health/live, /health/ready and /.well-known/service.json."""
    bp = Blueprint("health", __name__)
    checks: list[tuple[str, ReadyCheck]] = []
    if db is not None:
        checks.append(("database", lambda: _check_db(db)))
    checks.extend(extra_checks)

    @bp.get("/health/live")
    def live() -> Response:
        """The process answers."""
        return jsonify(status="ok", service=manifest.name)

    @bp.get("/health/ready")
    def ready() -> tuple[Response, int]:
        """Every dependency answers: 200, else 503 with the failing checks."""
        results: dict[str, str] = {}
        for name, check in checks:
            try:
                check()
                results[name] = "ok"
            except Exception as exc:  # any failure means not ready
                current_app.logger.warning("readiness check %s failed: %s", name, exc)
                results[name] = "unavailable"
        ok = all(v == "ok" for v in results.values())
        body = {"status": "ok" if ok else "unavailable", "checks": results}
        return jsonify(body), 200 if ok else 503

    @bp.get("/.well-known/service.json")
    def service_manifest() -> Response:
        """This service's manifest, with the routes it serves without a token."""
        # Read once: no route is added after the first request (Flask refuses it then).
        listed = current_app.extensions.get("cakap_public_routes")
        if listed is None:
            listed = current_app.extensions["cakap_public_routes"] = public_routes(current_app)
        return jsonify({**manifest.as_json(), "public_routes": listed})

    app.register_blueprint(bp)


def public_routes(app: Flask) -> list[dict[str, Any]]:
    """API routes of views marked @public, as {"methods", "path"} with `*` for each variable.

    The gateway lets these through without a token; the service authenticates them itself
    (a login, a certificate verification, a player launch credential).
    """
    from .auth import is_public_view

    routes = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        if view is None or not is_public_view(view) or not rule.rule.startswith(manifest_prefixes):
            continue
        path = re.sub(r"<[^>]+>", "*", rule.rule)
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        routes.append({"methods": methods, "path": path})
    return sorted(routes, key=lambda r: r["path"])


# Health and manifests are answered by the gateway itself; only API-ish paths are listed.
manifest_prefixes = ("/api/", "/play/", "/content/", "/.well-known/jwks.json")


def _check_db(db: SQLAlchemy) -> None:
    try:
        db.session.execute(text("SELECT 1"))
    finally:
        db.session.remove()

"""One ServiceClient per peer and app, built from SERVICE_URLS; failures become 503."""

from __future__ import annotations

from typing import Any

from cakap_shared.http import ServiceClient, ServiceUnavailable
from flask import current_app


def peer(name: str) -> ServiceClient:
    """The client for peer `name`, made once per app."""
    base = current_app.config["SERVICE_URLS"].get(name)
    if not base:
        raise ServiceUnavailable(f"{name}: no URL configured")
    tokens = current_app.extensions.get("cakap_service_tokens")
    cache = current_app.extensions.setdefault("evaluation_http", {})
    if name not in cache:
        cache[name] = ServiceClient(base, name, tokens)
    return cache[name]


def get_json(name: str, path: str, **params: Any) -> Any:
    """GET a peer's JSON; every failure to get an answer is ServiceUnavailable."""
    try:
        return peer(name).get_json(path, **params)
    except ServiceUnavailable:
        raise
    except Exception as exc:  # e.g. the service token could not be fetched
        raise ServiceUnavailable(f"{name}: {exc.__class__.__name__}") from exc

"""One ServiceClient per peer and app, built from SERVICE_URLS."""

from __future__ import annotations

from cakap_shared.http import ServiceClient, ServiceUnavailable
from flask import current_app


def peer(name: str) -> ServiceClient:
    """The client for peer `name`, made once per app."""
    key = f"planning_client_{name}"
    client = current_app.extensions.get(key)
    if client is None:
        url = current_app.config["SERVICE_URLS"].get(name)
        if not url:
            raise ServiceUnavailable(f"{name}: no URL configured")
        client = ServiceClient(url, name, current_app.extensions.get("cakap_service_tokens"))
        current_app.extensions[key] = client
    return client

"""GET /api/v1/services: the services the gateway routes to, from their manifests, with their
health and outbox, for admins only (the back office's operations page lists them from here)."""

from __future__ import annotations

import pytest
from cakap_shared.testing import bearer, mint_token
from werkzeug.test import Client


@pytest.fixture
def line_up(fake_service, make_gateway):
    """A producer (outbox in its manifest), a service without events, one that is down."""
    notification = fake_service(
        "notification", ["/api/v1/notifications", "/api/v1/outbox/notification"]
    )
    planning = fake_service("planning", ["/api/v1/plans"])
    planning.manifest["version"] = "2.3.1"
    down = fake_service("reports", ["/api/v1/reports"])
    down.stop()
    gateway = make_gateway(notification, planning, down)
    return Client(gateway), planning


def test_admin_reads_every_service_with_version_health_and_outbox(line_up):
    client, planning = line_up
    answer = client.get("/api/v1/services", headers=bearer(mint_token("a-1", ["admin"])))
    assert answer.status_code == 200
    items = {s["name"]: s for s in answer.json["items"]}
    assert list(items) == ["notification", "planning", "reports"]  # SERVICE_URLS order
    assert answer.json["total"] == 3
    assert items["notification"]["outbox"] == "/api/v1/outbox/notification"
    assert items["notification"]["status"] == "ok" and items["notification"]["version"] == "1.0"
    assert items["planning"] == {
        "name": "planning",
        "version": "2.3.1",
        "manifest": "known",
        "status": "ok",
        "routes": ["/api/v1/plans"],
        "outbox": None,
    }
    # down before the gateway started: no manifest, no version, unreachable
    assert items["reports"]["status"] == "unreachable"
    assert items["reports"]["manifest"] == "unknown" and items["reports"]["version"] is None
    # a service that stops answering is reported as such on the next read
    planning.ready_status = 503
    again = client.get("/api/v1/services", headers=bearer(mint_token("a-1", ["admin"])))
    assert {s["name"]: s["status"] for s in again.json["items"]}["planning"] == "unavailable"


@pytest.mark.parametrize(
    ("who", "status"),
    [(None, 401), ("not-a-token", 401), (["asn", "supervisor"], 403), (["trainer"], 403)],
)
def test_only_admins_read_the_registry(line_up, who, status):
    """Tokens are minted when the test runs: one minted at collection may have expired."""
    client, _ = line_up
    if who is None:
        headers = {}
    elif isinstance(who, str):
        headers = bearer(who)
    else:
        headers = bearer(mint_token("p-1", who))
    answer = client.get("/api/v1/services", headers=headers)
    assert answer.status_code == status
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert "items" not in answer.json


def test_only_get(line_up):
    client, _ = line_up
    answer = client.post("/api/v1/services", headers=bearer(mint_token("a-1", ["admin"])))
    assert answer.status_code == 405

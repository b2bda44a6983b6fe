"""Demo modules load into an empty database; the manifest tells the gateway what is public."""

from __future__ import annotations

import uuid

from elearning_service.demo import demo_id, seed_demo
from elearning_service.extensions import db
from elearning_service.models import Module


def test_demo_modules_load_once_with_derived_ids(app, client, content_root):
    with app.app_context():
        assert seed_demo() is True
        assert seed_demo() is False
        modules = {m.id: m for m in db.session.scalars(db.select(Module))}
    ns = uuid.UUID("6f1d0d5e-8a51-4a8e-9a34-3c1bb0f0c0de")
    expected = {
        str(uuid.uuid5(ns, "module:keamanan-informasi")): (
            "scorm12",
            "Keamanan Informasi bagi ASN",
        ),
        str(uuid.uuid5(ns, "module:etika-pelayanan")): ("page", "Etika Pelayanan Publik"),
        str(uuid.uuid5(ns, "module:pedoman-spbe")): ("pdf", "Pedoman SPBE"),
    }
    assert {k: (m.kind, m.title) for k, m in modules.items()} == expected
    assert all(m.owner_id == demo_id("trainer") for m in modules.values())
    assert len(list(content_root.iterdir())) == 3


def test_manifest_lists_the_player_and_runtime_as_public(client):
    manifest = client.get("/.well-known/service.json").get_json()
    assert "/play" in manifest["routes"]
    public = {(tuple(sorted(r["methods"])), r["path"]) for r in manifest["public_routes"]}
    paths = {p for _, p in public}
    assert "/api/v1/module-attempts/*/cmi" in paths
    assert "/play/*" in paths and "/play/*/*/content/*" in paths
    assert "/api/v1/modules" not in paths
    spec = client.get("/api/openapi.json")
    assert spec.status_code == 200
    assert "/api/v1/module-attempts/{attempt_id}/cmi" in spec.get_json()["paths"]

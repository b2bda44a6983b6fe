"""Health, manifest, configuration and the completeness of the English catalogue."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest
import requests
import responses
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from portal_service import create_app
from portal_service.config import ConfigError

PACKAGE = Path(create_app.__code__.co_filename).parent
PORTAL_DIR = PACKAGE.parent


def test_manifest_and_liveness(client):
    manifest = client.get("/.well-known/service.json").get_json()
    assert manifest["name"] == "portal"
    assert manifest["routes"] == ["/"]
    assert manifest["openapi"] is None
    assert client.get("/health/live").get_json()["status"] == "ok"


def test_ready_follows_the_gateway(client, gw, api):
    gw.add(responses.GET, api("/health/live"), json={"status": "ok"})
    assert client.get("/health/ready").status_code == 200
    gw.replace(responses.GET, api("/health/live"), body=requests.ConnectionError("down"))
    ready = client.get("/health/ready")
    assert ready.status_code == 503
    assert ready.get_json()["checks"]["gateway"] == "unavailable"


def test_production_requires_a_secret_key(monkeypatch):
    monkeypatch.setenv("CAKAP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("SECRET_KEY_FILE", raising=False)
    with pytest.raises(ConfigError):
        create_app()


def test_production_cookie_is_secure_by_default(monkeypatch):
    monkeypatch.setenv("CAKAP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.secret_key == "from-the-environment"


def test_development_secret_is_generated_once_with_mode_0600(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("CAKAP_ENV", raising=False)
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    first = create_app()
    key_file = tmp_path / "keys" / "portal-secret-key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text() == first.secret_key
    assert create_app().secret_key == first.secret_key
    assert [p.name for p in key_file.parent.iterdir()] == ["portal-secret-key"]


def test_every_message_has_an_english_translation():
    method_map = [
        ("portal_service/**.py", "python"),
        ("portal_service/templates/**.html", "jinja2"),
    ]
    keywords = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None}
    found = {
        entry[2] if isinstance(entry[2], str) else entry[2][0]
        for entry in extract_from_dir(str(PORTAL_DIR), method_map, keywords=keywords)
    }
    po_path = PACKAGE / "translations" / "en" / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as handle:
        catalog = read_po(handle)
    missing = sorted(m for m in found if not (catalog.get(m) and catalog.get(m).string))
    assert not missing, f"add these to {po_path} and recompile: {missing}"


def test_compiled_catalogue_matches_the_po_file():
    folder = PACKAGE / "translations" / "en" / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as handle:
        po = {m.id: m.string for m in read_po(handle) if m.id}
    mo = {
        m.id: m.string for m in read_mo(io.BytesIO((folder / "messages.mo").read_bytes())) if m.id
    }
    assert po == mo, "run: pybabel compile -d portal_service/translations (in services/portal)"

"""Each domain service built as in production (migrated throw-away DB), plus two probe routes."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
from cakap_shared.auth import current_principal
from cakap_shared.testing import (
    rsa_keypair,
    service_test_config,
    throwaway_database,
    upgrade_database,
)
from flask import Flask

SERVICES = ["personnel", "catalog", "elearning", "evaluation", "notification"]


@pytest.fixture(scope="module", params=SERVICES)
def service_app(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Flask]:
    """One service app per parameter, with /api/v1/_boom (raises) and /api/v1/_whoami."""
    name = request.param
    package = importlib.import_module(f"{name}_service")
    db = importlib.import_module(f"{name}_service.extensions").db
    with throwaway_database(name, tmp_path_factory.mktemp(name)) as url:
        extra = {"JWT_PRIVATE_KEY": rsa_keypair()[0]} if name == "personnel" else {}
        app = package.create_app(service_test_config(name, url, **extra))
        upgrade_database(app)

        @app.get("/api/v1/_boom")
        def boom():
            raise RuntimeError("secret internals")

        @app.get("/api/v1/_whoami")
        def whoami():
            return {"id": current_principal().id}

        yield app
        with app.app_context():
            db.engine.dispose()

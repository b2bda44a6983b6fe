"""Catalog test fixtures: an app on a throw-away migrated database, clients, tokens."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from cakap_shared.testing import (
    empty_tables,
    mint_token,
    service_test_config,
    throwaway_database,
    upgrade_database,
)
from catalog_service import create_app
from catalog_service.extensions import db
from flask import Flask
from flask.testing import FlaskClient


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The catalog app, schema built by its migrations."""
    with throwaway_database("catalog", tmp_path_factory.mktemp("catalog")) as url:
        application = create_app(service_test_config("catalog", url))
        upgrade_database(application)
        yield application
        with application.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client on empty tables."""
    with app.app_context():
        empty_tables(db)
    return app.test_client()


@pytest.fixture
def token() -> Callable[..., str]:
    """Mint a token: token(person_id, roles=[...], unit_code=..., supervisor_id=...)."""

    def make(sub: str, roles: list[str] | None = None, **claims: object) -> str:
        return mint_token(sub, roles or ["asn"], **claims)

    return make

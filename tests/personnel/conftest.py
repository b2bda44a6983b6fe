"""Personnel test fixtures: an app on a throw-away migrated database, clients, tokens."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from cakap_shared.testing import (
    empty_tables,
    mint_token,
    rsa_keypair,
    service_test_config,
    throwaway_database,
    upgrade_database,
)
from flask import Flask
from flask.testing import FlaskClient
from personnel_service import create_app
from personnel_service.competencies import seed_managerial_standard
from personnel_service.extensions import db


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The personnel app, schema built by its migrations."""
    with throwaway_database("personnel", tmp_path_factory.mktemp("personnel")) as url:
        application = create_app(
            service_test_config(
                "personnel",
                url,
                JWT_PRIVATE_KEY=rsa_keypair()[0],
                SERVICE_SECRET="s3cret",
                SERVICE_URLS={"catalog": "http://catalog.invalid"},
            )
        )
        upgrade_database(application)
        yield application
        with application.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client on empty tables (but for the managerial standard the migration seeds)."""
    with app.app_context():
        empty_tables(db)
        seed_managerial_standard()
        db.session.commit()
    return app.test_client()


@pytest.fixture
def token() -> Callable[..., str]:
    """Mint a token: token(person_id, roles=[...])."""

    def make(sub: str, roles: list[str] | None = None, **claims: object) -> str:
        return mint_token(sub, roles or ["asn"], **claims)

    return make

"""Each service's models and its Alembic history describe the same schema, on the database
under test: a model changed without a migration (or the reverse) fails here."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from cakap_shared.testing import migrated_app, rsa_keypair

SERVICES = ["personnel", "catalog", "elearning", "evaluation", "notification", "planning"]
CONFIG: dict[str, dict[str, Any]] = {"elearning": {"LAUNCH_SECRET": "x"}}


@pytest.mark.parametrize("name", SERVICES)
def test_autogenerate_finds_nothing_to_migrate(name: str, tmp_path) -> None:
    package = importlib.import_module(f"{name}_service")
    db = importlib.import_module(f"{name}_service.extensions").db
    extra = dict(CONFIG.get(name, {}))
    if name == "personnel":
        extra["JWT_PRIVATE_KEY"] = rsa_keypair()[0]
    options: dict[str, Any] = {"compare_type": True}
    if name == "catalog":
        from catalog_service.domain.search import modelled

        options["include_object"] = modelled
    with (
        migrated_app(name, package.create_app, db, tmp_path, **extra) as app,
        app.app_context(),
        db.engine.connect() as connection,
    ):
        context = MigrationContext.configure(connection, opts=options)
        differences = compare_metadata(context, db.metadata)
    assert differences == [], f"{name}: models and migrations differ: {differences}"


def test_the_check_sees_a_model_without_its_migration(tmp_path) -> None:
    from notification_service import create_app
    from notification_service.extensions import db
    from sqlalchemy import Column, Integer, MetaData, Table

    with (
        migrated_app("notification", create_app, db, tmp_path) as app,
        app.app_context(),
        db.engine.connect() as connection,
    ):
        metadata = MetaData()
        for table in db.metadata.tables.values():
            table.to_metadata(metadata)
        Table("not_migrated", metadata, Column("id", Integer, primary_key=True))
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert [d[0] for d in differences] == ["add_table"]

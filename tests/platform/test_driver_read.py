"""DriverRead: a fixed SELECT on a pooled driver connection gives what Core's execute gives."""

from __future__ import annotations

import pytest
from cakap_shared.db import DriverRead, engine_options
from cakap_shared.testing import throwaway_database
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    create_engine,
    event,
)

metadata = MetaData()
people = Table(
    "people",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200)),
    Column("status", String(20)),
    Column("points", Integer),
    Column("created_at", DateTime(timezone=True)),
)


@pytest.fixture
def engine(tmp_path):
    """On the tests' database (SQLite, or PostgreSQL with TEST_DB=postgres)."""
    with throwaway_database("driverread", tmp_path) as url:
        engine = create_engine(url, **engine_options(url, None))
        yield from _filled(engine)


def _filled(engine):
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(
            people.insert(),
            [
                {"id": "a", "name": "Siti", "status": "active", "points": 3},
                {"id": "b", "name": "Budi", "status": "retired", "points": 5},
            ],
        )
    yield engine
    engine.dispose()


def test_the_row_is_cores_row(engine):
    statement = people.select().with_only_columns(people.c.id, people.c.name, people.c.points)
    statement = statement.where(people.c.id == bindparam("person_id"))
    read = DriverRead(statement)
    with engine.connect() as connection:
        core = connection.execute(statement, {"person_id": "b"}).first()
    assert read.first(engine, person_id="b") == tuple(core) == ("b", "Budi", 5)
    assert read.first(engine, person_id="nobody") is None


def test_the_statements_own_values_are_bound(engine):
    read = DriverRead(
        people.select()
        .with_only_columns(people.c.name)
        .where(people.c.status == "active", people.c.points > bindparam("at_least"))
    )
    assert read.first(engine, at_least=1) == ("Siti",)
    assert read.first(engine, at_least=3) is None


def test_columns_that_sqlalchemy_converts_are_refused():
    with pytest.raises(TypeError, match="created_at"):
        DriverRead(people.select().with_only_columns(people.c.created_at))


def test_a_list_rendered_at_execution_is_refused(engine):
    read = DriverRead(people.select().with_only_columns(people.c.name).where(
        people.c.id.in_(["a", "b"])
    ))  # fmt: skip
    with pytest.raises(TypeError, match="rendered once"):
        read.first(engine)


def test_a_lost_connection_is_not_handed_out_again(engine, monkeypatch):
    read = DriverRead(people.select().with_only_columns(people.c.name).where(
        people.c.id == bindparam("person_id")
    ))  # fmt: skip
    opened = []
    event.listen(engine, "connect", lambda *_: opened.append(1))
    read.first(engine, person_id="a")
    monkeypatch.setattr(engine.dialect, "is_disconnect", lambda *_: True)
    with pytest.raises(engine.dialect.loaded_dbapi.Error):
        read.first(engine, person_id={"not": "bindable"})
    monkeypatch.undo()
    before = len(opened)
    assert read.first(engine, person_id="a") == ("Siti",)
    assert len(opened) == before + 1  # a fresh connection, not the invalidated one


def test_the_connection_goes_back_to_the_pool(engine):
    read = DriverRead(people.select().with_only_columns(people.c.name).limit(1))
    for _ in range(20):
        read.first(engine)
    assert engine.pool.checkedout() == 0

"""What every service's Alembic `env.py` does, in one place: `run()` migrates the database
of the Flask app that Flask-Migrate is running for (online), or writes the SQL (offline).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from alembic import context
from flask import current_app
from sqlalchemy import MetaData
from sqlalchemy.engine import Engine

log = logging.getLogger("alembic.env")

IncludeObject = Callable[[Any, str | None, str, bool, Any], bool]


def _engine() -> Engine:
    engine: Engine = current_app.extensions["migrate"].db.engine
    return engine


def _metadata() -> MetaData:
    db = current_app.extensions["migrate"].db
    metadata: MetaData = db.metadatas[None] if hasattr(db, "metadatas") else db.metadata
    return metadata


def _skip_empty_autogenerate(_context: Any, _revision: Any, directives: list[Any]) -> None:
    # `flask db migrate` with no model change writes no empty revision.
    autogenerate = getattr(context.config.cmd_opts, "autogenerate", False)
    if autogenerate and directives and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        log.info("No changes in schema detected.")


def run(include_object: IncludeObject | None = None) -> None:
    """Run the migrations; `include_object` leaves hand-managed objects out of autogenerate."""
    url = _engine().url.render_as_string(hide_password=False).replace("%", "%%")
    context.config.set_main_option("sqlalchemy.url", url)
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=_metadata(), literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    conf_args = dict(current_app.extensions["migrate"].configure_args)
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = _skip_empty_autogenerate
    if include_object is not None:
        conf_args.setdefault("include_object", include_object)
    with _engine().connect() as connection:
        context.configure(connection=connection, target_metadata=_metadata(), **conf_args)
        with context.begin_transaction():
            context.run_migrations()

"""Alembic's environment for this service: the one every service shares."""

from cakap_shared.migration_env import run

run()

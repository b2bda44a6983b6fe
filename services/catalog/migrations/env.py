"""Alembic's environment for catalog: the one every service shares, with the search index
left to its hand-written migration."""

from cakap_shared.migration_env import run

from catalog_service.domain.search import modelled

run(include_object=modelled)

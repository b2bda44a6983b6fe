"""Catalog configuration, from the environment only."""

from __future__ import annotations

from typing import Any

from cakap_shared.config import base_config, env_int


def load_config() -> dict[str, Any]:
    """Shared settings plus this service's own."""
    config = base_config("catalog")
    # Most recommendations returned for one person.
    config["CATALOG_RECOMMENDATIONS_LIMIT"] = env_int("CATALOG_RECOMMENDATIONS_LIMIT", 20)
    return config

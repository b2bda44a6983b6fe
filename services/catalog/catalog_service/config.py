"""Catalog configuration, from the environment only."""

from __future__ import annotations

from typing import Any

from cakap_shared.config import base_config


def load_config() -> dict[str, Any]:
    """Shared settings plus this service's own."""
    config = base_config("catalog")
    return config

"""Planning configuration, from the environment only."""

from __future__ import annotations

from typing import Any

from cakap_shared.config import base_config, env_int


def load_config() -> dict[str, Any]:
    """Shared settings plus this service's own."""
    config = base_config("planning")
    # Seconds the solver may spend on one plan; each budget margin gets a quarter of it.
    config["PLANNING_TIME_LIMIT"] = env_int("PLANNING_TIME_LIMIT", 10)
    # Default rules of a plan (the request may set the class limit).
    config["PLANNING_MAX_CLASSES"] = env_int("PLANNING_MAX_CLASSES", 2)
    config["PLANNING_MAX_DAYS_AWAY"] = env_int("PLANNING_MAX_DAYS_AWAY", 10)
    # Classes kept per person and gap competency (the ones closing most, then cheapest).
    config["PLANNING_CLASSES_PER_GAP"] = env_int("PLANNING_CLASSES_PER_GAP", 4)
    return config

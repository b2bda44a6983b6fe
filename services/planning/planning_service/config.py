"""Planning configuration, from the environment only."""

from __future__ import annotations

from typing import Any

from cakap_shared.config import base_config, env_bool, env_int


def load_config() -> dict[str, Any]:
    """Shared settings plus this service's own."""
    config = base_config("planning")
    # Seconds the solver may spend on one plan; each budget margin gets a quarter of it.
    config["PLANNING_TIME_LIMIT"] = env_int("PLANNING_TIME_LIMIT", 10)
    # Each solve in a child process of its own (domain/solving.py); 0 solves in the worker.
    config["PLANNING_SOLVE_APART"] = env_bool("PLANNING_SOLVE_APART", True)
    # Default rules of a plan (the request may set the class limit).
    config["PLANNING_MAX_CLASSES"] = env_int("PLANNING_MAX_CLASSES", 2)
    config["PLANNING_MAX_DAYS_AWAY"] = env_int("PLANNING_MAX_DAYS_AWAY", 10)
    # Classes kept per person and gap competency (the ones closing most, then cheapest).
    config["PLANNING_CLASSES_PER_GAP"] = env_int("PLANNING_CLASSES_PER_GAP", 4)
    return config

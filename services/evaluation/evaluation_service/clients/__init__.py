"""Calls to catalog and personnel, behind small replaceable functions.

`app.extensions["evaluation_clients"]` holds a `Clients` whose attributes are plain
callables (one module per peer: catalog.py, personnel.py); tests swap them for fakes.
Every failure to get an answer becomes `ServiceUnavailable`, so authorization never
fails open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

from . import catalog, personnel

__all__ = ["Clients", "clients", "init_clients"]

# (learner_id, assessment_id) -> {"allowed": bool, "course_ids": [...], "class_ids": [...]}
AccessCheck = Callable[[str, str], dict[str, Any]]
# person_id -> the person document, or None when personnel does not know them
PersonLookup = Callable[[str], dict[str, Any] | None]
# person_id -> [{"id", "name"}], direct supervisor first
SupervisorsLookup = Callable[[str], list[dict[str, Any]]]
# (learner_id, body, caller's bearer token) -> (status, json body)
AppreciationSender = Callable[[str, dict[str, Any], str], tuple[int, Any]]


@dataclass
class Clients:
    """The outbound calls evaluation makes; replace attributes in tests."""

    access: AccessCheck = catalog.learning_access
    person: PersonLookup = personnel.person
    supervisors: SupervisorsLookup = personnel.supervisors
    appreciation: AppreciationSender = personnel.appreciation


def init_clients(app: Flask) -> None:
    """Install the production clients (tests overwrite attributes afterwards)."""
    app.extensions["evaluation_clients"] = Clients()


def clients() -> Clients:
    """The clients of the current app."""
    return current_app.extensions["evaluation_clients"]

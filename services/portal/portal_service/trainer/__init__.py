"""The trainer's (widyaiswara) workspace: modules, question banks, tests, grading, classes."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("pengajar", __name__, url_prefix="/pengajar")

# The views register their routes on `bp` when imported.
from . import banks, classes, grading, modules, tests  # noqa: E402,F401

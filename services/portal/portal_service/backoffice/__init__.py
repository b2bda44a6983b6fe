"""The BKPSDM back office under /admin: people and units, courses and classes, budgets,
reports and operations. One module per area; every view is for admins only (the API
checks again) and offers nothing an admin may not do."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("backoffice", __name__, url_prefix="/admin")

from . import (  # noqa: E402,F401  (each registers its routes on bp)
    announcements,
    budgets,
    courses,
    deliveries,
    dictionary,
    enrolments,
    imports,
    operations,
    people,
    reports,
)

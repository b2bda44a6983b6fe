"""The admin's page: links and short lists (the admin works mostly through the API)."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from .auth import api_get, roles_required
from .pages import items_of, load_part

bp = Blueprint("admin", __name__)


@bp.get("/admin")
@roles_required("admin")
def index():
    """Published courses and people, with links to the API documentation."""
    courses, courses_error = load_part(lambda: api_get("/api/v1/courses", params={"per_page": 20}))
    q = request.args.get("q", "").strip()[:100]
    people, people_error = load_part(
        lambda: api_get("/api/v1/people", params={"per_page": 20, "q": q})
    )
    return render_template(
        "admin.html",
        courses=items_of(courses),
        courses_total=courses.get("total") if isinstance(courses, dict) else None,
        courses_error=courses_error,
        people=items_of(people),
        people_total=people.get("total") if isinstance(people, dict) else None,
        people_error=people_error,
        q=q,
    )

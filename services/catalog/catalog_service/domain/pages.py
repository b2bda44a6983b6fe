"""A page of a list already in memory, in the shape cakap_shared.db.paginate() answers."""

from __future__ import annotations

from typing import Any

from cakap_shared.db import MAX_PER_PAGE


def list_page(items: list[Any], page: int, per_page: int) -> dict[str, Any]:
    """{"items", "total", "page", "per_page"} of `items`, for lists filtered or ranked in Python."""
    per_page = min(per_page, MAX_PER_PAGE)
    start = (page - 1) * per_page
    return {
        "items": items[start : start + per_page],
        "total": len(items),
        "page": page,
        "per_page": per_page,
    }

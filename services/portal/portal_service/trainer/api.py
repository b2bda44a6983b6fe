"""The API calls the trainer's pages make (every call as the signed-in trainer).

The APIs check every right again (owner of a module, bank or test; trainer of a class);
the pages only ever list what these calls return for the trainer, so nothing of another
trainer's is offered.
"""

from __future__ import annotations

from typing import Any

from ..auth import access_token, api_get, api_post, current_user
from ..gateway import ApiError, ApiResponse, gateway, path
from ..pages import items_of


def me() -> str:
    """The signed-in trainer's id."""
    user = current_user()
    assert user is not None
    return user.id


def call(method: str, api_path: str, **kwargs: Any) -> ApiResponse:
    """Any method through the gateway as the signed-in user."""
    return gateway().request(method, api_path, token=access_token(), **kwargs)


def all_pages(api_path: str, params: dict[str, Any] | None = None, limit: int = 10) -> list[dict]:
    """Every item of a list answer, up to `limit` pages of 100."""
    items: list[dict[str, Any]] = []
    for page in range(1, limit + 1):
        data = api_get(api_path, params={**(params or {}), "page": page, "per_page": 100})
        batch = items_of(data)
        items.extend(batch)
        if len(batch) < 100:
            break
    return items


# --- modules ------------------------------------------------------------------


def my_modules() -> list[dict[str, Any]]:
    """Modules the trainer owns (elearning lists only the caller's for trainers)."""
    return all_pages("/api/v1/modules")


def module(module_id: str) -> dict[str, Any]:
    """One module; 404 unless it is the trainer's own (the portal never shows others')."""
    found = api_get(path("/api/v1/modules/{}", module_id))
    if not isinstance(found, dict) or found.get("owner_id") != me():
        raise ApiError(404, None)
    return found


def courses_using(*, module_id: str | None = None, test_id: str | None = None) -> list[dict]:
    """Published courses holding a module or using a test."""
    params = {"module_id": module_id} if module_id else {"test_id": test_id}
    return items_of(api_get("/api/v1/courses", params={**params, "per_page": 50}))


def upload(api_path: str, title: str | None, upload: Any) -> dict[str, Any]:
    """Stream an uploaded file on to elearning (a new module or a new version)."""
    return api_post(
        api_path,
        data={"title": title} if title else {},
        files={
            "file": (
                upload.filename or "module",
                upload.stream,
                upload.mimetype or "application/octet-stream",
            )
        },
    )


# --- question banks -------------------------------------------------------------


def my_banks() -> list[dict[str, Any]]:
    """The trainer's question banks."""
    return all_pages("/api/v1/question-banks")


def bank(bank_id: str) -> dict[str, Any]:
    """One bank (evaluation answers 403/404 for someone else's)."""
    return api_get(path("/api/v1/question-banks/{}", bank_id))


def questions(bank_id: str, tag: str | None = None) -> list[dict[str, Any]]:
    """A bank's questions with answers and tags."""
    params = {"tag": tag} if tag else {}
    return all_pages(path("/api/v1/question-banks/{}/questions", bank_id), params)


# --- tests ------------------------------------------------------------------------


def my_tests() -> list[dict[str, Any]]:
    """The trainer's assessments."""
    return all_pages("/api/v1/assessments")


def test(test_id: str) -> dict[str, Any]:
    """One assessment with its questions (owner only)."""
    return api_get(path("/api/v1/assessments/{}", test_id))


def attempts(test_id: str, **params: Any) -> list[dict[str, Any]]:
    """Attempts at one of the trainer's assessments."""
    return all_pages(path("/api/v1/assessments/{}/attempts", test_id), params)


# --- classes ------------------------------------------------------------------------


def my_classes() -> list[dict[str, Any]]:
    """Classes the trainer teaches."""
    return all_pages("/api/v1/classes", {"trainer_id": me()})


def taught_class(class_id: str) -> dict[str, Any]:
    """A class the trainer teaches; 404 for any other (the roster API would say 403)."""
    found = api_get(path("/api/v1/classes/{}", class_id))
    if not isinstance(found, dict) or me() not in (found.get("trainer_ids") or []):
        raise ApiError(404, None)
    return found

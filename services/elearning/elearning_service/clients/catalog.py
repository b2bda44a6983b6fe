"""What elearning asks catalog: may this learner take this module, what is a class, who is in it.

Behind a small interface so tests (and a future cache) can replace the HTTP client.
Authorization never fails open: no answer from catalog is a 503, not a yes.
"""

from __future__ import annotations

from typing import Any, Protocol

from cakap_shared.http import ServiceClient, ServiceUnavailable, quoted_path
from cakap_shared.problems import CakapError
from flask import Flask, current_app

__all__ = ["CatalogGateway", "HttpCatalog", "ServiceUnavailable", "catalog"]


class CatalogGateway(Protocol):
    """The questions elearning asks catalog."""

    def learning_access(self, learner_id: str, module_id: str) -> dict[str, Any]:
        """{"allowed": bool, "course_ids": [...], "class_ids": [...]}; ServiceUnavailable."""
        ...

    def roster(self, class_id: str) -> dict[str, Any] | None:
        """The class roster ({"items": [{"learner_id"|"id", "name"?...}]}) or None if unknown."""
        ...

    def course_class(self, class_id: str) -> dict[str, Any] | None:
        """The class ({"id", "course_id", "trainer_ids", ...}) or None if unknown."""
        ...

    def course(self, course_id: str) -> dict[str, Any] | None:
        """The course ({"id", "module_ids", ...}) or None if unknown."""
        ...


class HttpCatalog:
    """CatalogGateway over HTTP with a service token."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._client: ServiceClient | None = None

    def _http(self) -> ServiceClient:
        url = self.app.config["SERVICE_URLS"].get("catalog")
        if not url:
            raise ServiceUnavailable("catalog: no URL configured")
        if self._client is None:
            self._client = ServiceClient(
                url, "catalog", self.app.extensions.get("cakap_service_tokens")
            )
        return self._client

    def learning_access(self, learner_id: str, module_id: str) -> dict[str, Any]:
        """Ask catalog; a 404 or a malformed answer counts as not allowed."""
        try:
            body = self._http().get_json(
                "/api/v1/learning-access", learner_id=learner_id, module_id=module_id
            )
        except ServiceUnavailable:
            raise
        except Exception as exc:  # token fetch failures, bad JSON: still fail closed
            raise ServiceUnavailable(f"catalog: {type(exc).__name__}") from exc
        return body if isinstance(body, dict) else {"allowed": False}

    def _document(self, path: str) -> dict[str, Any] | None:
        """A JSON object from catalog, None on 404 or a non-object answer."""
        try:
            body = self._http().get_json(path)
        except ServiceUnavailable:
            raise
        except Exception as exc:
            raise ServiceUnavailable(f"catalog: {type(exc).__name__}") from exc
        return body if isinstance(body, dict) else None

    def roster(self, class_id: str) -> dict[str, Any] | None:
        """The roster of a class, None when catalog does not know it."""
        return self._document(quoted_path("/api/v1/classes/{}/roster", class_id))

    def course_class(self, class_id: str) -> dict[str, Any] | None:
        """A class (with its trainer_ids and course_id), None when catalog does not know it."""
        return self._document(quoted_path("/api/v1/classes/{}", class_id))

    def course(self, course_id: str) -> dict[str, Any] | None:
        """A course (with its module_ids), None when catalog does not know it."""
        return self._document(quoted_path("/api/v1/courses/{}", course_id))


def catalog() -> CatalogGateway:
    """The app's catalog gateway (tests put a fake in app.extensions["elearning_catalog"])."""
    return current_app.extensions["elearning_catalog"]


def unavailable() -> CakapError:
    """503: catalog could not answer, so nothing is allowed."""
    return CakapError(503, "The course catalog is not reachable; try again shortly.")

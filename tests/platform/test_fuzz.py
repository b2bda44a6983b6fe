"""SECURITY.md #16: every domain service's OpenAPI fuzzed in-process with schemathesis.

For each operation of personnel, catalog, elearning and evaluation, a few schema-valid and a
few schema-invalid requests are sent as an admin, and each answer must be no 5xx, a documented
status, content type, headers and body (schemathesis' response checks), and invalid input must
be refused. One request per operation goes without a token and must get 401 unless the view
is @public. Peers are stubbed, so a 503 would be a real finding too.

Bounded (a few examples per operation) and deterministic (derandomize): a smoke net that runs
in CI; for a deeper hunt raise FUZZ_EXAMPLES.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from cakap_shared.auth import is_public_view
from cakap_shared.testing import (
    bearer,
    mint_token,
    rsa_keypair,
    service_test_config,
    throwaway_database,
    upgrade_database,
)
from flask import Flask

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.core.failures import FailureGroup  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = [pytest.mark.fuzz, pytest.mark.security, pytest.mark.once]

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
ADMIN_ID = "0c3a8f59-0000-4000-8000-0000000000ad"


class _Personnel:
    """catalog's view of personnel: nobody has competency gaps."""

    def get_json(self, path: str, **_: Any) -> dict[str, Any]:
        return {"items": []}


class _Catalog:
    """elearning's view of catalog: every learner may take every module; no rosters."""

    def learning_access(self, learner_id: str, module_id: str) -> dict[str, Any]:
        return {"allowed": True, "course_ids": [], "class_ids": []}

    def roster(self, class_id: str) -> None:
        return None


def _personnel(tmp: Path, url: str) -> Flask:
    from argon2 import PasswordHasher
    from personnel_service import create_app
    from personnel_service.domain import passwords

    # Cheap hashing: the token endpoint is fuzzed too.
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    passwords._DUMMY_HASH = passwords._hasher.hash("not-a-real-password")
    return create_app(
        service_test_config(
            "personnel",
            url,
            JWT_PRIVATE_KEY=rsa_keypair()[0],
            SERVICE_SECRET="s3cret",
            SERVICE_URLS={"catalog": "http://catalog.invalid"},
        )
    )


def _catalog(tmp: Path, url: str) -> Flask:
    from catalog_service import create_app

    app = create_app(service_test_config("catalog", url))
    app.extensions["catalog_personnel_client"] = _Personnel()
    return app


def _elearning(tmp: Path, url: str) -> Flask:
    from elearning_service import create_app

    app = create_app(
        service_test_config(
            "elearning",
            url,
            CONTENT_DIR=str(tmp / "content"),
            LAUNCH_SECRET="fuzz-launch-secret",
            MODULE_MAX_BYTES=1024 * 1024,
        )
    )
    app.extensions["elearning_catalog"] = _Catalog()
    return app


def _evaluation(tmp: Path, url: str) -> Flask:
    from evaluation_service import create_app
    from evaluation_service.clients import Clients

    app = create_app(service_test_config("evaluation", url))
    app.extensions["evaluation_clients"] = Clients(
        access=lambda learner_id, assessment_id: {
            "allowed": True,
            "course_ids": [],
            "class_ids": [],
        },
        person=lambda person_id: None,
        supervisors=lambda person_id: [],
        appreciation=lambda learner_id, body, token: (201, {"id": ADMIN_ID, **body}),
    )
    return app


class _NotificationPersonnel:
    """notification's view of personnel: every unit exists and holds the admin alone, who
    is nobody's supervisor."""

    def get_json(self, path: str, **_: Any) -> Any:
        if path.endswith("/supervisors"):
            return {"items": []}
        if path.startswith("/api/v1/units/"):
            return {"code": path.rsplit("/", 1)[1], "name": "Unit"}
        if path == "/api/v1/people":
            return {"items": [{"id": ADMIN_ID, "name": "Admin Fuzz"}], "total": 1}
        return None


def _notification(tmp: Path, url: str) -> Flask:
    from notification_service import create_app

    app = create_app(
        service_test_config(
            "notification", url, SERVICE_URLS={"personnel": "http://personnel.invalid"}
        )
    )
    app.extensions["notification_http"] = {"personnel": _NotificationPersonnel()}
    return app


BUILDERS: dict[str, Callable[[Path, str], Flask]] = {
    "personnel": _personnel,
    "catalog": _catalog,
    "elearning": _elearning,
    "evaluation": _evaluation,
    "notification": _notification,
}


@pytest.fixture(params=list(BUILDERS), scope="module")
def service_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """One service on a throw-away migrated database."""
    name = request.param
    tmp = tmp_path_factory.mktemp(f"fuzz-{name}")
    with throwaway_database(name, tmp) as url:
        app = BUILDERS[name](tmp, url)
        upgrade_database(app)
        yield app
        with app.app_context():
            app.extensions["sqlalchemy"].engine.dispose()


def _is_public(app: Flask, method: str, path: str) -> bool:
    adapter = app.url_map.bind("localhost")
    endpoint, _ = adapter.match(path, method=method)
    return is_public_view(app.view_functions[endpoint])


def test_openapi_fuzz(service_app: Flask) -> None:
    """No 5xx, answers as documented, invalid input refused, no token refused."""
    admin = bearer(mint_token(ADMIN_ID, ["admin"], name="Admin Fuzz", expires_in=3600))
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", service_app)
    findings: dict[tuple[str, str], str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "the schema lists no operation"

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def send(case: Any) -> None:
                try:
                    case.call_and_validate(headers=admin, checks=CHECKS)
                except FailureGroup as group:
                    for failure in group.exceptions:
                        findings.setdefault((case.operation.label, failure.title), str(group))

            try:
                send()
            except Exception as exc:  # Unsatisfiable: no invalid form of a parameterless call
                if type(exc).__name__ != "Unsatisfiable":
                    raise

        @settings(
            max_examples=1,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def without_token(case: Any) -> None:
            case.headers = {
                k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"
            }
            response = case.call()
            path = unquote(urlsplit(response.request.url).path)
            if response.status_code != 401 and not _is_public(service_app, case.method, path):
                findings.setdefault(
                    (case.operation.label, "answered without a token"),
                    f"{response.status_code} {response.text[:300]}",
                )

        without_token()

    report = "\n\n".join(
        f"{label}: {title}\n{detail}" for (label, title), detail in findings.items()
    )
    assert not findings, f"{len(findings)} finding(s):\n{report}"

"""Repository-level rules: services stay independent, compose names the whole suite."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ["personnel", "catalog", "elearning", "evaluation", "notification", "planning", "portal"]
PACKAGES = {f"{name}_service": ROOT / "services" / name for name in SERVICES}
PACKAGES["gateway"] = ROOT / "gateway"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_no_service_imports_another_service(package):
    others = set(PACKAGES) - {package}
    offenders = []
    for path in PACKAGES[package].rglob("*.py"):
        if ".venv" in path.parts:
            continue
        hits = imported_modules(path) & others
        if hits:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(hits)}")
    assert offenders == []


def test_the_import_scan_catches_a_cross_import(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text("from catalog_service.models import Course\nimport personnel_service\n")
    assert {"catalog_service", "personnel_service"} <= imported_modules(sample)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.mark.parametrize(
    "name", ["personnel", "catalog", "elearning", "evaluation", "notification"]
)
def test_compose_runs_each_domain_service_on_its_own_postgres(compose, name):
    services = compose["services"]
    service = services[name]
    assert service["build"]["dockerfile"] == f"services/{name}/Dockerfile"
    assert (ROOT / service["build"]["dockerfile"]).is_file()
    assert service["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert f"@{name}-db:5432/{name}" in service["environment"]["DATABASE_URL"]
    assert services[f"{name}-db"]["image"].startswith("postgres")
    assert "/health/ready" in " ".join(service["healthcheck"]["test"])
    assert services[f"{name}-events"]["command"] == ["/app/service/deliver-events.sh"]
    assert "SERVICE_URLS" in service["environment"]


def test_compose_runs_planning_on_its_own_postgres_without_an_outbox(compose):
    services = compose["services"]
    planning = services["planning"]
    assert planning["build"]["dockerfile"] == "services/planning/Dockerfile"
    assert "@planning-db:5432/planning" in planning["environment"]["DATABASE_URL"]
    assert "/health/ready" in " ".join(planning["healthcheck"]["test"])
    # It publishes and subscribes to nothing, so it has no delivery loop.
    assert "planning-events" not in services


def test_compose_gateway_waits_for_every_service_and_checks_readiness(compose):
    gateway = compose["services"]["gateway"]
    assert set(gateway["depends_on"]) == {
        "personnel",
        "catalog",
        "elearning",
        "evaluation",
        "planning",
        "portal",
    }
    assert "/health/ready" in " ".join(gateway["healthcheck"]["test"])
    # Only the edge proxy is published; it waits for a ready gateway.
    assert "ports" not in gateway
    edge = compose["services"]["edge"]
    assert edge["ports"] == ["8000:8000"]
    assert edge["depends_on"] == {"gateway": {"condition": "service_healthy"}}


def test_compose_environment_matches_env_example(compose):
    example = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    shared_env = compose["services"]["catalog"]["environment"]
    for key in ("SERVICE_URLS", "JWKS_URL", "TOKEN_URL", "JWT_ISSUER", "PUBLIC_BASE_URL"):
        assert key in example and key in shared_env


@pytest.mark.parametrize("name", SERVICES)
def test_every_service_has_its_own_deployment_files(name):
    folder = ROOT / "services" / name
    assert (folder / "Dockerfile").is_file()
    assert (folder / "requirements.txt").is_file()
    assert (folder / "boot.sh").stat().st_mode & 0o111

"""docker-compose.yml as the compose tool itself reads it (`docker compose config`).

Debian's docker-compose (`make compose-deps`, run by `make test` as root) or the
Docker CLI's compose plugin, whichever is here; skipped otherwise, failed under CI.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import REPO_ROOT, need

pytestmark = pytest.mark.database_free

# What docker-compose.yml requires from the operator (its `${NAME:?...}` variables).
REQUIRED = ("SERVICE_SECRET", "GATEWAY_FORWARDER_SECRET", "JWT_PRIVATE_KEY", "LAUNCH_SECRET",
            "PORTAL_SECRET_KEY", "SMTP_HOST")  # fmt: skip


def compose_config(path: Path) -> subprocess.CompletedProcess[str]:
    if shutil.which("docker-compose"):
        command = ["docker-compose"]
    elif (
        shutil.which("docker")
        and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
    ):
        command = ["docker", "compose"]
    else:
        need(False, "neither docker-compose nor the docker compose plugin is installed")
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", **{name: "x" for name in REQUIRED}}
    return subprocess.run(
        [*command, "-f", str(path), "--project-directory", str(REPO_ROOT), "config"],
        capture_output=True,
        text=True,
        env=env,
    )


def test_the_compose_tool_accepts_docker_compose_yml() -> None:
    answer = compose_config(REPO_ROOT / "docker-compose.yml")
    assert answer.returncode == 0, answer.stderr
    services = yaml.safe_load(answer.stdout)["services"]
    for name in ("personnel", "catalog", "elearning", "evaluation", "notification", "planning"):
        assert {name, f"{name}-db"} <= set(services), name
        publishes = (REPO_ROOT / "services" / name / "deliver-events.sh").exists()
        assert (f"{name}-events" in services) == publishes, name
    assert {"portal", "portal-sessions", "gateway", "edge"} <= set(services)


def test_the_check_refuses_a_misspelt_option(tmp_path: Path) -> None:
    text = (REPO_ROOT / "docker-compose.yml").read_text()
    bad = tmp_path / "docker-compose.yml"
    bad.write_text(text.replace("\n  personnel:\n", "\n  personnel:\n    restartt: always\n", 1))
    answer = compose_config(bad)
    assert answer.returncode != 0 and "restartt" in answer.stderr

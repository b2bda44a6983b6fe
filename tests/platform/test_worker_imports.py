"""What a web worker loads at start: nothing only some requests or the CLI need.

Each of these is tens of MB in every worker of every service (docs/BENCHMARKS.md, suite
memory): fpdf2 (PDFs), OR-Tools with NumPy and pandas (planning solves in a child process),
Alembic (the `flask db` commands). The app is created in a fresh interpreter, as gunicorn
does, and its modules listed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.database_free

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ["personnel", "catalog", "elearning", "evaluation", "notification", "planning"]
LOADED_ON_DEMAND = {"fpdf", "PIL", "ortools", "numpy", "pandas", "alembic", "flask_migrate"}

CREATE_APP = """
import json, sys
from cakap_shared.testing import service_test_config
from {service}_service import create_app
create_app(service_test_config("{service}", "sqlite://"))
print(json.dumps(sorted({{name.split(".")[0] for name in sys.modules}})))
"""


@pytest.mark.parametrize("service", SERVICES)
def test_a_web_worker_starts_without_what_only_some_requests_need(service: str) -> None:
    path = os.pathsep.join([str(ROOT / "services" / service), str(ROOT / "shared")])
    done = subprocess.run(
        [sys.executable, "-c", CREATE_APP.format(service=service)],
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert "flask" in loaded  # the app was really built
    assert loaded & LOADED_ON_DEMAND == set()

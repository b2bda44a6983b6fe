"""The real suite as separate processes, started with the Procfile's commands.

Used by the end-to-end tests (tests/e2e) and the browser tests (tests/browser).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import requests
from cakap_shared.testing import backend, postgres_admin_url

ROOT = Path(__file__).resolve().parents[2]


# What the test stacks set apart from .env.example (the benchmarks undo it: bench/benchlib.py).
TEST_TUNING = {
    # The tests stop and kill delivery processes: production's topology.
    "DELIVER_EVENTS_IN_WEB_WORKER": "0",
    # Two stacks at once (xdist) and the tests' own apps share one PostgreSQL of
    # 100 connections: few kept open per process, one sending thread per subscriber.
    "DB_POOL_SIZE": "2",
    "DB_MAX_OVERFLOW": "6",
    "OUTBOX_SENDERS": "1",
    # Retries come at once and never give up while a test waits for them.
    "OUTBOX_BACKOFF_CAP": "2",
    "OUTBOX_MAX_ATTEMPTS": "1000",
    "NOTIFY_BACKOFF_CAP": "2",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def procfile(root: Path = ROOT) -> dict[str, str]:
    """The process table `make run` starts."""
    table = {}
    for line in (root / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            table[name.strip()] = command.strip()
    return table


def production_processes(root: Path = ROOT) -> dict[str, str]:
    """The Procfile, plus each service's delivery process as production runs it
    (`<name>-events`: deliver-events.sh) instead of a thread of its web worker."""
    loops = {
        f"{script.parent.name}-events": str(script.relative_to(root))
        for script in sorted((root / "services").glob("*/deliver-events.sh"))
    }
    return {**procfile(root), **loops}


def env_example(root: Path = ROOT) -> dict[str, str]:
    values = {}
    for line in (root / ".env.example").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key] = value
    return values


def web_processes(root: Path = ROOT) -> list[str]:
    """Procfile processes that serve HTTP on their own port (`<name>-events` loops do not)."""
    return [name for name in procfile(root) if "-" not in name]


def database_services(root: Path = ROOT) -> list[str]:
    """Services with their own database: those with an Alembic history."""
    return [
        name for name in web_processes(root) if (root / "services" / name / "migrations").is_dir()
    ]


class Stack:
    """The whole suite on this machine, on its own ports, var dir and databases.

    `root` is the source tree whose Procfile, .env.example and code run: this checkout by
    default, or an older release's tree (tests/platform/test_previous_release.py); the
    virtualenv is always this checkout's.
    """

    def __init__(
        self,
        var_dir: Path,
        overrides: dict[str, str] | None = None,
        without: tuple[str, ...] = (),
        root: Path = ROOT,
    ) -> None:
        self.var_dir = var_dir
        self.root = root
        # Services left out (with all their processes) until add() names them.
        self.without = set(without)
        self.ports = {name: free_port() for name in web_processes(root) if name not in self.without}
        self.urls = {name: f"http://127.0.0.1:{port}" for name, port in self.ports.items()}
        self.processes: dict[str, subprocess.Popen] = {}
        self.commands = production_processes(root)
        self.databases: dict[str, str] = {}
        self._pg_names: list[str] = []
        self.smtp_port = free_port()  # the dev mail server (notification-mail) of this stack
        self.base_env = {
            **env_example(root),
            "VAR_DIR": str(var_dir),
            # .env.example's CONTENT_DIR is relative to the repo: each stack keeps its own.
            "CONTENT_DIR": str(var_dir / "content"),
            "DEMO_MODE": "1",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.smtp_port),
            "SERVICE_URLS": self._service_urls(),
            "GATEWAY_URL": self.urls["gateway"],
            "PUBLIC_BASE_URL": self.urls["gateway"],
            # Package content on its own origin: elearning's port under another host name.
            "CONTENT_ORIGIN": f"http://localhost:{self.ports['elearning']}",
            "JWKS_URL": f"{self.urls['personnel']}/.well-known/jwks.json",
            "TOKEN_URL": f"{self.urls['personnel']}/api/v1/auth/service-token",
            "SERVICE_SECRET_FILE": str(var_dir / "keys" / "service-secret"),
            "GATEWAY_FORWARDER_SECRET_FILE": str(var_dir / "keys" / "forwarder-secret"),
            "WEB_CONCURRENCY": "1",
            "WEB_THREADS": "4",
            **TEST_TUNING,
            **{f"{name.upper()}_PORT": str(port) for name, port in self.ports.items()},
            **(overrides or {}),
        }
        for name in database_services(root):
            if name not in self.without:
                self.databases[name] = self._database(name)

    def _service_urls(self) -> str:
        return ",".join(f"{n}={u}" for n, u in self.urls.items() if n != "gateway")

    def add(self, name: str) -> None:
        """Configure a service left out at the start; start its processes afterwards.

        Processes already running keep the old SERVICE_URLS until restarted.
        """
        self.without.discard(name)
        self.ports[name] = free_port()
        self.urls[name] = f"http://127.0.0.1:{self.ports[name]}"
        self.base_env["SERVICE_URLS"] = self._service_urls()
        self.base_env[f"{name.upper()}_PORT"] = str(self.ports[name])
        if name in database_services(self.root):
            self.databases[name] = self._database(name)

    def _database(self, service: str) -> str:
        if backend() != "postgres":
            return f"sqlite:///{self.var_dir / service}.db"
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        admin_url = make_url(postgres_admin_url())
        name = f"cakap_e2e_{service}_{uuid.uuid4().hex[:8]}"
        engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        self._pg_names.append(name)
        return admin_url.set(database=name).render_as_string(hide_password=False)

    def env_for(self, process: str) -> dict[str, str]:
        service = process.split("-")[0]
        env = {**os.environ, **self.base_env}
        env["PATH"] = f"{ROOT / '.venv' / 'bin'}:{env['PATH']}"
        # This tree's shared package, not the one the virtualenv was installed from
        # (a git worktree may share another checkout's .venv).
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(self.root / "shared"), os.environ.get("PYTHONPATH", "")])
        )
        if service in self.databases:
            env["DATABASE_URL"] = self.databases[service]
        return env

    def start(self, *processes: str) -> None:
        """Start processes by Procfile name (all when none given)."""
        subprocess.run(
            [str(self.root / "scripts" / "ensure-dev-secrets.sh")],
            check=True,
            env=self.env_for("x"),
        )
        default = tuple(p for p in self.commands if p.split("-")[0] not in self.without)
        for name in processes or default:
            log = open(self.var_dir / f"{name}.log", "ab")  # noqa: SIM115 — kept open for the process
            self.processes[name] = subprocess.Popen(
                self.commands[name].split(),
                cwd=self.root,
                env=self.env_for(name),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def stop(self, *processes: str, sig: int = signal.SIGTERM) -> None:
        """Stop processes (the whole process group: gunicorn and its workers).

        Every group is signalled first, then each awaited: they stop side by side.
        """
        signalled = []
        for name in processes or tuple(self.processes):
            process = self.processes.pop(name, None)
            if process is None:
                continue
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                continue
            signalled.append(process)
        for process in signalled:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)

    def wait_ready(self, name: str = "gateway", timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            process = self.processes.get(name)
            if process is not None and process.poll() is not None:
                raise AssertionError(
                    f"{name} exited ({process.returncode}) before it was ready:\n"
                    + self.log(name)[-3000:]
                )
            try:
                if requests.get(f"{self.urls[name]}/health/ready", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise AssertionError(f"{name} not ready in {timeout}s; logs in {self.var_dir}")

    def log(self, name: str) -> str:
        path = self.var_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def close(self) -> None:
        self.stop()
        if self._pg_names:
            from sqlalchemy import create_engine, text

            engine = create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                for name in self._pg_names:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            engine.dispose()


class Api:
    """A small client for the suite's public API (through the gateway by default)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()

    def login(self, username: str, password: str = "cakap-demo") -> str:
        response = self.http.post(
            f"{self.base_url}/api/v1/auth/token",
            json={"username": username, "password": password},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def call(
        self, method: str, path: str, token: str | None = None, **kwargs: Any
    ) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.request(
            method, f"{self.base_url}{path}", headers=headers, timeout=30, **kwargs
        )


def eventually(check, timeout: float = 60, interval: float = 0.25):
    """Poll `check` until it returns a truthy value; that value, or an AssertionError."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met in {timeout}s (last: {last!r})")

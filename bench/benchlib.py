"""What the benchmarks in bench/ share: gunicorn processes, the bare-Flask baseline, the
suite started as `make run` starts it, an HTTP load (wrk when installed, else Python
keep-alive threads), and per-process memory from /proc.

Every load goes to 127.0.0.1 only and is bounded in time.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
for _path in (ROOT / "tests", ROOT / "shared"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))


from support.suite import env_example  # noqa: E402  # the tests' reading of .env.example

# The services' gunicorn settings under `make run`; the bare-Flask baseline gets the same.
WEB_SETTINGS = {name: env_example()[name] for name in ("WEB_CONCURRENCY", "WEB_THREADS")}

BARE_APP = """
from flask import Flask, jsonify

app = Flask("benchsvc")


@app.get("/.well-known/service.json")
def manifest():
    return jsonify(name="bench", version="1", routes=["/api/v1/bench"], public_routes=[],
                   publishes=[], subscribes=[], openapi="")


@app.get("/health/ready")
def ready():
    return jsonify(status="ok")


@app.get("/api/v1/bench/items")
def items():
    return jsonify(items=[{"id": i, "name": f"item {i}"} for i in range(3)], total=3,
                   page=1, per_page=20)
"""
BARE_PATH = "/api/v1/bench/items"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(port: int, path: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(f"GET {path} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
                if sock.recv(64)[8:13] == b" 200 ":
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"nothing ready on port {port}{path}")


@contextmanager
def gunicorn(
    app: str, port: int, worker: str, workers: int, threads: int, env: dict, cwd: str
) -> Iterator[subprocess.Popen]:
    """One gunicorn on 127.0.0.1:port, stopped on exit; its log beside it in cwd."""
    args = [
        GUNICORN,
        "--bind",
        f"127.0.0.1:{port}",
        "--worker-class",
        worker,
        "--workers",
        str(workers),
        "--no-control-socket",
        "--log-level",
        "warning",
    ]
    if threads:  # threaded worker classes (gthread and the gateway's own)
        args += ["--threads", str(threads)]
    args.append(app)
    log = open(Path(cwd) / f"gunicorn-{port}.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=log, stderr=log)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextmanager
def bare_flask() -> Iterator[str]:
    """The baseline: a bare Flask JSON view under the services' gunicorn settings; its URL."""
    with tempfile.TemporaryDirectory(prefix="cakap-bare-") as tmp:
        Path(tmp, "benchsvc.py").write_text(BARE_APP)
        port = free_port()
        env = {**os.environ, "PYTHONPATH": tmp}
        workers, threads = int(WEB_SETTINGS["WEB_CONCURRENCY"]), int(WEB_SETTINGS["WEB_THREADS"])
        with gunicorn("benchsvc:app", port, "gthread", workers, threads, env, tmp):
            wait_ready(port, "/health/ready")
            yield f"http://127.0.0.1:{port}{BARE_PATH}"


# ---------------------------------------------------------------- load


@dataclass
class Request:
    """One request of a load: method, absolute URL, headers, body."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""


def tool() -> str:
    """The load tool this machine has: wrk, else Python threads."""
    return "wrk" if shutil.which("wrk") else "python"


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise ValueError(text)
    return float(match.group(1)) * _UNITS[match.group(2)]


def _lua(text: str) -> str:
    level = "=" * 4
    assert f"]{level}]" not in text
    return f"[{level}[{text}]{level}]"


def _wrk_script(requests: list[Request], threads: int) -> str:
    """Each wrk thread cycles through its own share (index % threads) of the requests."""
    rows = []
    for r in requests:
        path = urlsplit(r.url)
        target = path.path + (f"?{path.query}" if path.query else "")
        headers = ", ".join(f"[ {_lua(k)} ] = {_lua(v)}" for k, v in r.headers.items())
        rows.append(f"{{{_lua(r.method)}, {_lua(target)}, {{{headers}}}, {_lua(r.body)}}}")
    return (
        "local all = {\n" + ",\n".join(rows) + "\n}\n"
        "local counter = 1\n"
        "function setup(thread) counter = counter + 1; thread:set('id', counter - 2) end\n"
        "local mine = {}\n"
        "local i = 0\n"
        "function init(args)\n"
        f"  for k, r in ipairs(all) do if (k - 1) % {threads} == id % {threads} then\n"
        "    table.insert(mine, wrk.format(r[1], r[2], r[3], r[4] ~= '' and r[4] or nil))\n"
        "  end end\n"
        "  if #mine == 0 then mine = {wrk.format(all[1][1], all[1][2], all[1][3], "
        "all[1][4] ~= '' and all[1][4] or nil)} end\n"
        "end\n"
        "function request()\n"
        "  i = i % #mine + 1\n"
        "  return mine[i]\n"
        "end\n"
    )


def _run_wrk(requests: list[Request], connections: int, threads: int, seconds: float) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_wrk_script(requests, threads))
    try:
        result = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
             "--timeout", "10s", "--latency", "-s", script.name, requests[0].url],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    finally:
        os.unlink(script.name)
    if result.stderr.strip():  # a script error: wrk would go on with a plain GET
        raise RuntimeError(f"wrk: {result.stderr.strip()[:500]}")
    out = result.stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    timeouts = re.search(r"Socket errors:.*timeout (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "mean_ms": _ms(re.search(r"Latency\s+(\S+)", out).group(1)),
        "p50_ms": _ms(re.search(r"\s50%\s+(\S+)", out).group(1)),
        "p90_ms": _ms(re.search(r"\s90%\s+(\S+)", out).group(1)),
        "p99_ms": _ms(re.search(r"\s99%\s+(\S+)", out).group(1)),
        "non_2xx": int(errors.group(1)) if errors else 0,
        "timeouts": int(timeouts.group(1)) if timeouts else 0,
    }


def _run_python(requests: list[Request], connections: int, seconds: float) -> dict:
    """Keep-alive client threads, connection i cycling through requests i, i+c, ...;
    weaker than wrk (it competes for the same two cores)."""
    latencies: list[float] = []
    counts = [0] * connections
    bad = [0]
    stop = time.monotonic() + seconds
    lock = threading.Lock()

    def worker(index: int) -> None:
        mine = requests[index::connections] or requests[:1]
        parts = urlsplit(mine[0].url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        local, n = [], 0
        while time.monotonic() < stop:
            r = mine[n % len(mine)]
            n += 1
            path = urlsplit(r.url)
            started = time.perf_counter()
            conn.request(r.method, path.path + (f"?{path.query}" if path.query else ""),
                         body=r.body or None, headers=r.headers)  # fmt: skip
            response = conn.getresponse()
            response.read()
            local.append((time.perf_counter() - started) * 1000)
            if response.status >= 300:
                bad[0] += 1
            counts[index] += 1
        with lock:
            latencies.extend(local)

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    latencies.sort()
    return {
        "rps": sum(counts) / seconds,
        "mean_ms": statistics.fmean(latencies),
        "p50_ms": percentile(latencies, 50),
        "p90_ms": percentile(latencies, 90),
        "p99_ms": percentile(latencies, 99),
        "non_2xx": bad[0],
        "timeouts": 0,
    }


def load(
    requests: list[Request] | str,
    connections: int,
    seconds: float,
    *,
    headers: dict[str, str] | None = None,
    per_connection: bool = False,
) -> dict:
    """Requests/s and latency of `connections` keep-alive clients for `seconds`.

    `requests` is one URL (GET, with `headers`) or a list that the clients cycle through.
    per_connection: give each connection its own share of the list (wrk: one thread per
    connection), so that no two connections send a request of the same share at once.
    """
    if isinstance(requests, str):
        requests = [Request("GET", requests, headers or {})]
    if tool() == "python":
        return _run_python(requests, connections, seconds)
    threads = connections if per_connection else min(2, connections)
    return _run_wrk(requests, connections, threads, seconds)


def percentile(sorted_values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, round(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


# ---------------------------------------------------------------- the suite


@contextmanager
def suite(
    processes: tuple[str, ...] = (),
    overrides: dict[str, str] | None = None,
    without: tuple[str, ...] = (),
    ready: tuple[str, ...] = ("gateway",),
    peers: tuple[str, ...] = (),
) -> Iterator[Any]:
    """The suite's Procfile processes (all when none named) as `make run` starts them,
    gunicorn 1 x 8 per service (.env.example), in a temporary var dir and databases; the Stack.

    peers: the only services in SERVICE_URLS (the gateway and delivery loops wait for
    every peer named there), when only some are started.
    """
    from support.suite import TEST_TUNING, Stack, procfile

    # make run's settings, not the test stacks' (each web worker runs its service's
    # delivery loop on a thread, two sending threads, the usual pools and back-off).
    example = env_example()
    make_run = {**WEB_SETTINGS, "DELIVER_EVENTS_IN_WEB_WORKER": "1"}
    processes = processes or tuple(name for name in procfile() if name not in without)
    with tempfile.TemporaryDirectory(prefix="cakap-bench-") as tmp:
        stack = Stack(Path(tmp), {**make_run, **(overrides or {})}, without)
        for key in TEST_TUNING.keys() - make_run.keys() - (overrides or {}).keys():
            if key in example:
                stack.base_env[key] = example[key]
            else:
                del stack.base_env[key]
        if peers:
            stack.base_env["SERVICE_URLS"] = ",".join(f"{n}={stack.urls[n]}" for n in peers)
        try:
            stack.start(*processes)
            for name in ready:
                stack.wait_ready(name, timeout=240)
            yield stack
        finally:
            stack.close()


DEMO_PASSWORD = "cakap-demo"  # the demo accounts' published password (README)


def token(base: str, username: str, password: str = DEMO_PASSWORD) -> str:
    """An access token from POST /api/v1/auth/token at `base`."""
    import requests

    response = requests.post(
        f"{base}/api/v1/auth/token", json={"username": username, "password": password}, timeout=60
    )
    if response.status_code != 200:
        raise RuntimeError(f"sign-in of {username} failed: {response.status_code} {response.text}")
    return response.json()["access_token"]


# ---------------------------------------------------------------- memory


def descendants(pid: int) -> list[int]:
    """pid and every process below it (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def memory_kb(pid: int) -> dict[str, int]:
    """Rss and Pss of one process in kB (smaps_rollup); empty when it is gone."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return {}
    values = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in ("Rss", "Pss"):
            values[key.lower()] = int(rest.split()[0])
    return values


def command_line(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def load_average() -> float:
    return round(os.getloadavg()[0], 1)


def print_against_baseline(figures: dict[str, Any], labels: dict[str, str], digits: int) -> None:
    """The Markdown table of throughput beside the bare-Flask baseline, one row per label."""
    print("| target | req/s | x bare | p50 ms | p99 ms | non-2xx |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, label in labels.items():
        f = figures[name]
        print(f"| {label} | {f['rps']:,.0f} | {f['ratio']:.{digits}f} | {f['p50_ms']:.1f} | "
              f"{f['p99_ms']:.1f} | {f['non_2xx']} |")  # fmt: skip
    print()


def emit(figures: dict[str, Any]) -> None:
    """run_all.py's contract: the figures as one JSON object on the last line."""
    print(json.dumps(figures), flush=True)

#!/usr/bin/env python3
"""Gateway versus direct, side by side in one run (`make bench`).

Starts a tiny JSON service (Flask, served like a Cakap service: gunicorn gthread 2x4, with a
manifest) and the gateway in front of it under gunicorn, then measures with `wrk` (or a
Python keep-alive client when wrk is absent):

- throughput: requests/s direct and through the gateway, same connections and duration;
- latency at one connection: mean and p50/p99 direct and through the gateway, and the
  difference (what the gateway adds).

Traffic goes to 127.0.0.1 only; the whole run takes well under a minute. Prints one JSON
line and a markdown table. `--gateway-config gthread:2:16,gateway.worker.GatewayWorker:2:8`
compares several gunicorn set-ups for the gateway in the same run. Direct and gateway are
measured in alternating rounds (`--rounds`, medians reported) so that load from other
processes on a shared machine falls on both sides alike.
"""

from __future__ import annotations

import argparse
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
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))

UPSTREAM_APP = """
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
def gunicorn(app: str, port: int, worker: str, workers: int, threads: int, env: dict, cwd: str):
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


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not match:
        raise ValueError(text)
    return float(match.group(1)) * _UNITS[match.group(2)]


def run_wrk(url: str, token: str, connections: int, threads: int, seconds: float) -> dict:
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--latency",
            "-H",
            f"Authorization: Bearer {token}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    mean = _ms(re.search(r"Latency\s+(\S+)", out).group(1))
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "mean_ms": mean,
        "p50_ms": p50,
        "p99_ms": p99,
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def run_python(url: str, token: str, connections: int, threads: int, seconds: float) -> dict:
    """Keep-alive client threads; weaker than wrk (it competes for the same two cores)."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    latencies: list[float] = []
    counts = [0] * connections
    bad = [0]
    stop = time.monotonic() + seconds

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        local = []
        while time.monotonic() < stop:
            started = time.perf_counter()
            conn.request("GET", parts.path, headers={"Authorization": f"Bearer {token}"})
            response = conn.getresponse()
            response.read()
            local.append((time.perf_counter() - started) * 1000)
            if response.status >= 400:
                bad[0] += 1
            counts[index] += 1
        latencies.extend(local)

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    latencies.sort()
    return {
        "rps": sum(counts) / seconds,
        "mean_ms": sum(latencies) / len(latencies),
        "p50_ms": latencies[len(latencies) // 2],
        "p99_ms": latencies[int(len(latencies) * 0.99)],
        "non_2xx": bad[0],
    }


def _median(rounds: list[dict], key: str) -> dict:
    """Per-field median of one target's measurements over the rounds."""
    runs = [r[key] for r in rounds]
    return {field: statistics.median(run[field] for run in runs) for field in runs[0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=6, help="throughput, all rounds")
    parser.add_argument(
        "--latency-seconds", type=float, default=6, help="1-connection latency, all rounds"
    )
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--rounds", type=int, default=3, help="direct/gateway alternations; medians reported"
    )
    parser.add_argument(
        "--gateway-config",
        default="gateway.worker.GatewayWorker:2:16",
        help="comma list of worker:workers[:threads] for the gateway, e.g. gthread:2:16",
    )
    parser.add_argument("--no-access-log", action="store_true", help="turn the gateway's off")
    options = parser.parse_args()
    load = run_wrk if shutil.which("wrk") else run_python
    tool = "wrk" if load is run_wrk else "python"

    sys.path[:0] = [str(ROOT / "shared")]
    from cakap_shared.testing import mint_token, rsa_keypair

    private, public = rsa_keypair()
    token = mint_token("bench-user", ["asn"], private_pem=private, expires_in=600)
    results: dict[str, Any] = {
        "tool": tool,
        "connections": options.connections,
        "cpus": os.cpu_count(),
        "gateways": [],
    }
    with tempfile.TemporaryDirectory(prefix="cakap-bench-") as tmp, ExitStack() as stack:
        Path(tmp, "benchsvc.py").write_text(UPSTREAM_APP)
        upstream_port = free_port()
        env = {**os.environ, "PYTHONPATH": tmp}
        stack.enter_context(gunicorn("benchsvc:app", upstream_port, "gthread", 2, 4, env, tmp))
        wait_ready(upstream_port, "/health/ready")
        direct_url = f"http://127.0.0.1:{upstream_port}/api/v1/bench/items"
        load(direct_url, token, options.connections, 2, 1)  # warm-up
        directs: list[dict] = []
        for spec in options.gateway_config.split(","):
            worker, workers, *rest = spec.split(":")
            threads = int(rest[0]) if rest else 0
            short = worker.rsplit(".", 1)[-1]
            port = free_port()
            gw_env = {
                **os.environ,
                "PYTHONPATH": os.pathsep.join([str(ROOT / "gateway"), str(ROOT / "shared")]),
                "SERVICE_URLS": f"bench=http://127.0.0.1:{upstream_port}",
                "JWT_PUBLIC_KEY": public,
                "GATEWAY_ACCESS_LOG": "0" if options.no_access_log else "1",
            }
            with gunicorn("gateway:create_app()", port, worker, int(workers), threads, gw_env, tmp):
                wait_ready(port, "/health/live")
                url = f"http://127.0.0.1:{port}/api/v1/bench/items"
                load(url, token, options.connections, 2, 1)  # warm-up (token cache, pools)
                # Direct and gateway alternate in short rounds, so a neighbour's load on a
                # shared machine hits both sides alike; each figure is the median of the rounds.
                rounds = []
                for _ in range(options.rounds):
                    span = options.seconds / options.rounds
                    lat_span = options.latency_seconds / options.rounds
                    rounds.append(
                        {
                            "direct": load(direct_url, token, options.connections, 2, span),
                            "gateway": load(url, token, options.connections, 2, span),
                            "direct_1": load(direct_url, token, 1, 1, lat_span),
                            "gateway_1": load(url, token, 1, 1, lat_span),
                        }
                    )
            direct, through = _median(rounds, "direct"), _median(rounds, "gateway")
            direct_1, through_1 = _median(rounds, "direct_1"), _median(rounds, "gateway_1")
            directs.append({"rps": direct["rps"], "latency_1conn": direct_1})
            results["gateways"].append(
                {
                    "config": f"{short} {workers}x{threads}" if threads else f"{short} {workers}",
                    "rps": through["rps"],
                    "direct_rps": direct["rps"],
                    "ratio": round(
                        statistics.median(r["gateway"]["rps"] / r["direct"]["rps"] for r in rounds),
                        3,
                    ),
                    "latency_1conn": through_1,
                    "direct_latency_1conn": direct_1,
                    "added_ms_mean": round(
                        statistics.median(
                            r["gateway_1"]["mean_ms"] - r["direct_1"]["mean_ms"] for r in rounds
                        ),
                        3,
                    ),
                    "added_ms_p50": round(
                        statistics.median(
                            r["gateway_1"]["p50_ms"] - r["direct_1"]["p50_ms"] for r in rounds
                        ),
                        3,
                    ),
                    "non_2xx": sum(
                        r["gateway"]["non_2xx"] + r["gateway_1"]["non_2xx"] for r in rounds
                    ),
                    "access_log": not options.no_access_log,
                    "rounds": options.rounds,
                }
            )
        results["direct"] = {
            "rps": statistics.median(d["rps"] for d in directs),
            "latency_1conn": {
                key: statistics.median(d["latency_1conn"][key] for d in directs)
                for key in ("mean_ms", "p50_ms", "p99_ms")
            },
            "server": "gunicorn gthread 2x4 + Flask",
        }
    print(json.dumps(results))
    print()
    print(
        f"load: {tool}, {options.connections} connections for throughput, 1 for latency; "
        f"{os.cpu_count()} CPUs shared by client, service and gateway"
    )
    print()
    print("| target | req/s | x direct | latency @1 conn (mean / p50) | added (mean / p50) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    d1 = results["direct"]["latency_1conn"]
    print(
        f"| direct ({results['direct']['server']}) | {results['direct']['rps']:,.0f} | 1.00 | "
        f"{d1['mean_ms']:.3f} / {d1['p50_ms']:.3f} ms | - |"
    )
    for gw in results["gateways"]:
        g1 = gw["latency_1conn"]
        print(
            f"| gateway ({gw['config']}; direct {gw['direct_rps']:,.0f}) | {gw['rps']:,.0f} | "
            f"{gw['ratio']:.2f} | "
            f"{g1['mean_ms']:.3f} / {g1['p50_ms']:.3f} ms | "
            f"{gw['added_ms_mean']:.3f} / {gw['added_ms_p50']:.3f} ms |"
        )
    bad = sum(gw["non_2xx"] for gw in results["gateways"])
    if bad:
        print(f"\nWARNING: {bad} non-2xx answers through the gateway")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

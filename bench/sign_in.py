"""Sign-in throughput from one address: real processes (personnel and the gateway, gunicorn as
`make run` starts them, argon2 at its production cost), demo accounts, several clients at once.

Counts successful POST /api/v1/auth/token answers (each also starts a refresh-token family)
for a fixed time and reports sign-ins per minute and latency; the target is at least 100 a
minute from one address (an office behind one NAT). Then the same for token refreshes.
Prints one JSON line. Usage: .venv/bin/python bench/sign_in.py [--seconds N] [--clients N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "shared")]

from support.suite import Stack  # noqa: E402

LOGINS = ["pegawai", "atasan", "trainer", "admin", "198203142008031001", "199507212019022002"]
TARGET_PER_MINUTE = 100


def group_cpu_seconds(pgid: int) -> float:
    """CPU time (user + system) of every live process in a process group (Linux /proc)."""
    import os

    ticks = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # field 5 of stat: pgrp
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def hammer(url: str, seconds: float, clients: int, body_of) -> dict:
    """Run `clients` threads posting to `url` for `seconds`; counts and latencies."""
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def work(n: int) -> None:
        http = requests.Session()
        i = n
        while time.monotonic() < deadline:
            started = time.perf_counter()
            response = http.post(url, json=body_of(i), timeout=30)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                if response.status_code == 200:
                    latencies.append(elapsed)
            i += clients

    threads = [threading.Thread(target=work, args=(n,)) for n in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    ok = statuses.get(200, 0)
    latencies.sort()
    return {
        "per_minute": round(ok * 60 / wall, 1),
        "ok": ok,
        "other_statuses": {str(k): v for k, v in statuses.items() if k != 200},
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1], 1) if latencies else None,
        "seconds": round(wall, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(Path(tmp), {"WEB_CONCURRENCY": "2", "WEB_THREADS": "4"})
        stack.base_env["SERVICE_URLS"] = f"personnel={stack.urls['personnel']}"
        try:
            stack.start("personnel", "gateway")
            stack.wait_ready("gateway", timeout=180)
            base = stack.urls["gateway"]
            personnel = stack.processes["personnel"].pid
            cpu_before = group_cpu_seconds(personnel)
            sign_in = hammer(
                f"{base}/api/v1/auth/token",
                args.seconds,
                args.clients,
                lambda i: {"username": LOGINS[i % len(LOGINS)], "password": "cakap-demo"},
            )
            # CPU per sign-in does not depend on what else the machine runs: it gives the
            # capacity of an idle machine (cores x 60 / cpu) when the wall figure is noisy.
            cpu = (group_cpu_seconds(personnel) - cpu_before) / max(1, sign_in["ok"])
            sign_in["personnel_cpu_s_per_sign_in"] = round(cpu, 3)
            sign_in["capacity_per_minute_on_2_idle_cores"] = round(2 * 60 / cpu) if cpu else None
            # Each client refreshes its own family, as each browser session does.
            tokens = [
                requests.post(
                    f"{base}/api/v1/auth/token",
                    json={"username": LOGINS[n % len(LOGINS)], "password": "cakap-demo"},
                    timeout=30,
                ).json()["refresh_token"]
                for n in range(args.clients)
            ]
            refresh = _refresh_run(base, args, dict(enumerate(tokens)))
        finally:
            stack.close()
    print("| measure | per minute | p50 ms | p95 ms | refused |")
    print("| --- | --- | --- | --- | --- |")
    for name, row in (("sign-in (one address)", sign_in), ("refresh", refresh)):
        refused = sum(row["other_statuses"].values())
        print(f"| {name} | {row['per_minute']} | {row['p50_ms']} | {row['p95_ms']} | {refused} |")
    print(
        json.dumps(
            {
                "sign_in": sign_in,
                "refresh": refresh,
                "target_sign_ins_per_minute": TARGET_PER_MINUTE,
                "meets_target": sign_in["per_minute"] >= TARGET_PER_MINUTE
                and not sign_in["other_statuses"],
                "load_average_1min": round(__import__("os").getloadavg()[0], 1),
            }
        )
    )


def _refresh_run(base: str, args: argparse.Namespace, current: dict[int, str]) -> dict:
    """Rotating refreshes, one family per client (each client uses the token it got last)."""
    deadline = time.monotonic() + min(args.seconds, 15)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def work(n: int) -> None:
        http = requests.Session()
        while time.monotonic() < deadline:
            started = time.perf_counter()
            response = http.post(
                f"{base}/api/v1/auth/refresh", json={"refresh_token": current[n]}, timeout=30
            )
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code != 200:
                return
            current[n] = response.json()["refresh_token"]
            with lock:
                latencies.append(elapsed)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(args.clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    latencies.sort()
    ok = statuses.get(200, 0)
    return {
        "per_minute": round(ok * 60 / wall, 1),
        "ok": ok,
        "other_statuses": {str(k): v for k, v in statuses.items() if k != 200},
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1], 1) if latencies else None,
        "seconds": round(wall, 1),
    }


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""A sign-in storm from one address: 200 distinct accounts, 16 signing in at once.

Personnel and the gateway run as `make run` starts them (gunicorn as .env.example sets it,
argon2id at its production cost, docs/decisions/0010-password-hashing-cost.md). An admin
creates the accounts through `POST /api/v1/people` (each with its own password); then 16
clients, all from 127.0.0.1 as an office behind one NAT, sign the 200 in through the
gateway (`POST /api/v1/auth/token`), each account once. Reports sign-ins a minute, p50 and
p99 latency, refusals (a throttled or failed sign-in), and personnel's CPU per sign-in (a
figure that does not move with the machine's other load). Then rotating token refreshes,
one family per client, for a few seconds.
Usage: .venv/bin/python bench/sign_in.py [--accounts N] [--clients N] [--quick]
"""

from __future__ import annotations

import argparse
import os
import queue
import statistics
import sys
import threading
import time
from pathlib import Path

import requests
from benchlib import emit, load_average, suite, token
from jp_compliance import nip_of

TARGET_PER_MINUTE, TARGET_P99_MS = 100, 1500
PASSWORD = "sandi-badai-masuk-{}"  # a bench account's password, by index
UNIT = "BENCH-MASUK"


def group_cpu_seconds(pgid: int) -> float:
    """CPU time (user + system) of every live process in a process group (Linux /proc)."""
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


def create_accounts(base: str, count: int) -> list[tuple[str, str]]:
    """`count` people who can sign in, as (login, password); the admin's API, as BKPSDM would."""
    admin = requests.Session()
    admin.headers["Authorization"] = f"Bearer {token(base, 'admin')}"
    admin.post(f"{base}/api/v1/units", json={"code": UNIT, "name": "Bidang Uji Masuk"}, timeout=60)
    accounts = []
    for index in range(count):
        nip, password = nip_of(900_000 + index), PASSWORD.format(index)
        body = {"nip": nip, "name": f"Pegawai Uji {index}", "unit_code": UNIT,
                "position": "Pranata Komputer", "grade": "III/a", "roles": ["asn"],
                "password": password}  # fmt: skip
        answer = admin.post(f"{base}/api/v1/people", json=body, timeout=60)
        if answer.status_code != 201:
            raise RuntimeError(f"creating {nip}: {answer.status_code} {answer.text[:300]}")
        accounts.append((nip, password))
    return accounts


def storm(url: str, accounts: list[tuple[str, str]], clients: int) -> dict:
    """Every account signs in once, `clients` at a time; rate, latencies, refusals."""
    todo: queue.SimpleQueue[tuple[str, str]] = queue.SimpleQueue()
    for account in accounts:
        todo.put(account)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def work() -> None:
        http = requests.Session()
        while True:
            try:
                login, password = todo.get_nowait()
            except queue.Empty:
                return
            started = time.perf_counter()
            answer = http.post(url, json={"username": login, "password": password}, timeout=60)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
                if answer.status_code == 200:
                    latencies.append(elapsed)

    threads = [threading.Thread(target=work) for _ in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    return summary(latencies, statuses, wall)


def summary(latencies: list[float], statuses: dict[int, int], wall: float) -> dict:
    """Rate of good answers, their p50/p95/p99, and every other status counted."""
    latencies.sort()
    ok = statuses.get(200, 0)

    def pct(share: float) -> float | None:
        return round(latencies[max(0, int(len(latencies) * share) - 1)], 1) if latencies else None

    return {
        "per_minute": round(ok * 60 / wall, 1),
        "ok": ok,
        "other_statuses": {str(k): v for k, v in statuses.items() if k != 200},
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "seconds": round(wall, 1),
    }


def refreshes(base: str, tokens: list[str], seconds: float) -> dict:
    """Rotating refreshes, one family per client (each client uses the token it got last)."""
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def work(current: str) -> None:
        http = requests.Session()
        while time.monotonic() < deadline:
            started = time.perf_counter()
            answer = http.post(
                f"{base}/api/v1/auth/refresh", json={"refresh_token": current}, timeout=30
            )
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
                if answer.status_code == 200:
                    latencies.append(elapsed)
            if answer.status_code != 200:
                return
            current = answer.json()["refresh_token"]

    threads = [threading.Thread(target=work, args=(t,)) for t in tokens]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return summary(latencies, statuses, time.monotonic() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--quick", action="store_true", help="40 accounts, 3 s of refreshes")
    args = parser.parse_args()
    if args.quick:
        args.accounts = 40
    with suite(("personnel", "gateway"), peers=("personnel",)) as stack:
        base = stack.urls["gateway"]
        accounts = create_accounts(base, args.accounts)
        personnel = stack.processes["personnel"].pid
        cpu_before = group_cpu_seconds(personnel)
        sign_in = storm(f"{base}/api/v1/auth/token", accounts, args.clients)
        # CPU per sign-in does not depend on what else the machine runs: it gives the
        # capacity of an idle machine (cores x 60 / cpu) when the wall figure is noisy.
        cpu = (group_cpu_seconds(personnel) - cpu_before) / max(1, sign_in["ok"])
        sign_in["personnel_cpu_s_per_sign_in"] = round(cpu, 3)
        sign_in["capacity_per_minute_on_2_idle_cores"] = round(2 * 60 / cpu) if cpu else None
        families = [
            requests.post(f"{base}/api/v1/auth/token", timeout=60,
                          json={"username": login, "password": password}).json()["refresh_token"]
            for login, password in accounts[: args.clients]
        ]  # fmt: skip
        refresh = refreshes(base, families, 3 if args.quick else 15)
    print(f"{args.accounts} accounts, {args.clients} clients at once, one address")
    print()
    print("| measure | per minute | p50 ms | p99 ms | refused |")
    print("| --- | --- | --- | --- | --- |")
    for name, row in (("sign-in", sign_in), ("refresh", refresh)):
        refused = sum(row["other_statuses"].values())
        print(f"| {name} | {row['per_minute']} | {row['p50_ms']} | {row['p99_ms']} | {refused} |")
    emit(
        {
            "accounts": args.accounts,
            "clients": args.clients,
            "sign_in": sign_in,
            "refresh": refresh,
            "targets": {"per_minute": TARGET_PER_MINUTE, "p99_ms": TARGET_P99_MS},
            "load_average_1min": load_average(),
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

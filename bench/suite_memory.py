#!/usr/bin/env python3
"""Memory of the whole suite: every Procfile process as `make run` starts it.

All of the Procfile (web services under gunicorn as .env.example sets it, the delivery
loops, the dev mail server, the gateway) on SQLite with the demo data, in a temporary var
dir. Once the gateway is ready, a little traffic wakes every worker's lazy imports
(sign-ins, a few API reads, the portal's sign-in page); then, per process and all its
children, from /proc/<pid>/smaps_rollup:

- PSS (proportional set size: shared pages split between their users), summed over the
  suite: what the suite costs the machine;
- RSS of the largest single process (shared pages counted whole).

honcho itself is not counted (the suite here is started without it).
Usage: .venv/bin/python bench/suite_memory.py [--settle N] [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time

import requests
from benchlib import command_line, descendants, emit, load_average, memory_kb, suite, token

TARGET_PSS_MB, TARGET_RSS_MB = 800, 120


def warm(stack) -> None:
    """Requests that make each service's workers import and connect what they serve."""
    base = stack.urls["gateway"]
    http = requests.Session()
    for login in ("admin", "pegawai"):
        bearer = {"Authorization": f"Bearer {token(base, login)}"}
        for _ in range(4):  # round robin over the workers, more or less
            for path in (
                "/api/v1/me",
                "/api/v1/courses",
                "/api/v1/enrolments",
                "/api/v1/notifications",
                "/api/v1/certificates",
                "/api/v1/modules",
                "/api/v1/impact-evaluations?status=due",
                "/api/v1/plans",
            ):
                http.get(f"{base}{path}", headers=bearer, timeout=30)
    for _ in range(4):
        http.get(f"{stack.urls['portal']}/masuk", timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--settle", type=float, default=5, help="seconds after the traffic")
    parser.add_argument("--quick", action="store_true", help="1 s to settle")
    args = parser.parse_args()
    if args.quick:
        args.settle = 1
    rows = []
    with suite() as stack:
        warm(stack)
        time.sleep(args.settle)
        for name, process in sorted(stack.processes.items()):
            for pid in descendants(process.pid):
                memory = memory_kb(pid)
                if memory:
                    rows.append((name, pid, memory["pss"], memory["rss"], command_line(pid)))
    by_name: dict[str, dict] = {}
    for name, _pid, pss, rss, _cmd in rows:
        entry = by_name.setdefault(name, {"processes": 0, "pss_mb": 0.0, "max_rss_mb": 0.0})
        entry["processes"] += 1
        entry["pss_mb"] = round(entry["pss_mb"] + pss / 1024, 1)
        entry["max_rss_mb"] = round(max(entry["max_rss_mb"], rss / 1024), 1)
    largest = max(rows, key=lambda row: row[3])
    figures = {
        "processes": len(rows),
        "pss_total_mb": round(sum(row[2] for row in rows) / 1024, 1),
        "rss_total_mb": round(sum(row[3] for row in rows) / 1024, 1),
        "max_rss_mb": round(largest[3] / 1024, 1),
        "max_rss_process": f"{largest[0]}: {largest[4][:80]}",
        "over_120_mb_rss": sum(1 for row in rows if row[3] / 1024 > TARGET_RSS_MB),
        "by_process": by_name,
        "database": "sqlite",
        "load_average_1min": load_average(),
    }
    print(f"{len(rows)} processes, the whole Procfile, gunicorn 1 x 8 per service (.env.example)")
    print()
    print("| Procfile process | processes | PSS MB | largest RSS MB |")
    print("| --- | ---: | ---: | ---: |")
    for name, entry in by_name.items():
        print(f"| {name} | {entry['processes']} | {entry['pss_mb']:.0f} | "
              f"{entry['max_rss_mb']:.0f} |")  # fmt: skip
    print(f"| **all** | {len(rows)} | {figures['pss_total_mb']:.0f} | "
          f"{figures['max_rss_mb']:.0f} |")  # fmt: skip
    print()
    emit(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())

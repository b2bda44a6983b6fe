#!/usr/bin/env python3
"""The JP compliance report of a unit with 50,000 people: `GET /api/v1/units/{code}/compliance`.

Personnel runs as `make run` starts it (gunicorn as .env.example sets it, SQLite by default,
TEST_DB=postgres for a throwaway PostgreSQL database). A unit and three sub-units are
created and 50,000 people imported into them through `POST /api/v1/people/import` (the
public CSV import), none with JP yet this year, so every one of them is below target: the
report's largest answer. Personnel is then restarted, and the report read as an admin,
directly:

- cold: the first request to the restarted service;
- p50 / worst: the median and the slowest of the next requests (first page, 20 rows).

Usage: [TEST_DB=postgres] .venv/bin/python bench/jp_compliance.py [--people N] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date, timedelta

import requests
from benchlib import emit, load_average, suite, token
from cakap_shared.testing import backend

TARGET_MS = 1000
GRADES = ["II/c", "II/d", "III/a", "III/b", "III/c", "III/d", "IV/a", "IV/b"]


def nip_of(index: int) -> str:
    """A valid, unique NIP per index: birth date, appointment month (25 years on), sex, serial."""
    born = date(1970, 1, 1) + timedelta(days=7 * (index // 999))
    appointed = born.replace(year=born.year + 25)
    return f"{born:%Y%m%d}{appointed:%Y%m}{1 + index % 2}{index % 999 + 1:03d}"


def people_csv(unit: str, count: int) -> bytes:
    """`count` people spread over the unit and its three sub-units."""
    codes = [unit] + [f"{unit}-{n}" for n in range(1, 4)]
    lines = ["nip,name,unit_code,position,grade,supervisor_nip"]
    for i in range(count):
        lines.append(
            f"{nip_of(i)},Pegawai Bench {i},{codes[i % 4]},Analis Kebijakan,{GRADES[i % 8]},"
        )
    return ("\n".join(lines) + "\n").encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=7, help="timed requests after the cold one")
    parser.add_argument("--quick", action="store_true", help="2,000 people, 3 runs")
    args = parser.parse_args()
    if args.quick:
        args.people, args.runs = 2_000, 3
    unit = "BENCH-JP"
    with suite(("personnel",), ready=("personnel",)) as stack:
        base = stack.urls["personnel"]
        admin = {"Authorization": f"Bearer {token(base, 'admin')}"}
        http = requests.Session()
        for code, parent in [(unit, None)] + [(f"{unit}-{n}", unit) for n in range(1, 4)]:
            unit_body = {"code": code, "name": f"Unit {code}", "parent_code": parent}
            made = http.post(f"{base}/api/v1/units", headers=admin, json=unit_body, timeout=30)
            assert made.status_code == 201, made.text
        started = time.monotonic()
        imported = http.post(
            f"{base}/api/v1/people/import",
            headers=admin,
            files={"file": ("people.csv", people_csv(unit, args.people), "text/csv")},
            timeout=900,
        )
        import_seconds = time.monotonic() - started
        body = imported.json()
        assert imported.status_code == 200 and body["created"] == args.people, body
        # A fresh process: no page of the database or the report in any cache of its own.
        stack.stop("personnel")
        stack.start("personnel")
        stack.wait_ready("personnel", timeout=240)
        url = f"{base}/api/v1/units/{unit}/compliance?per_page=20"
        admin = {"Authorization": f"Bearer {token(base, 'admin')}"}
        times = []
        for _ in range(args.runs + 1):
            t0 = time.perf_counter()
            answer = http.get(url, headers=admin, timeout=120)
            times.append((time.perf_counter() - t0) * 1000)
            assert answer.status_code == 200, answer.text
        report = answer.json()
    cold, warm = times[0], sorted(times[1:])
    figures = {
        "people": args.people,
        "below_target": report["below_target"],
        "database": backend(),
        "import_seconds": round(import_seconds, 1),
        "cold_ms": round(cold, 1),
        "p50_ms": round(statistics.median(warm), 1),
        "worst_ms": round(warm[-1], 1),
        "runs": args.runs,
        "target_ms": TARGET_MS,
        "load_average_1min": load_average(),
    }
    print(f"{args.people:,} people in a unit and its 3 sub-units, all below target; "
          f"{backend()}; load average {figures['load_average_1min']}")  # fmt: skip
    print()
    print("| request | ms |")
    print("| --- | ---: |")
    print(f"| cold (first after a restart) | {cold:,.0f} |")
    print(f"| p50 of the next {args.runs} | {figures['p50_ms']:,.0f} |")
    print(f"| worst of the next {args.runs} | {figures['worst_ms']:,.0f} |")
    print()
    emit(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())

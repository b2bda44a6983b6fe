#!/usr/bin/env python3
"""Event fan-out: the `person.updated` events of one personnel import, delivered to every
subscriber.

Personnel with its delivery loop (a thread of its web worker, as under `make run`) and the
subscribers of person.updated (catalog, evaluation, notification: their web processes) run
as `make run` starts them, gunicorn 1 x 8 (.env.example), SQLite. Once the demo data's own
events are delivered, N people are imported with `POST /api/v1/people/import` (one
person.updated each, into personnel's outbox); the clock runs from the upload until
personnel's outbox stats (`GET /api/v1/outbox/personnel`) show nothing pending and every
delivery made.

The issue's case is 50,000 people. At today's rate that is far beyond `make bench`'s
ten minutes, so the default imports 2,000 and waits at most --max-wait seconds: the figure
for 50,000 is extrapolated linearly from the measured delivery rate, and its name says so.
Usage: .venv/bin/python bench/event_fanout.py [--people N] [--max-wait S] [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time

import requests
from benchlib import emit, load_average, suite, token
from jp_compliance import people_csv

TARGET_SECONDS, ISSUE_PEOPLE = 60, 50_000


def stats(http: requests.Session, base: str, bearer: dict) -> dict:
    answer = http.get(f"{base}/api/v1/outbox/personnel", headers=bearer, timeout=60)
    answer.raise_for_status()
    return answer.json()


def settle(http: requests.Session, base: str, bearer: dict, timeout: float) -> dict:
    """Wait until nothing is pending; the last stats."""
    deadline = time.monotonic() + timeout
    while True:
        now = stats(http, base, bearer)
        if now["pending"] == 0 or time.monotonic() > deadline:
            return now
        time.sleep(0.5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=2_000)
    parser.add_argument("--max-wait", type=float, default=150, help="seconds, after the upload")
    parser.add_argument("--quick", action="store_true", help="200 people, 60 s at most")
    args = parser.parse_args()
    if args.quick:
        args.people, args.max_wait = 200, 60
    peers = ("personnel", "catalog", "evaluation", "notification")
    with suite(peers, peers=peers, ready=peers) as stack:
        base = stack.urls["personnel"]
        bearer = {"Authorization": f"Bearer {token(base, 'admin')}"}
        http = requests.Session()
        unit = "BENCH-FAN"
        for code, parent in [(unit, None)] + [(f"{unit}-{n}", unit) for n in range(1, 4)]:
            unit_body = {"code": code, "name": f"Unit {code}", "parent_code": parent}
            made = http.post(f"{base}/api/v1/units", headers=bearer, json=unit_body, timeout=30)
            assert made.status_code == 201, made.text
        before = settle(http, base, bearer, 180)  # the demo data's events first
        if before["pending"]:
            raise SystemExit(f"the demo data's events were not delivered: {before}")
        started = time.monotonic()
        imported = http.post(
            f"{base}/api/v1/people/import",
            headers=bearer,
            files={"file": ("people.csv", people_csv(unit, args.people), "text/csv")},
            timeout=900,
        )
        import_seconds = time.monotonic() - started
        assert imported.status_code == 200 and imported.json()["created"] == args.people
        deadline = started + import_seconds + args.max_wait
        while True:
            now = stats(http, base, bearer)
            elapsed = time.monotonic() - started
            if now["pending"] == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        failed = now["dead"] - before["dead"]
        # Whom personnel fans out to: the peers whose manifest subscribes to the event.
        subscribers = sum(
            "person.updated"
            in http.get(f"{stack.urls[peer]}/.well-known/service.json", timeout=30)
            .json()
            .get("subscribes", [])
            for peer in peers
        )
    delivered = now["delivered"] - before["delivered"]
    complete = now["pending"] == 0
    rate = delivered / elapsed if elapsed else 0.0
    full = ISSUE_PEOPLE * max(subscribers, 1)
    figures = {
        "people": args.people,
        "subscribers": subscribers,
        "deliveries": delivered,
        "pending_at_end": now["pending"],
        "dead": failed,
        "all_delivered": complete,
        "import_seconds": round(import_seconds, 1),
        "seconds": round(elapsed, 1),
        "deliveries_per_second": round(rate, 1),
        f"seconds_for_{ISSUE_PEOPLE}_extrapolated": round(full / rate, 1) if rate else None,
        "database": "sqlite",
        "load_average_1min": load_average(),
    }
    print(f"{args.people:,} people imported: {args.people:,} person.updated events to "
          f"{subscribers} subscribers; load average {figures['load_average_1min']}")  # fmt: skip
    print()
    print("| figure | value |")
    print("| --- | ---: |")
    print(f"| import (upload to answer) | {import_seconds:.1f} s |")
    print(f"| {'all' if complete else 'not all'} delivered, from the upload | {elapsed:.1f} s |")
    print(f"| deliveries | {delivered:,} ({now['pending']:,} pending, {failed} dead) |")
    print(f"| deliveries per second | {rate:.1f} |")
    print(f"| 50,000 people, extrapolated from this rate | "
          f"{figures[f'seconds_for_{ISSUE_PEOPLE}_extrapolated']} s |")  # fmt: skip
    print()
    emit(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())

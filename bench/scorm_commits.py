#!/usr/bin/env python3
"""SCORM runtime commits: `PUT /api/v1/module-attempts/{id}/cmi` with the launch credential.

Personnel, catalog, elearning and the gateway run as `make run` starts them (gunicorn as
.env.example sets it, SQLite by default, TEST_DB=postgres for throwaway PostgreSQL
databases). Everything is set up through the public API, as a person would: 32 learners with
a supervisor, a SCORM 1.2 package (tests/elearning/data/kursus_scorm12), a published course
holding it with a class, each learner enrolled (requested, approved) and launched (an
attempt and its launch URL).

Then 16 keep-alive connections commit for the 32 attempts, each connection for its own two
(as a player does: no two commits of one attempt at once), with the player's credential in
X-Launch-Token, an ordinary commit body (location, status, suspend data), directly to
elearning and through the gateway, alternating in rounds with the bare-Flask baseline of
bench/benchlib.py. Prints req/s, the ratio to bare Flask and p50/p99 of each.
Usage: [TEST_DB=postgres] .venv/bin/python bench/scorm_commits.py [--seconds N] [--quick]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
import uuid
import zipfile
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from benchlib import (
    ROOT,
    Request,
    bare_flask,
    emit,
    load,
    load_average,
    print_against_baseline,
    suite,
    tool,
)
from cakap_shared.testing import backend
from support.journeys import nip
from support.suite import Api

PACKAGE = ROOT / "tests" / "elearning" / "data" / "kursus_scorm12"
PASSWORD = "sandi-bench-yang-panjang"  # accounts of a throwaway database
TARGET_RATIO, TARGET_P99_MS = 0.15, 50


def scorm_zip(folder: Path = PACKAGE) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


def expect(response, status: int = 201) -> dict:
    if response.status_code != status:
        raise SystemExit(f"{response.request.method} {response.url}: {response.status_code} "
                         f"{response.text[:500]}")  # fmt: skip
    return response.json() if response.content else {}


def learners_with_attempts(base: str, count: int) -> tuple[list[dict], str]:
    """`count` learners enrolled in a course with the package, each launched; the attempts
    ({"id", "launch"}) and the first item's identifier."""
    api = Api(base)
    admin, trainer = api.login("admin"), api.login("trainer")
    tag = uuid.uuid4().hex[:6].upper()
    unit = f"BENCH-{tag}"
    expect(api.call("POST", "/api/v1/units", admin, json={"code": unit, "name": "Bidang Bench"}))
    boss_nip = nip(date(1975, 5, 5), 1, female=False)
    expect(api.call("POST", "/api/v1/people", admin, json={
        "nip": boss_nip, "name": "Kepala Bench", "unit_code": unit, "position": "Kepala Bidang",
        "grade": "IV/a", "roles": ["asn", "supervisor"], "password": PASSWORD}))  # fmt: skip
    nips = [nip(date(1990, 1 + n % 12, 1 + n % 28), n + 2, female=n % 2 == 1) for n in range(count)]
    for n, person in enumerate(nips):
        expect(api.call("POST", "/api/v1/people", admin, json={
            "nip": person, "name": f"Peserta Bench {n}", "unit_code": unit,
            "position": "Pranata Komputer", "grade": "III/a", "supervisor_nip": boss_nip,
            "roles": ["asn"], "password": PASSWORD}))  # fmt: skip
    module = expect(api.call(
        "POST", "/api/v1/modules", trainer,
        files={"file": ("kursus.zip", scorm_zip(), "application/zip")}, data={"title": "Bench"},
    ))  # fmt: skip
    course = expect(api.call("POST", "/api/v1/courses", admin, json={
        "code": f"BENCH-{tag}", "title": "Kursus Bench", "description": "Benchmark", "jp": 2,
        "module_ids": [module["id"]]}))  # fmt: skip
    expect(api.call("POST", f"/api/v1/courses/{course['id']}/publish", admin), 200)
    today = date.today()
    klass = expect(api.call("POST", f"/api/v1/courses/{course['id']}/classes", admin, json={
        "name": "Angkatan Bench", "starts_on": (today + timedelta(days=7)).isoformat(),
        "ends_on": (today + timedelta(days=37)).isoformat(), "capacity": count + 5}))  # fmt: skip
    boss = api.login(boss_nip, PASSWORD)
    attempts = []
    for person in nips:
        learner = api.login(person, PASSWORD)
        asked = expect(api.call("POST", "/api/v1/enrolments", learner,
                                json={"class_id": klass["id"]}))  # fmt: skip
        expect(api.call("POST", f"/api/v1/enrolments/{asked['id']}/approve", boss), 200)
        attempt = expect(api.call("POST", f"/api/v1/modules/{module['id']}/attempts", learner))
        launch = parse_qs(urlsplit(attempt["launch_url"]).query)["launch"][0]
        attempts.append({"id": attempt["id"], "launch": launch})
    scos = expect(api.call("GET", f"/api/v1/modules/{module['id']}", trainer), 200)["scos"]
    first = next(s["identifier"] for s in scos if s["scorm_type"] == "sco")
    return attempts, first


def commits(base: str, attempts: list[dict], sco: str, connections: int) -> list[Request]:
    """Two commits per attempt; connection i sends those of attempts i, i+c, ... only."""
    requests = []
    for page in (1, 2):
        for attempt in attempts:
            body = {
                "cmi.core.lesson_location": f"halaman-{page}",
                "cmi.core.lesson_status": "incomplete",
                "cmi.suspend_data": json.dumps({"page": page, "answers": list(range(40))}),
            }
            requests.append(Request(
                "PUT", f"{base}/api/v1/module-attempts/{attempt['id']}/cmi?sco={sco}",
                {"X-Launch-Token": attempt["launch"], "Content-Type": "application/json"},
                json.dumps(body),
            ))  # fmt: skip
    # load() gives connection i the requests i, i+connections, ...: keep each attempt on one.
    assert len(attempts) % connections == 0
    return requests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15, help="per target, all rounds")
    parser.add_argument("--learners", type=int, default=32)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="8 learners, 4 connections, 3 s")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.rounds, args.learners, args.connections = 3, 1, 8, 4
    span = args.seconds / args.rounds
    processes = ("personnel", "catalog", "elearning", "gateway")
    started = time.monotonic()
    with (
        bare_flask() as bare_url,
        suite(processes, peers=processes[:-1]) as stack,
    ):
        setup_started = time.monotonic()
        attempts, sco = learners_with_attempts(stack.urls["gateway"], args.learners)
        setup_seconds = time.monotonic() - setup_started
        targets = {
            "bare": [Request("GET", bare_url)],
            "direct": commits(stack.urls["elearning"], attempts, sco, args.connections),
            "gateway": commits(stack.urls["gateway"], attempts, sco, args.connections),
        }
        for requests in targets.values():  # warm-up: each attempt once, pools, caches
            load(requests, args.connections, 2, per_connection=True)
        rounds = [
            {
                name: load(requests, args.connections, span, per_connection=True)
                for name, requests in targets.items()
            }
            for _ in range(args.rounds)
        ]
    figures: dict = {
        "tool": tool(),
        "database": backend(),
        "learners": args.learners,
        "connections": args.connections,
        "rounds": args.rounds,
        "setup_seconds": round(setup_seconds, 1),
    }
    for name in targets:
        runs = [r[name] for r in rounds]
        figures[name] = {k: round(statistics.median(run[k] for run in runs), 3) for k in runs[0]}
        figures[name]["ratio"] = round(
            statistics.median(r[name]["rps"] / r["bare"]["rps"] for r in rounds), 3
        )
    figures["load_average_1min"] = load_average()
    figures["seconds"] = round(time.monotonic() - started, 1)
    print(f"load: {tool()}, {args.learners} learners on {args.connections} connections "
          f"(two attempts each), {args.rounds} alternating rounds, {backend()}; "
          f"load average {figures['load_average_1min']}")  # fmt: skip
    print()
    labels = {
        "bare": "bare Flask JSON view (baseline)",
        "direct": "`PUT …/cmi` straight to elearning",
        "gateway": "`PUT …/cmi` through the gateway",
    }
    print_against_baseline(figures, labels, digits=3)
    emit(figures)
    return 1 if figures["direct"]["non_2xx"] or figures["gateway"]["non_2xx"] else 0


if __name__ == "__main__":
    sys.exit(main())

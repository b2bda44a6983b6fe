#!/usr/bin/env python3
"""The per-request cost of the platform: a bare Flask JSON view against personnel.

The baseline is a bare Flask JSON view under the services' gunicorn settings (gthread,
workers and threads as .env.example sets them). Personnel runs as `make run` starts it
(boot.sh: migrations, demo data, gunicorn), and is called directly, not through the gateway:

- `GET /api/v1/me` with a demo ASN's bearer token: the authenticated one-row read;
- `GET /.well-known/service.json`: no database, no token.

The three are measured in alternating rounds (medians reported), so that load from other
processes on a shared machine falls on all alike; each figure is also given as a ratio of
the bare view's requests/s in the same round. Load: wrk when installed, else Python
threads. Usage: .venv/bin/python bench/bare_vs_me.py [--seconds N] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import sys

from benchlib import (
    WEB_SETTINGS,
    bare_flask,
    emit,
    load,
    load_average,
    print_against_baseline,
    suite,
    token,
    tool,
)

TARGET_ME_RATIO = 0.5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=12, help="per target, all rounds")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="3 s per target, one round")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.rounds = 3, 1
    span = args.seconds / args.rounds
    with bare_flask() as bare_url, suite(("personnel",), ready=("personnel",)) as stack:
        base = stack.urls["personnel"]
        bearer = {"Authorization": f"Bearer {token(base, 'pegawai')}"}
        targets = {
            "bare": (bare_url, {}),
            "me": (f"{base}/api/v1/me", bearer),
            "manifest": (f"{base}/.well-known/service.json", {}),
        }
        for url, headers in targets.values():  # warm-up: imports, pools, caches
            load(url, args.connections, 1, headers=headers)
        rounds = [
            {
                name: load(url, args.connections, span, headers=h)
                for name, (url, h) in targets.items()
            }
            for _ in range(args.rounds)
        ]
    figures: dict = {"tool": tool(), "connections": args.connections, "rounds": args.rounds}
    for name in targets:
        runs = [r[name] for r in rounds]
        figures[name] = {k: round(statistics.median(run[k] for run in runs), 3) for k in runs[0]}
        figures[name]["ratio"] = round(
            statistics.median(r[name]["rps"] / r["bare"]["rps"] for r in rounds), 3
        )
    figures["server"] = "gunicorn gthread {WEB_CONCURRENCY}x{WEB_THREADS}".format(**WEB_SETTINGS)
    figures["load_average_1min"] = load_average()
    print(f"load: {tool()}, {args.connections} connections, {args.rounds} alternating rounds; "
          f"load average {figures['load_average_1min']}")  # fmt: skip
    print()
    labels = {
        "bare": "bare Flask JSON view (baseline)",
        "me": "personnel `GET /api/v1/me` (token, one row)",
        "manifest": "personnel `GET /.well-known/service.json` (no DB, no token)",
    }
    print_against_baseline(figures, labels, digits=2)
    emit(figures)
    return 1 if figures["me"]["non_2xx"] or figures["manifest"]["non_2xx"] else 0


if __name__ == "__main__":
    sys.exit(main())

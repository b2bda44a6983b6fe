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
import statistics
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from benchlib import BARE_APP as UPSTREAM_APP
from benchlib import free_port, gunicorn, load, wait_ready
from benchlib import tool as load_tool

ROOT = Path(__file__).resolve().parent.parent


def measure(url: str, token: str, connections: int, seconds: float) -> dict:
    """Requests/s and latency of `connections` clients sending the bearer token."""
    return load(url, connections, seconds, headers={"Authorization": f"Bearer {token}"})


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
    tool = load_tool()

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
        measure(direct_url, token, options.connections, 1)  # warm-up
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
                measure(url, token, options.connections, 1)  # warm-up (token cache, pools)
                # Direct and gateway alternate in short rounds, so a neighbour's load on a
                # shared machine hits both sides alike; each figure is the median of the rounds.
                rounds = []
                for _ in range(options.rounds):
                    span = options.seconds / options.rounds
                    lat_span = options.latency_seconds / options.rounds
                    rounds.append(
                        {
                            "direct": measure(direct_url, token, options.connections, span),
                            "gateway": measure(url, token, options.connections, span),
                            "direct_1": measure(direct_url, token, 1, lat_span),
                            "gateway_1": measure(url, token, 1, lat_span),
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

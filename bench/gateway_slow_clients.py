#!/usr/bin/env python3
"""A client's latency through the gateway while another holds 200 slow connections.

Starts a tiny service and the gateway in front of it as `gateway/boot.sh` runs it
(GatewayWorker 2x16), then measures one client's requests (a new connection each, from
127.0.0.2) with no other traffic, and while 200 connections from 127.0.0.1 have each sent
part of a request and wait: one byte, a head without its blank line, a head with part of
its body. Issue 10 item 1: before the worker read heads on its poller, ~80 such
connections left nobody answered. The suite's tests assert the answer within 1 s
(tests/gateway/test_slow_clients.py); this records the figures. Takes ~20 s.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gateway_vs_direct import ROOT, UPSTREAM_APP, free_port, gunicorn, wait_ready

SLOW = 200
REQUESTS = 200
STALLS = (
    b"G",
    b"GET /api/v1/bench/items HTTP/1.1\r\nHost: x\r\n",
    b"POST /api/v1/bench/items HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123",
)


def one_request(port: int, token: str) -> float:
    """Milliseconds for one request on a new connection from another address."""
    started = time.perf_counter()
    address = ("127.0.0.1", port)
    with socket.create_connection(address, 10, source_address=("127.0.0.2", 0)) as sock:
        sock.sendall(
            f"GET /api/v1/bench/items HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    if not data.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(data[:200])
    return (time.perf_counter() - started) * 1000


def measure(port: int, token: str) -> dict[str, float]:
    latencies = sorted(one_request(port, token) for _ in range(REQUESTS))
    return {
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 2),
        "max_ms": round(latencies[-1], 2),
    }


def main() -> int:
    sys.path[:0] = [str(ROOT / "shared")]
    from cakap_shared.testing import mint_token, rsa_keypair

    private, public = rsa_keypair()
    token = mint_token("bench-user", ["asn"], private_pem=private, expires_in=600)
    results: dict[str, object] = {"slow_connections": SLOW, "requests": REQUESTS}
    with tempfile.TemporaryDirectory(prefix="cakap-bench-") as tmp, ExitStack() as stack:
        Path(tmp, "benchsvc.py").write_text(UPSTREAM_APP)
        upstream = free_port()
        env = {**os.environ, "PYTHONPATH": tmp}
        stack.enter_context(gunicorn("benchsvc:app", upstream, "gthread", 2, 4, env, tmp))
        wait_ready(upstream, "/health/ready")
        port = free_port()
        gw_env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT / "gateway"), str(ROOT / "shared")]),
            "SERVICE_URLS": f"bench=http://127.0.0.1:{upstream}",
            "JWT_PUBLIC_KEY": public,
            "GATEWAY_ACCESS_LOG": "0",
            # every slow connection held, none refused by the per-address cap
            "GATEWAY_MAX_CONNECTIONS_PER_ADDRESS": "0",
        }
        # Another worker class to compare with: bench/gateway_slow_clients.py module.Class
        worker = sys.argv[1] if len(sys.argv) > 1 else "gateway.worker.GatewayWorker"
        stack.enter_context(gunicorn("gateway:create_app()", port, worker, 2, 16, gw_env, tmp))
        wait_ready(port, "/health/live")
        one_request(port, token)  # warm-up
        results["quiet"] = measure(port, token)
        with ExitStack() as slow:
            for i in range(SLOW):
                sock = slow.enter_context(socket.create_connection(("127.0.0.1", port), 10))
                sock.sendall(STALLS[i % len(STALLS)])
            time.sleep(0.5)
            results["with_slow"] = measure(port, token)
    quiet, busy = results["quiet"], results["with_slow"]
    print("| another client's requests | p50 | p99 | max |")
    print("| --- | ---: | ---: | ---: |")
    print(
        f"| no other traffic | {quiet['p50_ms']} ms | {quiet['p99_ms']} ms | {quiet['max_ms']} ms |"
    )
    print(
        f"| {SLOW} slow connections open | {busy['p50_ms']} ms | {busy['p99_ms']} ms "
        f"| {busy['max_ms']} ms |"
    )
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())

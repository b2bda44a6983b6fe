"""Slow clients cost the gateway's worker a socket, not a thread (issue 10 item 1).

A real gunicorn process with gateway.worker.GatewayWorker and two threads: a client that
opens hundreds of connections and sends its requests a byte at a time must not keep
another client from being answered.
"""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

pytestmark = pytest.mark.security

GATEWAY_DIR = Path(__file__).resolve().parents[2] / "gateway"
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
SLOW_HOST = "127.0.0.1"
GOOD_HOST = "127.0.0.2"  # another address on the loopback: another client

APP = """
def app(environ, start_response):
    if environ["PATH_INFO"] == "/upload":
        size = len(environ["wsgi.input"].read())
        body = str(size).encode()
    else:
        body = ("hello " + environ["PATH_INFO"]).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
"""


@pytest.fixture(scope="module")
def start_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., int]]:
    """start_server(**env) -> port of a GatewayWorker gunicorn (1 process, 2 threads).

    One server per distinct environment in this module.
    """
    tmp_path = tmp_path_factory.mktemp("slow-clients")
    (tmp_path / "tinyapp.py").write_text(APP)
    started: list[tuple[subprocess.Popen, socket.socket]] = []
    ports: dict[tuple[tuple[str, str], ...], int] = {}

    def start(**env: str) -> int:
        key = tuple(sorted(env.items()))
        if key not in ports:
            ports[key] = launch(**env)
        return ports[key]

    def launch(**env: str) -> int:
        listener = socket.create_server(("127.0.0.1", 0), backlog=1024)
        proc = subprocess.Popen(
            [
                GUNICORN,
                "--bind",
                f"fd://{listener.fileno()}",
                "--worker-class",
                "gateway.worker.GatewayWorker",
                "--workers",
                "1",
                "--threads",
                "2",
                "--keep-alive",
                "5",
                "--no-control-socket",
                "--log-level",
                "warning",
                "tinyapp:app",
            ],
            cwd=tmp_path,
            env={"PYTHONPATH": f"{tmp_path}:{GATEWAY_DIR}", "PATH": "/usr/bin:/bin", **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(listener.fileno(),),
        )
        started.append((proc, listener))
        port = listener.getsockname()[1]
        get(port, timeout=30)  # up and answering (the listener queues until the worker boots)
        return port

    yield start
    for proc, listener in started:
        proc.terminate()
        proc.wait(10)
        listener.close()


def connect(port: int, host: str = SLOW_HOST, timeout: float = 5) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(host, 0))


def read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    rfile = sock.makefile("rb")
    status = rfile.readline()
    if not status:
        raise ConnectionError("closed without an answer")
    headers: dict[str, str] = {}
    while (line := rfile.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        headers[name.strip().lower()] = value.strip()
    body = rfile.read(int(headers.get("content-length", "0")))
    return int(status.split()[1]), headers, body


def get(port: int, path: str = "/", host: str = GOOD_HOST, timeout: float = 5) -> bytes:
    with connect(port, host, timeout) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
        status, _, body = read_answer(sock)
    assert status == 200
    return body


def still_open(sock: socket.socket) -> bool:
    """True when the server has neither answered nor closed the connection."""
    timeout = sock.gettimeout()
    sock.setblocking(False)
    try:
        sock.recv(1, socket.MSG_PEEK)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.settimeout(timeout)
    return False


def open_slow_connections(stack: ExitStack, port: int, count: int) -> list[socket.socket]:
    """`count` connections from SLOW_HOST, each stuck part-way through a request."""
    stalls = [
        b"G",  # one byte of a head
        b"GET / HTTP/1.1\r\nHost: t\r\n",  # all but the blank line
        b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n0123456789",  # body
        b"GET /a HTTP/1.1\r\nHost: t\r\n\r\nGET /b HTTP/1.1\r\n",  # a request, then a stall
    ]
    sockets = []
    for i in range(count):
        sock = stack.enter_context(connect(port))
        sock.sendall(stalls[i % len(stalls)])
        sockets.append(sock)
    return sockets


def test_200_slow_connections_do_not_hold_up_another_client(start_server) -> None:
    # No per-address cap here: every slow connection stays open, 100 times the threads.
    port = start_server(GATEWAY_MAX_CONNECTIONS_PER_ADDRESS="0", GATEWAY_HEAD_TIMEOUT="30")
    with ExitStack() as stack:
        slow = open_slow_connections(stack, port, 200)
        time.sleep(0.3)  # every slow request reached the worker
        latencies = []
        for i in range(20):
            started = time.monotonic()
            assert get(port, f"/good-{i}", timeout=5) == f"hello /good-{i}".encode()
            latencies.append(time.monotonic() - started)
        # A keep-alive client too: several requests on one connection.
        with connect(port, GOOD_HOST) as sock:
            for i in range(5):
                started = time.monotonic()
                sock.sendall(f"GET /ka-{i} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
                assert read_answer(sock)[2] == f"hello /ka-{i}".encode()
                latencies.append(time.monotonic() - started)
        assert max(latencies) < 1.0, latencies
        # The slow connections are still open, held by the poller alone; those that sent a
        # whole request before stalling had it answered.
        for i, sock in enumerate(slow):
            if i % 4 == 3:
                assert read_answer(sock)[2] == b"hello /a"
            assert still_open(sock), i


def test_the_rest_of_a_request_still_arrives_and_is_answered(start_server) -> None:
    port = start_server()
    with connect(port) as sock:
        for part in (b"POST /upl", b"oad HTTP/1.1\r\nHost: t\r\nContent-", b"Length: 5\r\n\r\nab"):
            sock.sendall(part)
            time.sleep(0.05)
        sock.sendall(b"cde")
        assert read_answer(sock)[2] == b"5"


def test_a_head_not_complete_in_time_gets_408(start_server) -> None:
    port = start_server(GATEWAY_HEAD_TIMEOUT="1")
    with connect(port) as partial, connect(port) as silent:
        partial.sendall(b"GET / HTTP/1.1\r\nHost:")
        started = time.monotonic()
        status, headers, body = read_answer(partial)
        assert status == 408
        assert 0.8 < time.monotonic() - started < 2.5
        assert headers["content-type"] == "application/problem+json"
        assert json.loads(body)["status"] == 408
        assert partial.recv(1) == b""  # closed
        assert silent.recv(1) == b""  # a connection that sends nothing is closed quietly


def test_connections_per_address_are_capped(start_server) -> None:
    port = start_server(GATEWAY_MAX_CONNECTIONS_PER_ADDRESS="5")
    with ExitStack() as stack:
        held = [stack.enter_context(connect(port)) for _ in range(5)]
        time.sleep(0.2)
        with connect(port) as refused:
            status, headers, body = read_answer(refused)
        assert status == 429
        assert headers["content-type"] == "application/problem+json"
        assert "connections" in json.loads(body)["detail"]
        assert all(still_open(sock) for sock in held)
        # Another address is not affected; a closed connection frees its slot.
        assert get(port, "/other", host=GOOD_HOST) == b"hello /other"
        held.pop().close()
        time.sleep(0.2)
        assert get(port, "/again", host=SLOW_HOST) == b"hello /again"


def test_a_trusted_forwarder_is_not_capped(start_server) -> None:
    port = start_server(
        GATEWAY_MAX_CONNECTIONS_PER_ADDRESS="2", GATEWAY_TRUSTED_FORWARDERS=f"{GOOD_HOST}/32"
    )
    with ExitStack() as stack:
        for _ in range(4):
            stack.enter_context(connect(port, GOOD_HOST))
        time.sleep(0.2)
        assert get(port, "/edge", host=GOOD_HOST) == b"hello /edge"


def test_a_large_body_that_stalls_frees_its_thread(start_server) -> None:
    # Bodies above 64 KiB are read by a thread (they stream to the service); a client that
    # stops sending loses that thread after GATEWAY_CLIENT_IO_TIMEOUT.
    port = start_server(GATEWAY_CLIENT_IO_TIMEOUT="1")
    with ExitStack() as stack:
        for _ in range(2):  # as many as there are threads
            sock = stack.enter_context(connect(port))
            sock.sendall(b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\nx")
        time.sleep(0.2)
        started = time.monotonic()
        assert get(port, "/after", timeout=5) == b"hello /after"
        assert time.monotonic() - started < 2.5


class StallingBody(io.BytesIO):
    """A request body whose client stops sending after the first block."""

    sent = False

    def read(self, size: int | None = -1) -> bytes:
        if not self.sent:
            self.sent = True
            return b"x" * 65536
        raise TimeoutError("timed out")  # what the worker's socket timeout raises


def test_a_stalled_body_is_the_clients_408_not_a_service_error(client, services) -> None:
    from cakap_shared.testing import bearer, mint_token

    answer = client.post(
        "/api/v1/courses/upload",
        headers=bearer(mint_token("p-1", ["asn"])),
        environ_overrides={"wsgi.input": StallingBody(), "CONTENT_LENGTH": "1000000"},
    )
    assert answer.status_code == 408
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.headers["Connection"] == "close"


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef",
        b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length:\r\n 5\r\n\r\nabcde",
    ],
    ids=["duplicate-length", "length-and-chunked", "obs-fold"],
)
def test_framing_is_still_judged_by_the_parser(start_server, request_bytes: bytes) -> None:
    port = start_server()
    with connect(port) as sock:
        sock.sendall(request_bytes)
        status, headers, _ = read_answer(sock)
    assert status == 400
    assert headers["connection"] == "close"


def test_a_chunked_body_arrives_whole(start_server) -> None:
    port = start_server()
    with connect(port) as sock:
        sock.sendall(
            b"POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc"
        )
        time.sleep(0.1)
        sock.sendall(b"\r\n2\r\nde\r\n0\r\n\r\n")
        assert read_answer(sock)[2] == b"5"


def test_answers_stay_paired_with_requests_under_mixed_keep_alive_traffic(start_server) -> None:
    """1,400 requests on 8 keep-alive connections: GETs, small and large bodies, pipelined
    pairs, requests split across writes; every answer must belong to its request."""
    import random
    import threading

    port = start_server()
    failures: list[str] = []

    def client(seed: int) -> None:
        try:
            exchange(seed)
        except Exception as error:  # a thread's exception would otherwise go unseen
            failures.append(repr(error))

    def exchange(seed: int) -> None:
        rng = random.Random(seed)
        with connect(port, GOOD_HOST, timeout=20) as sock:
            rfile = sock.makefile("rb")
            sent = 0
            while sent < 175:
                batch = []
                for _ in range(rng.choice((1, 1, 2))):  # sometimes two pipelined
                    if rng.random() < 0.5:
                        path = f"/g-{seed}-{sent}"
                        batch.append((f"GET {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode(), path))
                    else:
                        size = rng.choice((0, 5, 1000, 70000, 150000))
                        head = f"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: {size}\r\n\r\n"
                        batch.append((head.encode() + b"x" * size, str(size)))
                    sent += 1
                data = b"".join(raw for raw, _ in batch)
                if rng.random() < 0.2:  # split mid-request
                    cut = rng.randrange(1, len(data))
                    sock.sendall(data[:cut])
                    time.sleep(0.005)
                    data = data[cut:]
                sock.sendall(data)
                for _, expected in batch:
                    status = rfile.readline()
                    length = 0
                    while (line := rfile.readline()) not in (b"\r\n", b""):
                        if line.lower().startswith(b"content-length:"):
                            length = int(line.split(b":")[1])
                    body = rfile.read(length).decode()
                    want = expected if not expected.startswith("/") else f"hello {expected}"
                    if not status.startswith(b"HTTP/1.1 200") or body != want:
                        failures.append(f"{status!r} {body!r} != {want!r}")
                        return

    threads = [threading.Thread(target=client, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures, failures[:3]


def test_at_the_connection_limit_idle_keep_alive_connections_make_room(start_server) -> None:
    port = start_server(GUNICORN_CMD_ARGS="--worker-connections 6")
    with ExitStack() as stack:
        for i in range(6):  # every slot held by a kept-alive connection, silent after one answer
            sock = stack.enter_context(connect(port, GOOD_HOST))
            sock.sendall(f"GET /idle-{i} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
            assert read_answer(sock)[2] == f"hello /idle-{i}".encode()
        time.sleep(0.3)
        started = time.monotonic()
        assert get(port, "/newcomer", host=SLOW_HOST) == b"hello /newcomer"
        # Not after the 5 s keep-alive timeout: an idle connection was closed to make room.
        assert time.monotonic() - started < 2

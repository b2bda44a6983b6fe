"""The gateway's gunicorn worker (gateway.worker.GatewayWorker) over real sockets."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

GATEWAY_DIR = Path(__file__).resolve().parents[2] / "gateway"
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))

APP = """
def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/empty":
        start_response("204 No Content", [])
        return []
    if path == "/chunks":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return iter([b"one,", b"two,", b"three"])
    body = ("hello " + path).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    folder = tmp_path_factory.mktemp("worker")
    (folder / "tinyapp.py").write_text(APP)
    # The listening socket exists before gunicorn starts (fd://): connections queue in its
    # backlog until the worker accepts them, so no readiness polling is needed.
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
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
            "--no-control-socket",
            "--log-level",
            "warning",
            "tinyapp:app",
        ],
        cwd=folder,
        env={"PYTHONPATH": f"{folder}:{GATEWAY_DIR}", "PATH": "/usr/bin:/bin"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        pass_fds=(listener.fileno(),),
    )
    try:
        yield port
    finally:
        proc.terminate()
        proc.wait(10)
        listener.close()


def _read_answer(rfile) -> tuple[str, dict[str, str], bytes]:
    status = rfile.readline().decode().strip()
    headers: dict[str, str] = {}
    while (line := rfile.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding") == "chunked":
        parts = []
        while size := int(rfile.readline().strip(), 16):
            parts.append(rfile.read(size))
            rfile.readline()
        rfile.readline()
        return status, headers, b"".join(parts)
    return status, headers, rfile.read(int(headers.get("content-length", "0")))


def _get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode()


def test_keep_alive_answers_in_turn_on_one_connection(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server), timeout=10) as sock:
        rfile = sock.makefile("rb")
        for path in ("/a", "/empty", "/chunks", "/b"):
            sock.sendall(_get(path))
            status, headers, body = _read_answer(rfile)
            assert headers["connection"] == "keep-alive"
            assert "date" in headers
            if path == "/empty":
                assert status.startswith("HTTP/1.1 204") and body == b""
            elif path == "/chunks":
                assert body == b"one,two,three"
            else:
                assert status == "HTTP/1.1 200 OK" and body == f"hello {path}".encode()


def test_pipelined_requests_are_all_answered(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server), timeout=10) as sock:
        rfile = sock.makefile("rb")
        sock.sendall(_get("/x") + _get("/y") + _get("/z"))
        bodies = [_read_answer(rfile)[2] for _ in range(3)]
    assert bodies == [b"hello /x", b"hello /y", b"hello /z"]


def test_head_is_sent_with_the_head_request(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server), timeout=10) as sock:
        rfile = sock.makefile("rb")
        sock.sendall(b"HEAD /h HTTP/1.1\r\nHost: t\r\n\r\n" + _get("/after"))
        status = rfile.readline()
        assert status.startswith(b"HTTP/1.1 200")
        while rfile.readline() not in (b"\r\n", b""):
            pass
        assert _read_answer(rfile)[2] == b"hello /after"

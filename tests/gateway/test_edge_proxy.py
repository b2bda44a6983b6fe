"""The production edge proxy's configuration (deploy/nginx/nginx.conf), checked with nginx.

`make test` installs Debian's nginx when run as root; without it only the text checks run.
The live test runs nginx with that file in front of a GatewayWorker, changing only the
addresses (docker-compose.yml's `gateway:8000` and port 8000 are not available here).
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

pytestmark = pytest.mark.security

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "deploy" / "nginx" / "nginx.conf"
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
needs_nginx = pytest.mark.skipif(
    NGINX is None, reason="nginx not installed (make test installs it when run as root)"
)

ECHO = """
import json

def app(environ, start_response):
    seen = {k[5:].lower().replace("_", "-"): v for k, v in environ.items() if k[:5] == "HTTP_"}
    seen["remote-addr"] = environ["REMOTE_ADDR"]
    seen["body-size"] = len(environ["wsgi.input"].read())
    body = json.dumps(seen).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]
"""


def directives(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        match = re.fullmatch(r"([a-z_]+)\s+(.+);", line)
        if match:
            found.setdefault(match[1], []).append(match[2])
    return found


def test_the_edge_bounds_slow_clients_and_buffers_requests() -> None:
    found = directives(CONF.read_text())
    assert found["client_header_timeout"] == ["10s"]
    assert found["client_body_timeout"] == ["10s"]
    assert found["proxy_request_buffering"] == ["on"]
    assert any(v.startswith("connections_per_address ") for v in found["limit_conn"])
    assert any("$binary_remote_addr" in v for v in found["limit_conn_zone"])
    # The gateway trusts this hop's X-Forwarded-For: it must be the peer, not the client's.
    assert "X-Forwarded-For $remote_addr" in found["proxy_set_header"]
    assert 'X-Cakap-Forwarder-Secret ""' in found["proxy_set_header"]
    assert found["access_log"] == ["off"]  # /play/ credentials stay out of logs


def local_conf(tmp_path: Path, gateway_port: int, listen_port: int) -> Path:
    text = CONF.read_text()
    text = text.replace("server gateway:8000;", f"server 127.0.0.1:{gateway_port};")
    text = text.replace("listen 8000;", f"listen 127.0.0.1:{listen_port};")
    path = tmp_path / "nginx.conf"
    path.write_text(text)
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@needs_nginx
def test_nginx_accepts_the_configuration(tmp_path: Path) -> None:
    conf = local_conf(tmp_path, 8000, free_port())
    result = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(conf), "-g", f"pid {tmp_path}/nginx.pid;"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


@pytest.fixture
def edge(tmp_path: Path) -> Iterator[int]:
    """nginx with the production file in front of a GatewayWorker echo app; its port."""
    (tmp_path / "echo.py").write_text(ECHO)
    listener = socket.create_server(("127.0.0.1", 0), backlog=1024)
    gateway = subprocess.Popen(
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
            "echo:app",
        ],
        cwd=tmp_path,
        env={"PYTHONPATH": f"{tmp_path}:{ROOT / 'gateway'}", "PATH": "/usr/bin:/bin"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        pass_fds=(listener.fileno(),),
    )
    # The listener queues connections until the worker has booted (slow on a busy machine).
    ask(listener.getsockname()[1], timeout=30)
    port = free_port()
    conf = local_conf(tmp_path, listener.getsockname()[1], port)
    nginx = subprocess.Popen(
        [NGINX, "-p", str(tmp_path), "-c", str(conf), "-g", f"daemon off; pid {tmp_path}/n.pid;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.05)
        yield port
    finally:
        nginx.terminate()
        gateway.terminate()
        nginx.wait(10)
        gateway.wait(10)
        listener.close()


def ask(port: int, extra: str = "", source: str = "127.0.0.2", timeout: float = 5) -> dict:
    address = ("127.0.0.1", port)
    with socket.create_connection(address, timeout, source_address=(source, 0)) as sock:
        sock.sendall(f"GET /x HTTP/1.1\r\nHost: cakap\r\n{extra}Connection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    return json.loads(body)


@needs_nginx
@pytest.mark.processes
def test_nginx_in_front_names_the_client_and_absorbs_slow_ones(edge: int) -> None:
    seen = ask(edge, "X-Forwarded-For: 6.6.6.6\r\nX-Cakap-Forwarder-Secret: guess\r\n")
    assert seen["x-forwarded-for"] == "127.0.0.2"  # the peer nginx saw, not the claim
    assert "x-cakap-forwarder-secret" not in seen
    with ExitStack() as stack:
        for i in range(200):
            sock = stack.enter_context(socket.create_connection(("127.0.0.1", edge), 5))
            sock.sendall(
                b"POST /x HTTP/1.1\r\nHost: c\r\nContent-Length: 10\r\n\r\n1" if i % 2 else b"G"
            )
        time.sleep(0.3)
        latencies = []
        for _ in range(10):
            started = time.monotonic()
            assert ask(edge)["remote-addr"] == "127.0.0.1"  # nginx's connection to the gateway
            latencies.append(time.monotonic() - started)
        assert max(latencies) < 1.0, latencies


def test_compose_publishes_only_the_edge_and_trusts_only_its_address() -> None:
    import yaml

    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"edge"}
    edge = services["edge"]
    assert "./deploy/nginx/nginx.conf:/etc/nginx/nginx.conf:ro" in edge["volumes"]
    address = edge["networks"]["default"]["ipv4_address"]
    gateway_env = services["gateway"]["environment"]
    assert gateway_env["GATEWAY_TRUSTED_FORWARDERS"] == address
    for name in ("gateway", "portal", "personnel"):
        assert "GATEWAY_FORWARDER_SECRET" in services[name]["environment"], name

"""Gateway fixtures: fake services on ephemeral ports (real sockets), a gateway in front."""

from __future__ import annotations

import contextlib
import hashlib
import json
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cakap_shared.testing import rsa_keypair
from gateway.config import GatewayConfig
from werkzeug.serving import make_server
from werkzeug.test import Client
from werkzeug.wsgi import get_input_stream

from gateway import Gateway


class FakeService:
    """A tiny HTTP/1.1 keep-alive service that declares a manifest and records requests."""

    def __init__(
        self,
        name: str,
        routes: list[str],
        public_routes: list[dict[str, Any]] | None = None,
        openapi: dict[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.manifest: dict[str, Any] = {
            "name": name,
            "version": "1.0",
            "routes": routes,
            "public_routes": public_routes or [],
            "publishes": [],
            "subscribes": [],
            "openapi": "/api/openapi.json",
        }
        self.openapi = openapi or {"openapi": "3.0.3", "info": {"title": name}, "paths": {}}
        self.manifest_status = 200
        self.ready_status = 200
        self.requests: list[dict[str, Any]] = []
        self.release = threading.Event()  # slow routes wait for this
        self.slow_paths: set[str] = set()
        # Streaming checks: set once 1 MB of an upload arrived / once the client got 1 MB.
        self.upload_started = threading.Event()
        self.download_consumed = threading.Event()
        self.download_coupled: bool | None = None
        self._sockets: list[socket.socket] = []
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        original = self.server.get_request

        def get_request() -> tuple[socket.socket, Any]:
            conn, address = original()
            self._sockets.append(conn)
            return conn, address

        self.server.get_request = get_request  # type: ignore[method-assign]
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()
        self.stopped = False

    def stop(self) -> None:
        """Like a killed process: no listener, and every open connection reset."""
        if self.stopped:
            return
        self.stopped = True
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        for conn in self._sockets:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    @staticmethod
    def _json(start_response: Any, status: str, document: Any) -> list[bytes]:
        data = json.dumps(document).encode()
        start_response(
            status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
        )
        return [data]

    def app(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ["PATH_INFO"]
        if path == "/.well-known/service.json":
            if self.manifest_status != 200:
                return self._json(start_response, f"{self.manifest_status} X", {})
            return self._json(start_response, "200 OK", self.manifest)
        if path == "/health/ready":
            return self._json(start_response, f"{self.ready_status} X", {"status": "?"})
        if path == "/api/openapi.json":
            return self._json(start_response, "200 OK", self.openapi)
        headers = {
            k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")
        }
        record: dict[str, Any] = {
            "method": environ["REQUEST_METHOD"],
            "path": path,
            "query": environ.get("QUERY_STRING", ""),
            "headers": headers,
        }
        self.requests.append(record)
        if path in self.slow_paths:
            self.release.wait(10)
        if path.endswith("/upload"):
            digest, size = hashlib.sha256(), 0
            stream = environ["wsgi.input"]  # read raw: werkzeug's wrappers allocate a lot
            left = int(environ.get("CONTENT_LENGTH") or -1)
            while left:
                data = stream.read(65536 if left < 0 else min(left, 65536))
                if not data:
                    break
                left -= len(data) if left > 0 else 0
                if size >= 1024 * 1024:
                    self.upload_started.set()
                digest.update(data)
                size += len(data)
            record.update(size=size, sha256=digest.hexdigest())
            return self._json(
                start_response, "201 CREATED", {"size": size, "sha256": record["sha256"]}
            )
        if path.endswith("/download"):
            size = int(environ.get("QUERY_STRING", "0").partition("=")[2] or 0)
            block = b"x" * 65536
            start_response(
                "200 OK",
                [("Content-Type", "application/octet-stream"), ("Content-Length", str(size))],
            )

            def body() -> Iterator[bytes]:
                left = size
                while left:
                    if size - left == 4 * 1024 * 1024:
                        # Produce no more until the client has its first megabyte: a gateway
                        # that buffered the whole answer would wait here in vain.
                        self.download_coupled = self.download_consumed.wait(5)
                    piece = block[: min(left, len(block))]
                    left -= len(piece)
                    yield piece

            return body()
        if path.endswith("/chunked"):
            start_response("200 OK", [("Content-Type", "text/plain")])
            return iter([b"one,", b"two,", b"three"])
        body = {
            "service": self.name,
            "path": path,
            "method": environ["REQUEST_METHOD"],
            "query": record["query"],
            "request_id": headers.get("x-request-id"),
            "body": get_input_stream(environ).read().decode("latin-1"),
        }
        return self._json(start_response, "200 OK", body)


class KeepAliveService:
    """A raw HTTP/1.1 keep-alive server (werkzeug's closes every connection).

    `drop_after` answers that many requests on a connection, then reads the next request
    and closes without answering: what a service closing an idle connection looks like.
    """

    def __init__(self, drop_after: int = 0) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.drop_after = drop_after
        self.connections = 0
        self.answered = 0
        self.received = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        rfile = conn.makefile("rb")
        served = 0
        with conn:
            while True:
                line = rfile.readline()
                if not line:
                    return
                length = 0
                while (header := rfile.readline()) not in (b"\r\n", b""):
                    name, _, value = header.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                rfile.read(length)
                self.received += 1
                if self.drop_after and served >= self.drop_after:
                    return
                served += 1
                self.answered += 1
                body = b'{"service": "keepalive"}'
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%b" % (len(body), body)
                )

    def stop(self) -> None:
        self.listener.close()


@pytest.fixture
def keepalive_service() -> Iterator[Callable[..., KeepAliveService]]:
    """Start raw keep-alive services: keepalive_service(drop_after=0)."""
    started: list[KeepAliveService] = []

    def start(**kwargs: Any) -> KeepAliveService:
        service = KeepAliveService(**kwargs)
        started.append(service)
        return service

    yield start
    for service in started:
        service.stop()


@pytest.fixture
def fake_service() -> Iterator[Callable[..., FakeService]]:
    """Start fake services: fake_service(name, routes, public_routes=..., openapi=...)."""
    started: list[FakeService] = []

    def start(name: str, routes: list[str], **kwargs: Any) -> FakeService:
        service = FakeService(name, routes, **kwargs)
        started.append(service)
        return service

    yield start
    for service in started:
        service.stop()


@pytest.fixture
def make_gateway() -> Iterator[Callable[..., Gateway]]:
    """A gateway over the given fake services, with short timeouts and no refresher thread."""
    made: list[Gateway] = []

    def build(*services: FakeService, **overrides: Any) -> Gateway:
        settings: dict[str, Any] = {
            "service_urls": {s.name: s.url for s in services},
            "jwt_public_key": rsa_keypair()[1],
            "connect_timeout": 0.5,
            "read_timeout": 0.5,
            "manifest_timeout": 1.0,
            "access_log": True,
        }
        settings.update(overrides)
        gateway = Gateway(GatewayConfig(**settings), start_refresher=False)
        made.append(gateway)
        return gateway

    yield build
    for gateway in made:
        gateway.close()


@pytest.fixture
def services(fake_service: Callable[..., FakeService]) -> dict[str, FakeService]:
    """The usual line-up: personnel (with public routes), catalog, elearning, portal."""
    return {
        "personnel": fake_service(
            "personnel",
            ["/api/v1/auth", "/api/v1/me", "/api/v1/people"],
            public_routes=[
                {"methods": ["POST"], "path": "/api/v1/auth/token"},
                {"methods": ["GET"], "path": "/.well-known/jwks.json"},
            ],
        ),
        "catalog": fake_service(
            "catalog",
            ["/api/v1/courses", "/api/v1/enrolments", "/internal"],
            public_routes=[{"methods": ["GET"], "path": "/api/v1/courses/*/badge"}],
        ),
        "elearning": fake_service("elearning", ["/api/v1/modules", "/play"]),
        "portal": fake_service("portal", ["/"]),
    }


@pytest.fixture
def gateway(make_gateway: Callable[..., Gateway], services: dict[str, FakeService]) -> Gateway:
    """A gateway in front of the usual line-up."""
    return make_gateway(*services.values())


@pytest.fixture
def client(gateway: Gateway) -> Client:
    """A WSGI test client of the gateway."""
    return Client(gateway)

"""Forwarding one request to a service: pooled keep-alive sockets, timeouts, streamed bodies.

This is the hottest code of the suite, so it speaks HTTP/1.1 itself over plain sockets
instead of going through http.client or urllib3: one `sendall` for a small request, a
buffered reader per connection, and no header objects beyond a list of tuples. It was
measured against urllib3's PoolManager (see bench/gateway_vs_direct.py and the report).
"""

from __future__ import annotations

import re
import select
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import Any, BinaryIO
from urllib.parse import quote, urlsplit

from cakap_shared.forwarding import (
    FORWARDER_ENVIRON_KEY,
    FORWARDER_HEADER,
    last_forwarded_address,
    proves_forwarder,
)

CHUNK = 64 * 1024
# Bodies up to this size are read whole: one send, and the request can be replayed.
SMALL_BODY = 64 * 1024
# Upstream gunicorn closes idle keep-alive connections after 2 s: never reuse older ones.
IDLE_MAX = 1.5
MAX_HEADER_LINE = 65536
MAX_HEADERS = 200

# Never forwarded in either direction (RFC 9110 7.6.1), plus what the gateway sets itself.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
_RESPONSE_SKIP = HOP_BY_HOP | {"x-request-id", "date", "server"}
_REQUEST_SKIP = frozenset(
    {
        "HTTP_CONNECTION",
        "HTTP_KEEP_ALIVE",
        "HTTP_PROXY_AUTHORIZATION",
        "HTTP_PROXY_CONNECTION",
        "HTTP_TE",
        "HTTP_TRAILER",
        "HTTP_TRANSFER_ENCODING",
        "HTTP_UPGRADE",
        "HTTP_EXPECT",
        "HTTP_X_REQUEST_ID",
        "HTTP_X_FORWARDED_FOR",
        "HTTP_X_FORWARDED_PROTO",
        "HTTP_X_FORWARDED_HOST",
        "HTTP_CONTENT_LENGTH",
        "HTTP_CONTENT_TYPE",
        FORWARDER_ENVIRON_KEY,
    }
)
# Methods whose request may be sent twice when a pooled connection turned out dead.
_REPLAYABLE = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_SAFE_PATH = "/:@!$&'()*+,;=-._~"
# A path made only of those characters and alphanumerics needs no quoting (the common case).
_PLAIN_PATH = re.compile(r"[A-Za-z0-9/:@!$&'()*+,;=._~-]*").fullmatch
_names: dict[str, str] = {}


class UpstreamError(Exception):
    """The service could not be reached or did not answer properly."""

    status = 502


class UpstreamTimeout(UpstreamError):
    """The service did not answer within the timeout."""

    status = 504


class BodyTooLarge(Exception):
    """The client sent more than the gateway accepts."""


class _StaleConnection(Exception):
    """A pooled connection was closed by the service before it answered."""


def header_name(key: str) -> str:
    """`HTTP_X_REQUEST_ID` -> `X-Request-Id` (cached: the same few dozen names recur)."""
    name = _names.get(key)
    if name is None:
        name = key[5:].replace("_", "-").title()
        if len(_names) < 2000:
            _names[key] = name
    return name


class Connection:
    """One keep-alive socket to a service, with its buffered reader."""

    __slots__ = ("idle_since", "rfile", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.rfile = sock.makefile("rb", CHUNK)
        self.idle_since = 0.0

    def close(self) -> None:
        """Drop the socket."""
        try:
            self.rfile.close()
            self.sock.close()
        except OSError:
            pass

    def looks_dead(self) -> bool:
        """True when the service closed it (readable while idle means EOF or garbage)."""
        poller = select.poll()
        poller.register(self.sock, select.POLLIN)
        return bool(poller.poll(0))


class Upstream:
    """A service's base URL and its pool of idle connections."""

    def __init__(
        self,
        name: str,
        base_url: str,
        connect_timeout: float,
        read_timeout: float,
        max_idle: int = 32,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"{name}: only http:// base URLs are supported, got {base_url!r}")
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.address = (parts.hostname, parts.port or 80)
        self.netloc = parts.netloc
        self.base_path = parts.path.rstrip("/")
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_idle = max_idle
        self._idle: list[Connection] = []

    def acquire(self) -> tuple[Connection, bool]:
        """A pooled connection (reused=True) or a new one."""
        idle = self._idle
        now = time.monotonic()
        while idle:
            try:
                conn = idle.pop()
            except IndexError:  # another thread took the last one
                break
            if now - conn.idle_since > IDLE_MAX or conn.looks_dead():
                conn.close()
                continue
            return conn, True
        return self.connect(), False

    def connect(self) -> Connection:
        """Open a new connection within the connect timeout."""
        try:
            sock = socket.create_connection(self.address, timeout=self.connect_timeout)
        except TimeoutError as exc:
            raise UpstreamTimeout(f"{self.name}: connect timed out") from exc
        except OSError as exc:
            raise UpstreamError(f"{self.name}: {exc.__class__.__name__}") from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(self.read_timeout)
        return Connection(sock)

    def release(self, conn: Connection) -> None:
        """Return a connection whose answer was read completely."""
        if len(self._idle) < self.max_idle:
            conn.idle_since = time.monotonic()
            self._idle.append(conn)
        else:
            conn.close()

    def close(self) -> None:
        """Close every idle connection."""
        while self._idle:
            self._idle.pop().close()


class Response:
    """A service's answer: status line, headers, and the body still on the wire."""

    __slots__ = ("body", "conn", "headers", "status", "upstream")

    def __init__(self, status: str, headers: list[tuple[str, str]], body: Iterable[bytes]) -> None:
        self.status = status
        self.headers = headers
        self.body = body


def _read_head(rfile: BinaryIO) -> tuple[int, str, list[tuple[str, str]], dict[str, str]]:
    """Status code, status line, headers to pass on, and the framing headers (lower-case)."""
    while True:
        line = rfile.readline(MAX_HEADER_LINE)
        if not line:
            raise _StaleConnection()
        parts = line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise UpstreamError("malformed status line")
        try:
            code = int(parts[1])
        except ValueError as exc:
            raise UpstreamError("malformed status code") from exc
        reason = parts[2].strip().decode("latin-1") if len(parts) > 2 else ""
        headers: list[tuple[str, str]] = []
        framing: dict[str, str] = {}
        for _ in range(MAX_HEADERS):
            line = rfile.readline(MAX_HEADER_LINE)
            if line in (b"\r\n", b"\n", b""):
                break
            name, sep, value = line.decode("latin-1").partition(":")
            if not sep:
                continue
            value = value.strip()
            lower = name.strip().lower()
            if lower in _RESPONSE_SKIP:
                framing[lower] = value.lower()
            else:
                if lower == "content-length":
                    framing[lower] = value
                headers.append((name.strip(), value))
        else:
            raise UpstreamError("too many response headers")
        if 100 <= code < 200 and code != 101:
            continue  # 100 Continue and friends: the real answer follows
        if parts[0] == b"HTTP/1.0" and "keep-alive" not in framing.get("connection", ""):
            framing["connection"] = "close"
        return code, f"{code} {reason or 'Unknown'}", headers, framing


class StreamedBody:
    """The WSGI iterable of a large or chunked answer; returns the socket when done."""

    def __init__(
        self, upstream: Upstream, conn: Connection, length: int | None, chunked: bool, keep: bool
    ) -> None:
        self.upstream = upstream
        self.conn: Connection | None = conn
        self.remaining = length
        self.chunked = chunked
        self.keep = keep
        self.done = False

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        conn = self.conn
        if self.done or conn is None:
            raise StopIteration
        rfile = conn.rfile
        if self.chunked:
            data = self._next_chunk(rfile)
        elif self.remaining is None:
            data = rfile.read1(CHUNK)  # until the service closes
            if not data:
                self.keep = False
        else:
            data = rfile.read1(min(CHUNK, self.remaining)) if self.remaining else b""
            if self.remaining and not data:
                raise UpstreamError("service closed the connection mid-answer")
            self.remaining -= len(data)
        if not data:
            self.done = True
            self.close()
            raise StopIteration
        return data

    def _next_chunk(self, rfile: BinaryIO) -> bytes:
        line = rfile.readline(MAX_HEADER_LINE)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError as exc:
            raise UpstreamError("malformed chunked answer") from exc
        if size == 0:
            while rfile.readline(MAX_HEADER_LINE) not in (b"\r\n", b"\n", b""):
                pass  # trailers are dropped
            return b""
        data = rfile.read(size)
        rfile.readline(MAX_HEADER_LINE)
        if len(data) < size:
            raise UpstreamError("service closed the connection mid-answer")
        return data

    def close(self) -> None:
        """Called by the server when done or when the client went away."""
        conn, self.conn = self.conn, None
        if conn is None:
            return
        if self.done and self.keep:
            self.upstream.release(conn)
        else:
            conn.close()


def request_head(method: str, target: str, headers: list[tuple[str, str]]) -> bytes:
    """The request line and headers, ready to send."""
    lines = [f"{method} {target} HTTP/1.1\r\n"]
    lines.extend(f"{name}: {value}\r\n" for name, value in headers)
    lines.append("\r\n")
    return "".join(lines).encode("latin-1")


def _from_forwarder(
    environ: dict[str, Any],
    remote: str,
    trusted_forwarders: tuple[IPv4Network | IPv6Network, ...],
    forwarder_secret: str | None,
) -> bool:
    """The portal (it presents the forwarder secret) or the edge proxy (by its address)."""
    if proves_forwarder(environ.get(FORWARDER_ENVIRON_KEY), forwarder_secret):
        return True
    if not trusted_forwarders:
        return False
    try:
        address = ip_address(remote)
    except ValueError:
        return False
    return any(address in network for network in trusted_forwarders)


def client_origin(
    environ: dict[str, Any],
    trusted_forwarders: tuple[IPv4Network | IPv6Network, ...] = (),
    forwarder_secret: str | None = None,
) -> tuple[str, str]:
    """The client's address and scheme: the peer's own, or what a trusted forwarder says."""
    remote = environ.get("REMOTE_ADDR") or "unknown"
    scheme = environ.get("wsgi.url_scheme", "http")
    claimed = environ.get("HTTP_X_FORWARDED_FOR")
    proto = environ.get("HTTP_X_FORWARDED_PROTO")
    if (claimed or proto) and _from_forwarder(
        environ, remote, trusted_forwarders, forwarder_secret
    ):
        remote = last_forwarded_address(claimed) or remote
        proto = (proto or "").rsplit(",", 1)[-1].strip().lower()
        if proto in ("http", "https"):
            scheme = proto
    return remote, scheme


def client_address(
    environ: dict[str, Any],
    trusted_forwarders: tuple[IPv4Network | IPv6Network, ...] = (),
    forwarder_secret: str | None = None,
) -> str:
    """The peer's address, or the one a trusted forwarder says it acts for."""
    return client_origin(environ, trusted_forwarders, forwarder_secret)[0]


def forward_headers(
    environ: dict[str, Any],
    request_id: str,
    trust_forwarded: bool,
    trusted_forwarders: tuple[IPv4Network | IPv6Network, ...] = (),
    forwarder_secret: str | None = None,
) -> list[tuple[str, str]]:
    """The client's end-to-end headers plus X-Forwarded-*, X-Request-ID and our proof.

    The forwarder secret a client sent is never passed on; the gateway's own goes to
    every service, which believes X-Forwarded-For only with it (cakap_shared.forwarding).
    """
    headers: list[tuple[str, str]] = []
    append = headers.append
    drop = _REQUEST_SKIP
    connection = environ.get("HTTP_CONNECTION")
    if connection and connection.lower() not in ("keep-alive", "close"):
        # Headers the client named as hop-by-hop go no further either.
        drop = drop | {"HTTP_" + n.strip().upper().replace("-", "_") for n in connection.split(",")}
    for key, value in environ.items():
        if key[:5] == "HTTP_" and key not in drop:
            if "\n" in value or "\r" in value:
                continue
            append((header_name(key), value))
    content_type = environ.get("CONTENT_TYPE")
    if content_type:
        append(("Content-Type", content_type))
    remote, scheme = client_origin(environ, trusted_forwarders, forwarder_secret)
    if trust_forwarded:
        prior = environ.get("HTTP_X_FORWARDED_FOR")
        append(("X-Forwarded-For", f"{prior}, {remote}" if prior else remote))
        append(("X-Forwarded-Proto", environ.get("HTTP_X_FORWARDED_PROTO") or scheme))
        host = environ.get("HTTP_X_FORWARDED_HOST") or environ.get("HTTP_HOST")
    else:
        append(("X-Forwarded-For", remote))
        append(("X-Forwarded-Proto", scheme))
        host = environ.get("HTTP_HOST")
    if host:
        append(("X-Forwarded-Host", host))
    append(("X-Request-ID", request_id))
    if forwarder_secret:
        append((FORWARDER_HEADER, forwarder_secret))
    return headers


def request_target(upstream: Upstream, environ: dict[str, Any]) -> str:
    """Path (re-quoted from the decoded PATH_INFO the gateway checked) and query string."""
    path = environ.get("PATH_INFO") or "/"
    if not _PLAIN_PATH(path):
        path = quote(path, safe=_SAFE_PATH, encoding="latin-1")
    query = environ.get("QUERY_STRING")
    target = upstream.base_path + path
    return f"{target}?{query}" if query else target


def forward(
    upstream: Upstream,
    environ: dict[str, Any],
    request_id: str,
    *,
    trust_forwarded: bool = False,
    trusted_forwarders: tuple[IPv4Network | IPv6Network, ...] = (),
    forwarder_secret: str | None = None,
    max_body: int = 0,
) -> Response:
    """Send the request to `upstream`; the answer's body may still be streaming."""
    method = environ["REQUEST_METHOD"]
    headers = forward_headers(
        environ, request_id, trust_forwarded, trusted_forwarders, forwarder_secret
    )
    if "HTTP_HOST" not in environ:
        headers.append(("Host", upstream.netloc))
    stream: BinaryIO = environ["wsgi.input"]
    length_text = environ.get("CONTENT_LENGTH")
    chunked = "chunked" in (environ.get("HTTP_TRANSFER_ENCODING") or "").lower()
    body = b""
    length = 0
    if length_text:
        try:
            length = int(length_text)
        except ValueError as exc:
            raise BadRequest("invalid Content-Length") from exc
        if length < 0:
            raise BadRequest("invalid Content-Length")
        if max_body and length > max_body:
            raise BodyTooLarge()
        headers.append(("Content-Length", length_text))
        if length <= SMALL_BODY:
            body = _read_exactly(stream, length)
            length = 0
    elif chunked:
        headers.append(("Transfer-Encoding", "chunked"))
    elif method in ("POST", "PUT", "PATCH"):
        headers.append(("Content-Length", "0"))
    head = request_head(method, request_target(upstream, environ), headers)
    replayable = (
        length == 0 and not chunked and (method in _REPLAYABLE or "HTTP_IDEMPOTENCY_KEY" in environ)
    )
    conn, reused = upstream.acquire()
    try:
        try:
            return _exchange(upstream, conn, method, head, body, stream, length, chunked, max_body)
        except (_StaleConnection, ConnectionError) as exc:
            conn.close()
            if not (reused and replayable):
                raise UpstreamError(f"{upstream.name}: connection lost") from exc
        conn = upstream.connect()
        try:
            return _exchange(upstream, conn, method, head, body, stream, length, chunked, max_body)
        except (_StaleConnection, ConnectionError) as exc:
            conn.close()
            raise UpstreamError(f"{upstream.name}: connection lost") from exc
    except TimeoutError as exc:
        conn.close()
        raise UpstreamTimeout(f"{upstream.name}: no answer within the read timeout") from exc
    except OSError as exc:
        conn.close()
        raise UpstreamError(f"{upstream.name}: {exc.__class__.__name__}") from exc
    except BaseException:
        conn.close()
        raise


class BadRequest(Exception):
    """The client's request cannot be forwarded as it is."""


class ClientStalled(Exception):
    """The client stopped sending its body (the worker's socket timeout passed)."""


def _client_read(stream: BinaryIO, size: int) -> bytes:
    """Read the client's body; a socket error here is the client's, not the service's."""
    try:
        return stream.read(size)
    except OSError as exc:
        raise ClientStalled() from exc


def _read_exactly(stream: BinaryIO, length: int) -> bytes:
    if not length:
        return b""
    data = _client_read(stream, length)
    if len(data) == length:
        return data
    parts = [data]
    got = len(data)
    while got < length:
        more = _client_read(stream, length - got)
        if not more:
            raise BadRequest("request body shorter than Content-Length")
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def _exchange(
    upstream: Upstream,
    conn: Connection,
    method: str,
    head: bytes,
    body: bytes,
    stream: BinaryIO,
    length: int,
    chunked: bool,
    max_body: int,
) -> Response:
    sock = conn.sock
    if length:
        sock.sendall(head)
        remaining = length
        while remaining:
            data = _client_read(stream, min(CHUNK, remaining))
            if not data:
                raise BadRequest("request body shorter than Content-Length")
            sock.sendall(data)
            remaining -= len(data)
    elif chunked:
        sock.sendall(head)
        total = 0
        while True:
            data = _client_read(stream, CHUNK)
            if not data:
                break
            total += len(data)
            if max_body and total > max_body:
                raise BodyTooLarge()
            sock.sendall(b"%x\r\n%b\r\n" % (len(data), data))
        sock.sendall(b"0\r\n\r\n")
    else:
        sock.sendall(head + body if body else head)
    code, status, headers, framing = _read_head(conn.rfile)
    keep = "close" not in framing.get("connection", "")
    if method == "HEAD" or code in (204, 304):
        upstream.release(conn) if keep else conn.close()
        return Response(status, headers, [])
    if "chunked" in framing.get("transfer-encoding", ""):
        return Response(status, headers, StreamedBody(upstream, conn, None, True, keep))
    size_text = framing.get("content-length")
    if size_text is None:
        return Response(status, headers, StreamedBody(upstream, conn, None, False, False))
    try:
        size = int(size_text)
    except ValueError as exc:
        raise UpstreamError("malformed Content-Length in answer") from exc
    if size <= SMALL_BODY:
        data = conn.rfile.read(size)
        if len(data) < size:
            raise UpstreamError("service closed the connection mid-answer")
        upstream.release(conn) if keep else conn.close()
        return Response(status, headers, [data])
    return Response(status, headers, StreamedBody(upstream, conn, size, False, keep))


def simple_get(
    upstream: Upstream, path: str, timeout: float, request_id: str | None = None
) -> tuple[int, bytes]:
    """GET a small document from a service (manifests, health, OpenAPI) on a fresh socket."""
    try:
        sock = socket.create_connection(
            upstream.address, timeout=min(timeout, upstream.connect_timeout)
        )
    except TimeoutError as exc:
        raise UpstreamTimeout(f"{upstream.name}: connect timed out") from exc
    except OSError as exc:
        raise UpstreamError(f"{upstream.name}: {exc.__class__.__name__}") from exc
    conn = Connection(sock)
    try:
        sock.settimeout(timeout)
        headers = [
            ("Host", upstream.netloc),
            ("Accept", "application/json"),
            ("Connection", "close"),
        ]
        if request_id:
            headers.append(("X-Request-ID", request_id))
        sock.sendall(request_head("GET", upstream.base_path + path, headers))
        code, _status, _headers, framing = _read_head(conn.rfile)
        deadline = time.monotonic() + timeout
        if "chunked" in framing.get("transfer-encoding", ""):
            reader = StreamedBody(upstream, conn, None, True, False)
            parts = []
            for part in reader:
                parts.append(part)
                if time.monotonic() > deadline:
                    raise UpstreamTimeout(f"{upstream.name}: answer too slow")
            return code, b"".join(parts)
        size = framing.get("content-length")
        data = conn.rfile.read(int(size)) if size is not None else conn.rfile.read()
        return code, data
    except TimeoutError as exc:
        raise UpstreamTimeout(f"{upstream.name}: no answer within {timeout}s") from exc
    except _StaleConnection as exc:
        raise UpstreamError(f"{upstream.name}: closed without answering") from exc
    except (OSError, ValueError) as exc:
        raise UpstreamError(f"{upstream.name}: {exc.__class__.__name__}") from exc
    finally:
        conn.close()


StartResponse = Callable[..., Any]

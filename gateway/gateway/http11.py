"""HTTP/1.1 on the wire: the request head we send, the answer's head and body we read."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import BinaryIO

from .errors import StaleConnection, UpstreamError
from .headers import RESPONSE_SKIP
from .pool import CHUNK, Connection, Upstream

# Bodies up to this size are read whole: one send, and the request can be replayed.
SMALL_BODY = 64 * 1024
MAX_HEADER_LINE = 65536
MAX_HEADERS = 200

Headers = list[tuple[str, str]]


class Response:
    """A service's answer: status line, headers, and the body still on the wire."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: str, headers: Headers, body: Iterable[bytes]) -> None:
        self.status = status
        self.headers = headers
        self.body = body


def request_head(method: str, target: str, headers: Headers) -> bytes:
    """The request line and headers, ready to send."""
    lines = [f"{method} {target} HTTP/1.1\r\n"]
    lines.extend(f"{name}: {value}\r\n" for name, value in headers)
    lines.append("\r\n")
    return "".join(lines).encode("latin-1")


def _status_line(line: bytes) -> tuple[bytes, int, str]:
    """(version, code, reason) of a status line."""
    parts = line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise UpstreamError("malformed status line")
    try:
        code = int(parts[1])
    except ValueError as exc:
        raise UpstreamError("malformed status code") from exc
    reason = parts[2].strip().decode("latin-1") if len(parts) > 2 else ""
    return parts[0], code, reason


def _header_lines(rfile: BinaryIO) -> tuple[Headers, dict[str, str]]:
    """Headers to pass on, and the framing headers (lower-case) the gateway acts on."""
    headers: Headers = []
    framing: dict[str, str] = {}
    for _ in range(MAX_HEADERS):
        line = rfile.readline(MAX_HEADER_LINE)
        if line in (b"\r\n", b"\n", b""):
            return headers, framing
        name, sep, value = line.decode("latin-1").partition(":")
        if not sep:
            continue
        value = value.strip()
        lower = name.strip().lower()
        if lower in RESPONSE_SKIP:
            framing[lower] = value.lower()
        else:
            if lower == "content-length":
                framing[lower] = value
            headers.append((name.strip(), value))
    raise UpstreamError("too many response headers")


def read_head(rfile: BinaryIO) -> tuple[int, str, Headers, dict[str, str]]:
    """Status code, status line, headers to pass on, and the framing headers (lower-case)."""
    while True:
        line = rfile.readline(MAX_HEADER_LINE)
        if not line:
            raise StaleConnection()
        version, code, reason = _status_line(line)
        headers, framing = _header_lines(rfile)
        if 100 <= code < 200 and code != 101:
            continue  # 100 Continue and friends: the real answer follows
        if version == b"HTTP/1.0" and "keep-alive" not in framing.get("connection", ""):
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
        self.upstream.finish(conn, self.done and self.keep)


def read_answer(upstream: Upstream, conn: Connection, method: str) -> Response:
    """The service's answer on `conn`: small bodies read whole, others streamed."""
    code, status, headers, framing = read_head(conn.rfile)
    keep = "close" not in framing.get("connection", "")
    if method == "HEAD" or code in (204, 304):
        upstream.finish(conn, keep)
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
        upstream.finish(conn, keep)
        return Response(status, headers, [data])
    return Response(status, headers, StreamedBody(upstream, conn, size, False, keep))

"""Forwarding one request to a service: pooled keep-alive sockets, timeouts, streamed bodies.

This is the hottest code of the suite, so it speaks HTTP/1.1 itself over plain sockets
instead of going through http.client or urllib3: one `sendall` for a small request, a
buffered reader per connection, and no header objects beyond a list of tuples. It was
measured against urllib3's PoolManager (see bench/gateway_vs_direct.py and the report).
The pieces: `pool` (sockets), `http11` (the wire format), `headers` (what crosses).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any, BinaryIO
from urllib.parse import quote

from .errors import (
    BadRequest,
    BodyTooLarge,
    ClientStalled,
    StaleConnection,
    UpstreamError,
    UpstreamTimeout,
)
from .headers import Networks, forward_headers
from .http11 import SMALL_BODY, Response, StreamedBody, read_answer, read_head, request_head
from .pool import CHUNK, Connection, Upstream, open_connection

# Methods whose request may be sent twice when a pooled connection turned out dead.
_REPLAYABLE = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_SAFE_PATH = "/:@!$&'()*+,;=-._~"
# A path made only of those characters and alphanumerics needs no quoting (the common case).
_PLAIN_PATH = re.compile(r"[A-Za-z0-9/:@!$&'()*+,;=._~-]*").fullmatch


@dataclass(frozen=True, slots=True)
class ForwardPolicy:
    """How the gateway forwards: whom it believes about the client, and the body limit."""

    trust_forwarded: bool = False
    trusted_forwarders: Networks = ()
    forwarder_secret: str | None = None
    max_body: int = 0  # bytes; 0 for no limit


@dataclass(slots=True)
class Outgoing:
    """A request ready for the service: its head and its body.

    A small body is read whole into `body`; a larger one (`length` bytes) or a chunked
    one stays on the client's `stream` and is copied while sending.
    """

    method: str
    head: bytes
    stream: BinaryIO
    body: bytes = b""
    length: int = 0
    chunked: bool = False
    max_body: int = 0
    idempotency_key: bool = False

    @property
    def replayable(self) -> bool:
        """Whether it may be sent again on a fresh connection when a pooled one was dead."""
        return (
            self.length == 0
            and not self.chunked
            and (self.method in _REPLAYABLE or self.idempotency_key)
        )

    def send(self, conn: Connection) -> None:
        """Write the request on `conn`, copying a streamed body from the client."""
        sock = conn.sock
        if self.length:
            sock.sendall(self.head)
            remaining = self.length
            while remaining:
                data = _client_read(self.stream, min(CHUNK, remaining))
                if not data:
                    raise BadRequest("request body shorter than Content-Length")
                sock.sendall(data)
                remaining -= len(data)
        elif self.chunked:
            sock.sendall(self.head)
            total = 0
            while data := _client_read(self.stream, CHUNK):
                total += len(data)
                if self.max_body and total > self.max_body:
                    raise BodyTooLarge()
                sock.sendall(b"%x\r\n%b\r\n" % (len(data), data))
            sock.sendall(b"0\r\n\r\n")
        else:
            sock.sendall(self.head + self.body if self.body else self.head)


def request_target(upstream: Upstream, environ: dict[str, Any]) -> str:
    """Path (re-quoted from the decoded PATH_INFO the gateway checked) and query string."""
    path = environ.get("PATH_INFO") or "/"
    if not _PLAIN_PATH(path):
        path = quote(path, safe=_SAFE_PATH, encoding="latin-1")
    query = environ.get("QUERY_STRING")
    target = upstream.base_path + path
    return f"{target}?{query}" if query else target


def _content_length(text: str, max_body: int) -> int:
    try:
        length = int(text)
    except ValueError as exc:
        raise BadRequest("invalid Content-Length") from exc
    if length < 0:
        raise BadRequest("invalid Content-Length")
    if max_body and length > max_body:
        raise BodyTooLarge()
    return length


def prepare(
    upstream: Upstream, environ: dict[str, Any], request_id: str, policy: ForwardPolicy
) -> Outgoing:
    """The client's request as it goes to `upstream`; a small body is read here."""
    method = environ["REQUEST_METHOD"]
    headers = forward_headers(
        environ,
        request_id,
        policy.trust_forwarded,
        policy.trusted_forwarders,
        policy.forwarder_secret,
    )
    if "HTTP_HOST" not in environ:
        headers.append(("Host", upstream.netloc))
    stream: BinaryIO = environ["wsgi.input"]
    length_text = environ.get("CONTENT_LENGTH")
    chunked = "chunked" in (environ.get("HTTP_TRANSFER_ENCODING") or "").lower()
    body, length = b"", 0
    if length_text:
        length = _content_length(length_text, policy.max_body)
        headers.append(("Content-Length", length_text))
        if length <= SMALL_BODY:
            body, length = _read_exactly(stream, length), 0
    elif chunked:
        headers.append(("Transfer-Encoding", "chunked"))
    elif method in ("POST", "PUT", "PATCH"):
        headers.append(("Content-Length", "0"))
    return Outgoing(
        method=method,
        head=request_head(method, request_target(upstream, environ), headers),
        stream=stream,
        body=body,
        length=length,
        chunked=chunked,
        max_body=policy.max_body,
        idempotency_key="HTTP_IDEMPOTENCY_KEY" in environ,
    )


def _exchange(upstream: Upstream, conn: Connection, outgoing: Outgoing) -> Response:
    outgoing.send(conn)
    return read_answer(upstream, conn, outgoing.method)


def forward(
    upstream: Upstream,
    environ: dict[str, Any],
    request_id: str,
    policy: ForwardPolicy,
) -> Response:
    """Send the request to `upstream`; the answer's body may still be streaming.

    A request that met a pooled connection the service had closed is sent once more on a
    fresh one, when that cannot do it twice (`Outgoing.replayable`).
    """
    outgoing = prepare(upstream, environ, request_id, policy)
    conn, reused = upstream.acquire()
    try:
        try:
            return _exchange(upstream, conn, outgoing)
        except (StaleConnection, ConnectionError) as exc:
            conn.close()
            if not (reused and outgoing.replayable):
                raise UpstreamError(f"{upstream.name}: connection lost") from exc
        conn = upstream.connect()
        try:
            return _exchange(upstream, conn, outgoing)
        except (StaleConnection, ConnectionError) as exc:
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


def _read_all(upstream: Upstream, conn: Connection, timeout: float) -> tuple[int, bytes]:
    """Status and whole body of a small answer, within `timeout` for a chunked one."""
    code, _status, _headers, framing = read_head(conn.rfile)
    deadline = time.monotonic() + timeout
    if "chunked" in framing.get("transfer-encoding", ""):
        parts = []
        for part in StreamedBody(upstream, conn, None, True, False):
            parts.append(part)
            if time.monotonic() > deadline:
                raise UpstreamTimeout(f"{upstream.name}: answer too slow")
        return code, b"".join(parts)
    size = framing.get("content-length")
    data = conn.rfile.read(int(size)) if size is not None else conn.rfile.read()
    return code, data


def simple_get(
    upstream: Upstream, path: str, timeout: float, request_id: str | None = None
) -> tuple[int, bytes]:
    """GET a small document from a service (manifests, health, OpenAPI) on a fresh socket."""
    sock = open_connection(upstream.name, upstream.address, min(timeout, upstream.connect_timeout))
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
        return _read_all(upstream, conn, timeout)
    except TimeoutError as exc:
        raise UpstreamTimeout(f"{upstream.name}: no answer within {timeout}s") from exc
    except StaleConnection as exc:
        raise UpstreamError(f"{upstream.name}: closed without answering") from exc
    except (OSError, ValueError) as exc:
        raise UpstreamError(f"{upstream.name}: {exc.__class__.__name__}") from exc
    finally:
        conn.close()

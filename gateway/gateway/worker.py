"""gunicorn's gthread worker where a slow client costs a socket, not a thread.

Slow clients (issue 10): stock gthread gives a thread to a connection as soon as one byte
arrives and that thread then blocks until the head is complete, so ~80 clients sending one
byte each held every thread. Here the main thread's poller reads each request (its head,
and a body up to 64 KiB announced by Content-Length) without blocking, and only a complete
request gets a thread. A head must be complete within GATEWAY_HEAD_TIMEOUT of the
connection (or of its first byte after a keep-alive pause), else 408 and close; one
address may hold GATEWAY_MAX_CONNECTIONS_PER_ADDRESS connections per worker process (the
edge proxy, a trusted forwarder, is exempt), else 429; a thread's blocking reads and writes
give up after GATEWAY_CLIENT_IO_TIMEOUT without progress (larger uploads, slow readers).
Production puts nginx in front as well (deploy/nginx/nginx.conf).

Two changes for the hot path, measured with bench/gateway_vs_direct.py (figures in
boot.sh):

- A kept-alive connection stays on its thread while its client keeps talking. Stock gthread
  hands every finished connection back to the main thread (done callback, wake-up pipe,
  epoll register), waits there for the next request, then submits it to the pool again:
  two thread hand-offs and five syscalls per request, about a tenth of a millisecond at one
  connection. Here the thread waits up to LINGER for the next request itself, and only when
  no other connection is queued for a thread; otherwise (or when the client is idle) the
  connection goes back to the poller exactly as before.
- The response head goes out with the first body bytes in one send: a small answer is one
  packet, so the client wakes once instead of twice. Its Date is formatted once a second
  (gunicorn formats it per answer through email.utils, about 6 % of the worker's CPU).
"""

from __future__ import annotations

import contextlib
import errno
import json
import re
import select
import selectors
import socket
import struct
import time
from functools import partial
from ipaddress import ip_address
from typing import Any

from cakap_shared.problems import problem_body
from gunicorn import util
from gunicorn.http import wsgi
from gunicorn.workers.gthread import STOP_KEEPALIVE_LINGER, TConn, ThreadWorker

from .config import ClientLimits

# How long a thread waits for a kept-alive client's next request before handing the
# connection back to the poller. A client that sends at once (an API client, a browser
# fetching the next asset) answers within a few hundred µs.
LINGER = 0.002


_date: tuple[int, str] = (0, "")


def _http_date() -> str:
    """The Date header value, formatted again only when the second changes."""
    global _date  # a one-second cache; a racing thread writes the same value
    now = int(time.time())
    cached = _date
    if cached[0] != now:
        cached = _date = (now, util.http_date(now))
    return cached[1]


class OneSendResponse(wsgi.Response):
    """A gunicorn Response that sends its head together with the first body bytes."""

    _head: bytes | None = None
    headers_sent: bool  # gunicorn's

    def default_headers(self) -> list[str]:
        """gunicorn's status line, Server, Date and Connection, with a cached Date."""
        if self.upgrade:
            connection = "upgrade"
        elif self.should_close():
            connection = "close"
        else:
            connection = "keep-alive"
        version = self.req.version
        headers = [
            f"HTTP/{version[0]}.{version[1]} {self.status}\r\n",
            f"Server: {self.version}\r\n",
            f"Date: {_http_date()}\r\n",
            f"Connection: {connection}\r\n",
        ]
        if self.chunked:
            headers.append("Transfer-Encoding: chunked\r\n")
        return headers

    def send_headers(self) -> None:
        """Build the head now; it leaves with the first body bytes (or at close)."""
        if self.headers_sent:
            return
        tosend = self.default_headers()
        tosend.extend([f"{k}: {v}\r\n" for k, v in self.headers])
        self._head = ("".join(tosend) + "\r\n").encode("latin-1")
        self.headers_sent = True

    def _flush_head(self) -> None:
        head, self._head = self._head, None
        if head:
            self.sock.sendall(head)

    def _emit_body(self, data: bytes) -> None:
        head, self._head = self._head, None
        if head is None:
            util.write(self.sock, data, self.chunked)
        elif self.chunked:
            self.sock.sendall(b"%b%X\r\n%b\r\n" % (head, len(data), data))
        else:
            self.sock.sendall(head + data)

    def can_sendfile(self) -> bool:
        """No sendfile: the gateway streams from sockets, never from files."""
        return False

    def close(self) -> None:
        """Send a head not sent yet (empty or omitted body), then end the body."""
        if not self.headers_sent:
            self.send_headers()
        self._flush_head()
        super().close()


def _readable(sock: socket.socket, timeout: float) -> bool:
    try:
        return bool(select.select([sock], [], [], timeout)[0])
    except (OSError, ValueError):
        return False  # closed meanwhile: the poller path cleans it up


# -- slow clients ------------------------------------------------------------------------
# How often (at most) the poller looks for connections past their deadline.
SWEEP = 0.25
RECV = 65536
# Content-Length of a head, as a hint of how much body to wait for; the parser in the
# thread still checks the framing (duplicates, Transfer-Encoding, …) and refuses bad ones.
_LENGTH = re.compile(rb"\ncontent-length[ \t]*:[ \t]*([0-9]{1,10})[ \t]*\r?\n", re.IGNORECASE)
_NO_PREBUFFER = re.compile(rb"\n(?:transfer-encoding|expect)[ \t]*:", re.IGNORECASE)


def _head_end(data: bytes) -> int:
    """Offset just past the blank line ending the head, or -1 while it is incomplete."""
    end = data.find(b"\r\n\r\n")
    if end >= 0:
        return end + 4
    end = data.find(b"\n\n")  # bare LF: complete enough for the parser to refuse it
    return end + 2 if end >= 0 else -1


def request_ready(data: bytes, prebuffer_body: int) -> bool:
    """True when `data` holds a whole head and, for a small Content-Length body, that body.

    A chunked body, one announced with Expect: 100-continue, or one larger than
    `prebuffer_body` is read by the thread (it streams to the service).
    """
    end = _head_end(data)
    if end < 0:
        return False
    head = data[:end]
    if _NO_PREBUFFER.search(head):
        return True
    lengths = _LENGTH.findall(head)
    if len(lengths) != 1:
        return True  # none, or duplicates for the parser to refuse
    length = int(lengths[0])
    return length > prebuffer_body or len(data) - end >= length


def _problem(status: str, detail: str, *extra: str) -> bytes:
    code = int(status[:3])
    body = json.dumps(problem_body(code, status[4:], detail)).encode()
    head = [
        f"HTTP/1.1 {status}",
        "Content-Type: application/problem+json",
        f"Content-Length: {len(body)}",
        "Connection: close",
        *extra,
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


TOO_MANY_CONNECTIONS = _problem(
    "429 Too Many Requests", "Too many open connections from your address.", "Retry-After: 5"
)
HEAD_TIMEOUT = _problem("408 Request Timeout", "The request was not sent in time.")
HEAD_TOO_LARGE = _problem(
    "431 Request Header Fields Too Large", "The request line and headers are too large."
)


def _send_and_close(sock: socket.socket, answer: bytes) -> None:
    """Best effort: a client that does not read its refusal loses nothing else."""
    try:
        sock.setblocking(False)
        sock.send(answer)
    except OSError:
        pass
    util.close(sock)


class _Conn(TConn):
    """A client connection, with what the poller read of its next request."""

    def __init__(self, cfg: Any, sock: socket.socket, client: Any, server: Any, host: str) -> None:
        super().__init__(cfg, sock, client, server)
        self.host = host
        self.pending = b""  # bytes of the next request read by the poller
        self.deadline = 0.0
        self.idle = False  # kept alive and silent so far: closed quietly at its deadline


class GatewayWorker(ThreadWorker):
    """gthread where a slow client costs a socket, not a thread (see module doc)."""

    limits: ClientLimits

    @classmethod
    def check_config(cls, cfg: Any, log: Any) -> None:
        """TLS ends at the edge proxy: the poller reads plain HTTP/1.x heads."""
        super().check_config(cfg, log)
        if cfg.is_ssl:
            raise RuntimeError("GatewayWorker serves plain HTTP; terminate TLS in front of it")

    def init_process(self) -> None:
        """Use OneSendResponse for HTTP/1.x answers; read the client limits."""
        # wsgi.create() looks the class up at call time; HTTP/2 passes its own class.
        wsgi.Response = OneSendResponse
        self.limits = ClientLimits.from_env()
        self.waiting: dict[_Conn, None] = {}  # on the poller until their request is in
        self.per_address: dict[str, int] = {}
        self.exempt: dict[str, bool] = {}
        self.next_sweep = 0.0
        # Refusals since the last report: counted, logged at most once a minute (a flood
        # must not flood the log too).
        self.refused = {"429": 0, "408": 0, "431": 0}
        self.next_report = 0.0
        super().init_process()

    # -- main thread: accept, read heads, expire --------------------------------------------
    def accept(self, listener: socket.socket) -> None:
        """Accept, refuse past the per-address cap, and wait for the request on the poller."""
        try:
            sock, client = listener.accept()
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        host = client[0] if isinstance(client, tuple) else ""
        count = self.per_address.get(host, 0)
        cap = self.limits.max_connections_per_address
        if cap and count >= cap and not self._exempt(host):
            _send_and_close(sock, TOO_MANY_CONNECTIONS)
            self.refused["429"] += 1
            return
        self.per_address[host] = count + 1
        self.nr_conns += 1
        if self.limits.io_timeout > 0:
            # Kernel timeouts for the thread's blocking reads and writes: a client that
            # stalls mid-body or stops reading its answer frees the thread.
            timeval = struct.pack("ll", int(self.limits.io_timeout), 0)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)
        conn = _Conn(self.cfg, sock, client, listener.getsockname(), host)
        self._wait(conn, b"", time.monotonic() + self.limits.head_timeout)

    def _exempt(self, host: str) -> bool:
        exempt = self.exempt.get(host)
        if exempt is None:
            try:
                address = ip_address(host)
                exempt = any(address in network for network in self.limits.exempt)
            except ValueError:
                exempt = True  # not an IP peer (a Unix socket): a local process
            if len(self.exempt) < 10000:
                self.exempt[host] = exempt
        return exempt

    def _wait(self, conn: _Conn, pending: bytes, deadline: float) -> None:
        conn.pending = pending
        conn.deadline = deadline
        self.waiting[conn] = None
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))

    def _unwait(self, conn: _Conn) -> None:
        del self.waiting[conn]
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(conn.sock)

    def _drop(self, conn: _Conn, answer: bytes | None = None, graceful: bool = False) -> None:
        self.nr_conns -= 1
        left = self.per_address.get(conn.host, 1) - 1
        if left > 0:
            self.per_address[conn.host] = left
        else:
            self.per_address.pop(conn.host, None)
        if answer is not None:
            _send_and_close(conn.sock, answer)
        else:
            conn.close(graceful=graceful)

    def _on_readable(self, conn: _Conn, _fileobj: Any) -> None:
        """More of the request arrived: hand it to a thread once it is complete."""
        try:
            data = conn.sock.recv(RECV)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._unwait(conn)
            self._drop(conn)
            return
        pending = conn.pending + data if conn.pending else data
        if conn.idle:  # the next request began: it has head_timeout from now
            conn.idle = False
            conn.deadline = time.monotonic() + self.limits.head_timeout
        limits = self.limits
        if request_ready(pending, limits.prebuffer_body):
            self._unwait(conn)
            conn.pending = pending
            self.enqueue_req(conn)
        elif _head_end(pending) < 0 and len(pending) > limits.max_head_bytes:
            self._unwait(conn)
            self._drop(conn, HEAD_TOO_LARGE)
            self.refused["431"] += 1
        else:
            conn.pending = pending

    def murder_keepalived(self, force: bool = False) -> None:
        """Close connections past their deadline: 408 when part of a request came."""
        now = time.monotonic()
        if not force and now < self.next_sweep:
            return
        self.next_sweep = now + SWEEP
        for conn in [c for c in self.waiting if force or c.deadline <= now]:
            self._unwait(conn)
            if conn.pending and not force:
                self._drop(conn, HEAD_TIMEOUT)
                self.refused["408"] += 1
            else:
                self._drop(conn)
        if self.nr_conns >= self.worker_connections:
            self._shed_idle(self.nr_conns - self.worker_connections + 1)
        if now >= self.next_report and any(self.refused.values()):
            self.next_report = now + 60
            self.log.warning(
                "slow or crowding clients refused since the last report: %s",
                ", ".join(f"{n}x {code}" for code, n in self.refused.items() if n),
            )
            self.refused = dict.fromkeys(self.refused, 0)

    def _shed_idle(self, count: int) -> None:
        """At the connection limit, close silent kept-alive connections, oldest first.

        They cost their client one reconnect; otherwise the worker would stop accepting
        until their keep-alive timeout, and new clients would wait in the backlog.
        """
        idle = sorted((c for c in self.waiting if c.idle), key=lambda c: c.deadline)
        for conn in idle[:count]:
            self._unwait(conn)
            self._drop(conn)

    def _cap_keepalive(self, deadline: float) -> None:
        """Stopping: close waiting connections by `deadline` at the latest."""
        for conn in self.waiting:
            conn.deadline = min(conn.deadline, deadline)

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        """Wake at least every SWEEP seconds, so deadlines hold to within that."""
        super().wait_for_and_dispatch_events(min(timeout, SWEEP))

    def finish_request(self, conn: _Conn, fs: Any) -> None:
        """Back from a thread: wait on the poller for the next request, or close."""
        try:
            keep = fs.result() if not fs.cancelled() else False
            if keep is True:
                conn.sock.setblocking(False)
                pending = conn.parser.unreader.take_buffered()
                now = time.monotonic()
                # Idle, the client has the keep-alive timeout; mid-request, the head timeout.
                deadline = now + (self.limits.head_timeout if pending else self.cfg.keepalive)
                if not self.alive:
                    deadline = min(deadline, now + STOP_KEEPALIVE_LINGER)
                conn.idle = not pending
                if pending and request_ready(pending, self.limits.prebuffer_body):
                    conn.pending = pending
                    self.enqueue_req(conn)
                else:
                    self._wait(conn, pending, deadline)
            else:
                self._drop(conn, graceful=True)
        except Exception:
            self._drop(conn)

    # -- worker threads -----------------------------------------------------------------------
    def handle(self, conn: _Conn) -> Any:
        """Serve requests on `conn` while they follow each other closely."""
        conn.data_ready = True  # the poller saw the request: no waiting in a thread
        if conn.pending:
            conn.init()
            conn.parser.unreader.unread(conn.pending)
            conn.pending = b""
        keep = super().handle(conn)
        backlog = self.tpool._work_queue  # other connections waiting for a thread
        prebuffer = self.limits.prebuffer_body
        while keep is True and self.alive:
            unreader = conn.parser.unreader
            buffered = unreader.buf.getvalue()
            if not request_ready(buffered, prebuffer):
                if not backlog.empty() or not _readable(conn.sock, LINGER):
                    break
                try:
                    data = conn.sock.recv(RECV, socket.MSG_DONTWAIT)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    return False
                if not data:
                    return False
                unreader.take_buffered()
                unreader.unread(buffered + data)
                if not request_ready(buffered + data, prebuffer):
                    break  # a slow next request waits on the poller, not here
            keep = super().handle(conn)
        return keep

"""gunicorn's gthread worker with two changes for the gateway's hot path.

Measured with bench/gateway_vs_direct.py (see boot.sh for the figures):

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

import select
import socket
import time
from typing import Any

from gunicorn import util
from gunicorn.http import wsgi
from gunicorn.workers.gthread import ThreadWorker

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


class GatewayWorker(ThreadWorker):
    """gthread, keeping a talking keep-alive connection on its thread (see module doc)."""

    def init_process(self) -> None:
        """Use OneSendResponse for HTTP/1.x answers in this worker process."""
        # wsgi.create() looks the class up at call time; HTTP/2 passes its own class.
        wsgi.Response = OneSendResponse  # type: ignore[misc]
        super().init_process()

    def handle(self, conn: Any) -> Any:
        """Serve requests on `conn` while they follow each other closely."""
        keep = super().handle(conn)
        backlog = self.tpool._work_queue  # other connections waiting for a thread
        while keep is True and self.alive:
            pipelined = conn.parser.unreader.buf.getvalue()
            if not pipelined and (not backlog.empty() or not _readable(conn.sock, LINGER)):
                break
            keep = super().handle(conn)
        return keep

"""Keep-alive sockets to each service: one pool of idle connections per upstream."""

from __future__ import annotations

import select
import socket
import time
from io import BufferedReader
from typing import cast
from urllib.parse import urlsplit

from .errors import UpstreamError, UpstreamTimeout

CHUNK = 64 * 1024
# Upstream gunicorn closes idle keep-alive connections after 2 s: never reuse older ones.
IDLE_MAX = 1.5


class Connection:
    """One keep-alive socket to a service, with its buffered reader."""

    __slots__ = ("idle_since", "rfile", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        # Buffered (CHUNK > 0), so a BufferedReader: read1() returns what has arrived.
        self.rfile = cast(BufferedReader, sock.makefile("rb", CHUNK))
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


def open_connection(name: str, address: tuple[str, int], timeout: float) -> socket.socket:
    """A new socket within `timeout`; the service's failure as UpstreamError/UpstreamTimeout."""
    try:
        return socket.create_connection(address, timeout=timeout)
    except TimeoutError as exc:
        raise UpstreamTimeout(f"{name}: connect timed out") from exc
    except OSError as exc:
        raise UpstreamError(f"{name}: {exc.__class__.__name__}") from exc


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
        sock = open_connection(self.name, self.address, self.connect_timeout)
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

    def finish(self, conn: Connection, keep: bool) -> None:
        """Pool the connection when the service keeps it alive, else close it."""
        if keep:
            self.release(conn)
        else:
            conn.close()

    def close(self) -> None:
        """Close every idle connection."""
        while self._idle:
            self._idle.pop().close()

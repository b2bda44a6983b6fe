"""Large bodies stream through the gateway in both directions, never held whole.

Proof without timing: the sending side stops producing after a few megabytes until the
receiving side has seen the first megabyte. A gateway that buffered the whole body before
passing it on would make that wait run out (the test then fails).
"""

from __future__ import annotations

import hashlib
import io
import json
import threading

import pytest
from cakap_shared.testing import bearer, mint_token

SIZE = 20 * 1024 * 1024
_BLOCK = bytes((i * 7) % 251 for i in range(65536))


class PatternStream(io.RawIOBase):
    """`size` bytes made on demand; after 4 MB it waits for `gate` (the service got 1 MB)."""

    def __init__(self, size: int, gate: threading.Event) -> None:
        self.size = size
        self.left = size
        self.gate = gate
        self.coupled: bool | None = None
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if self.size - self.left >= 4 * 1024 * 1024 and self.coupled is None:
            self.coupled = self.gate.wait(5)
        n = min(len(buffer), self.left, len(_BLOCK))
        buffer[:n] = _BLOCK[:n]
        self.digest.update(_BLOCK[:n])
        self.left -= n
        return n


def call(gateway, method: str, path: str, stream, **environ) -> tuple[str, dict, object]:
    """Call the WSGI app directly, as gunicorn would."""
    path, _, query = path.partition("?")
    captured: dict = {}

    def start_response(status, headers):
        captured.update(status=status, headers=dict(headers))

    env = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "localhost:8000",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": stream,
        "HTTP_AUTHORIZATION": bearer(mint_token("p-1", ["trainer"]))["Authorization"],
        **environ,
    }
    body = gateway(env, start_response)
    return captured["status"], captured["headers"], body


def _upload(gateway, service, **environ) -> tuple[dict, PatternStream]:
    stream = PatternStream(SIZE, service.upload_started)
    status, _headers, body = call(
        gateway,
        "POST",
        "/api/v1/modules/upload",
        io.BufferedReader(stream, 65536),
        CONTENT_TYPE="application/zip",
        **environ,
    )
    data = b"".join(body)
    assert status.startswith("201"), (status, data)
    return json.loads(data), stream


@pytest.mark.parametrize(
    "framing", [{"CONTENT_LENGTH": str(SIZE)}, {"HTTP_TRANSFER_ENCODING": "chunked"}]
)
def test_large_upload_is_streamed(gateway, services, framing):
    answer, stream = _upload(gateway, services["elearning"], **framing)
    assert stream.coupled is True  # the service had 1 MB before the client sent the 5th
    assert answer == {"size": SIZE, "sha256": stream.digest.hexdigest()}


def test_large_download_is_streamed(gateway, services):
    elearning = services["elearning"]
    status, headers, body = call(
        gateway, "GET", f"/api/v1/modules/download?size={SIZE}", io.BytesIO()
    )
    assert status.startswith("200")
    assert headers["Content-Length"] == str(SIZE)
    received = 0
    for piece in body:
        received += len(piece)
        if received >= 1024 * 1024:
            elearning.download_consumed.set()
    body.close()
    assert received == SIZE
    assert elearning.download_coupled is True  # the client had 1 MB before the 5th was made

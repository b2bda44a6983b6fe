"""A stored file as an HTTP answer, streamed, honouring Range (video seeking, big PDFs).

The file never sits whole in the worker's memory, whichever store holds it; with a
Range only the asked bytes are read from the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from cakap_shared.problems import CakapError
from flask import Response, request

from ..domain.storage import ContentStore

CHUNK = 256 * 1024


def file_response(store: ContentStore, module_key: str, relpath: str, mimetype: str) -> Response:
    """200 with the whole file, or 206 with the asked range; 416 when it lies outside."""
    size = store.size(module_key, relpath)
    wanted = request.range
    if wanted is None:
        start, stop, status = 0, size, 200
        fh = store.open(module_key, relpath)
    else:
        span = wanted.range_for_length(size)
        if span is None:
            raise CakapError(
                416,
                "The asked byte range is outside the file.",
                headers={"Content-Range": f"bytes */{size}"},
                code="range-not-satisfiable",
            )
        start, stop = span
        status = 206
        fh = store.open_range(module_key, relpath, start, stop)
    response = Response(_chunks(fh, stop - start), status=status, mimetype=mimetype)
    response.content_length = stop - start
    response.headers["Accept-Ranges"] = "bytes"
    if status == 206:
        response.headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
    return response


def _chunks(fh: BinaryIO, length: int) -> Iterator[bytes]:
    with fh:
        while length > 0:
            chunk = fh.read(min(CHUNK, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk

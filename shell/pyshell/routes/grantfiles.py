"""Files of grants at the URLs ``pyshell.files.url`` hands out (``fileurls``).

``GET``/``HEAD /_pyshell/file/TOKEN/NAME``: the file is reached through its grant at
every request, with the same containment as every file operation, and streamed in pieces
(never read whole). A byte range answers ``206`` with its ``Content-Range``, or ``416``
when the range is malformed or past the end. Several ranges in one request get the
whole file (``200``), as RFC 9110 allows a server to answer: media elements ask one range
at a time, and a multipart answer would be code no engine here needs. The type comes
from the granted file's own name (the URL's NAME is only for show), and what the engine
would run as the app's (scripts, HTML, XML, wasm) is plain text. An unknown or
revoked token, a grant that went, or a file that is gone or no longer reachable answer a
bare ``404``. The engine keeps no copy (``no-store``, as every answer of the server): the
file is on the user's disk already, a copy in the engine's memory cost Qt ~110 MB in a
300-picture gallery, and one written to an engine's disk cache would be a copy of a
granted file outside its grant. The ``ETag`` (size, time, file number) serves ``If-Range``
(a video's next range) and ``If-None-Match`` (a ``304``). No token header is needed, so
``<img src>`` works; the guard's session cookie is, so only the window loads these.
"""

from __future__ import annotations

import asyncio
import mimetypes
import os
import re
from collections.abc import AsyncIterator
from email.utils import formatdate

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from ..fileservice import FileService
from ..fileurls import PREFIX

PIECE = 256 * 1024  # bytes read per step of a streamed answer
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
_AS_TEXT = frozenset({"text/html", "application/xhtml+xml", "text/xml", "application/xml",
                      "application/wasm"})


def routes(files: FileService) -> list[BaseRoute]:
    async def serve(request: Request) -> Response:
        entry = files.urls.lookup(request.path_params["token"])
        if entry is None:
            return _not_found()
        loop = asyncio.get_running_loop()
        try:
            fd, st = await loop.run_in_executor(files.executor, files.open_reader,
                                                entry.grant, entry.path)
        except OSError:
            return _not_found()
        try:
            return _answer(request, files, fd, st, entry.path.rsplit("/", 1)[-1])
        except BaseException:
            os.close(fd)
            raise

    return [Route(PREFIX + "{token}/{name:path}", serve, methods=["GET", "HEAD"])]


def _not_found() -> Response:
    return PlainTextResponse("not found", status_code=404)


def _answer(request: Request, files: FileService, fd: int, st: os.stat_result,
            name: str) -> Response:
    """The response for ``fd`` (closed by the response, or here when none streams it);
    ``name``: the file's own name, which gives the type (never the URL's NAME)."""
    size = st.st_size
    etag = f'"{st.st_size:x}-{st.st_mtime_ns:x}-{st.st_ino:x}"'
    headers = {"etag": etag, "accept-ranges": "bytes",
               "last-modified": formatdate(st.st_mtime, usegmt=True),
               "x-content-type-options": "nosniff"}
    media = media_type(name)
    if etag in _tags(request.headers.get("if-none-match")):
        os.close(fd)
        return Response(status_code=304, headers=headers)
    wanted = request.headers.get("range")
    if_range = request.headers.get("if-range")
    if wanted is not None and if_range is not None and if_range != etag:
        wanted = None  # the file changed since the engine's copy: send it whole
    if wanted is not None and "," in wanted:
        wanted = None  # several ranges: the whole file, as RFC 9110 allows (see the top)
    start, end = 0, size - 1
    status = 200
    if wanted is not None:
        span = byte_range(wanted, size)
        if span is None:
            os.close(fd)
            return Response(status_code=416, headers={**headers,
                                                      "content-range": f"bytes */{size}"})
        start, end = span
        status = 206
        headers["content-range"] = f"bytes {start}-{end}/{size}"
    headers["content-length"] = str(end - start + 1)
    if request.method == "HEAD":
        os.close(fd)
        return Response(status_code=status, headers=headers, media_type=media)
    return StreamingResponse(_pieces(files, _OpenFile(fd), start, end + 1),
                             status_code=status, headers=headers, media_type=media)


class _OpenFile:
    """A descriptor closed once: at the end of the answer, or when it is dropped unread
    (the client left before the first piece)."""

    def __init__(self, fd: int) -> None:
        self.fd: int | None = fd

    def close(self) -> None:
        fd, self.fd = self.fd, None
        if fd is not None:
            os.close(fd)

    def __del__(self) -> None:
        self.close()


def media_type(name: str) -> str:
    """The Content-Type for a file named ``name``; what the engine would run or render as
    a document of the app's origin (scripts, HTML, XML) is served as plain text."""
    media = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if media in _AS_TEXT or media.endswith(("javascript", "ecmascript")):
        return "text/plain"
    return media


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The first and last byte of a ``Range: bytes=A-B`` header (``A-``, ``-N`` too) in a
    file of ``size`` bytes; None for anything else (a range past the end, a malformed
    one): a 416. Several ranges never get here (they are answered with the whole file)."""
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        count = int(last)
        if count == 0 or size == 0:
            return None
        return max(0, size - count), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        return None
    return start, end


def _tags(header: str | None) -> list[str]:
    if not header:
        return []
    return [tag.strip().removeprefix("W/") for tag in header.split(",")]


async def _pieces(files: FileService, file: _OpenFile, start: int,
                  stop: int) -> AsyncIterator[bytes]:
    """The file's bytes from ``start`` to ``stop``, a piece at a time off the event loop;
    closes it when done or when the client goes."""
    loop = asyncio.get_running_loop()
    try:
        offset = start
        while offset < stop and file.fd is not None:
            piece = await loop.run_in_executor(files.executor, os.pread, file.fd,
                                               min(PIECE, stop - offset), offset)
            if not piece:  # the file shrank meanwhile: the answer ends short
                break
            offset += len(piece)
            yield piece
    finally:
        file.close()

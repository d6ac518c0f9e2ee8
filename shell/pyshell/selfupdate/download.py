"""Fetching an update over HTTP(S), on the host only: the feed, then each file with resume.

Only the declared update site is contacted: the feed is ``URL/feed.json`` and each file
``URL/NAME`` (a plain name, checked by ``feed``); a redirect to any other origin is
refused. A file is downloaded to ``NAME.part`` in the staging folder; an interrupted
download continues from the bytes already there with an HTTP ``Range`` request (or starts
over when the server ignores it), never reads past the size the feed gives, and becomes
``NAME`` only once its size and SHA-256 match the feed. A file that does not match is
deleted, so the next attempt starts clean.

``UpdateUnavailable`` (the site cannot be reached or answered with an error) is a quiet
line in the log; ``feed.UpdateRefused`` is an update that must not be applied.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from http.client import HTTPException, HTTPMessage, HTTPResponse
from pathlib import Path
from typing import IO

from .feed import FEED_NAME, MAX_FEED_BYTES, FileEntry, UpdateRefused, check_file

CHUNK = 256 * 1024
TIMEOUT = 30.0  # seconds without a byte before a download counts as interrupted
Progress = Callable[[int, int], None]  # (bytes so far, bytes in all)


class UpdateUnavailable(Exception):
    """The update site could not be reached, or did not serve what was asked; one line."""


def fetch_feed(url: str) -> bytes:
    """``URL/feed.json``'s bytes (at most ``MAX_FEED_BYTES``)."""
    with _open(_join(url, FEED_NAME)) as response:
        data: bytes = response.read(MAX_FEED_BYTES + 1)
    return data


def fetch_file(url: str, entry: FileEntry, staging: Path,
               progress: Progress | None = None) -> Path:
    """``staging/NAME``, downloaded (resumed when a part is there) and checked."""
    staging.mkdir(parents=True, exist_ok=True)
    final, part = staging / entry.name, staging / f"{entry.name}.part"
    if final.is_file():
        return _checked(final, entry)
    have = part.stat().st_size if part.is_file() else 0
    if have > entry.size:
        part.unlink()
        have = 0
    if have < entry.size:
        headers = {"Range": f"bytes={have}-"} if have else {}
        with _open(_join(url, entry.name), headers) as response:
            if have and response.status != 206:
                have = 0  # the server sent the whole file: start over
            elif have and not response.headers.get("Content-Range", "").startswith(
                    f"bytes {have}-"):
                part.unlink()
                raise UpdateUnavailable(f"update file {entry.name}: the server sent another "
                                        "range than asked; it starts over at the next check")
            _receive(response, part, have, entry, progress)
    _checked(part, entry)
    os.replace(part, final)
    return final


def _receive(response: IO[bytes], part: Path, have: int, entry: FileEntry,
             progress: Progress | None) -> None:
    with part.open("r+b" if have else "wb") as out:
        out.seek(have)
        out.truncate()
        try:
            while have < entry.size:
                chunk = response.read(min(CHUNK, entry.size - have))
                if not chunk:
                    break
                out.write(chunk)
                have += len(chunk)
                if progress is not None:
                    progress(have, entry.size)
        except (OSError, HTTPException) as exc:
            raise UpdateUnavailable(f"update file {entry.name}: download interrupted at "
                                    f"{have} of {entry.size} bytes ({exc}); it resumes at "
                                    "the next check") from None
        finally:
            out.flush()
            os.fsync(out.fileno())
    if have < entry.size:
        raise UpdateUnavailable(f"update file {entry.name}: download interrupted at {have} "
                                f"of {entry.size} bytes; it resumes at the next check")


def _checked(path: Path, entry: FileEntry) -> Path:
    try:
        check_file(path, entry)
    except UpdateRefused:
        path.unlink()
        raise
    return path


def _join(url: str, name: str) -> str:
    return url.rstrip("/") + "/" + urllib.parse.quote(name)


def _open(url: str, headers: dict[str, str] | None = None) -> HTTPResponse:
    opener = urllib.request.build_opener(_SameOrigin(url))
    request = urllib.request.Request(url, headers={"User-Agent": "pyshell-updates",
                                                   **(headers or {})})
    try:
        response: HTTPResponse = opener.open(request, timeout=TIMEOUT)
    except urllib.error.HTTPError as exc:
        raise UpdateUnavailable(f"update site: {url} answered {exc.code} {exc.reason}") \
            from None
    except (urllib.error.URLError, OSError, HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        raise UpdateUnavailable(f"update site: {url} could not be reached ({reason})") \
            from None
    return response


class _SameOrigin(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only within the update site's own scheme, host and port."""

    def __init__(self, url: str) -> None:
        self.origin = _origin(url)

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int,
                         msg: str, headers: HTTPMessage, newurl: str
                         ) -> urllib.request.Request | None:
        if _origin(newurl) != self.origin:
            raise UpdateUnavailable(f"update site: {req.full_url} redirects to another site "
                                    f"({newurl}); only the declared url is contacted")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _origin(url: str) -> tuple[str, str | None, int | None]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme, parts.hostname, parts.port

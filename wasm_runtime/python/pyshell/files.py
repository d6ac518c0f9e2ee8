"""Host files from the app's Python: which grants exist, and dialogs that add more.

Inside a grant, use ordinary Python (``open``, ``pathlib``, ``os``, ``shutil``,
``sqlite3``): the grant's folder is mounted at its path, e.g. ``/data``. Outside the
grants there is only Pyodide's in-memory filesystem; no host file is reachable.

A dialog grant lasts for this session only and covers exactly what the user picked: a
picked file is reachable, its folder is not.

Files in a grant behave as on a local disk: a plain ``write_text`` truncates and then
writes, as it does natively. To replace a file so that a crash leaves either the old or
the new content, use ``atomic_write``.

For images and media, ``url`` gives a file of a grant as a URL the page loads directly
(``<img src>``, ``<video>``, CSS), ``read_bytes``/``read_text`` read a big file without
holding up other event handlers, and ``thumbnail`` makes a small copy of an image.
"""

from __future__ import annotations

import asyncio
import errno
import json
import mimetypes
import os
import stat
import tempfile
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, TypeVar

from .dom import object_url

_T = TypeVar("_T")


@dataclass(frozen=True)
class GrantInfo:
    """One grant mounted now, as ``grants()`` lists it."""

    mount: str
    """Where it is in this Python's file system, e.g. ``"/data"``."""
    writable: bool
    """False for a read-only grant: every change is refused with ``PermissionError``."""
    file: str | None
    """For a single-file grant (a dialog pick), the one file name in ``mount``."""
    storage: str = "host"
    """``"host"``, ``"browser"`` (the web build: the browser's own storage), or ``"memory"``
    (a web build in a browser that keeps no storage: gone when the page closes)."""
    host_path: str | None = None
    """The host folder behind ``mount``, to tell the user where things are (``~`` for the
    home folder, e.g. ``"~/Documents/Journal"``); None for browser storage. Display only:
    files are reached through ``mount``."""


@dataclass(frozen=True)
class Refused:
    """A declared grant this build does not mount, and why (``refused()``)."""

    mount: str
    """The mount of a declared grant that is not mounted here."""
    reason: str
    """Why, in words for the user."""


class DialogUnavailable(RuntimeError):
    """No native dialog here (``pyshell run --browser``, or a web build)."""


class ImageError(ValueError):
    """A file ``thumbnail`` cannot make an image of (not an image, or a corrupt one)."""


def atomic_write(path: str | os.PathLike[str], data: str | bytes, *,
                 encoding: str = "utf-8") -> None:
    """Replace ``path`` with ``data`` so that a crash at any moment leaves the old or the
    new content, never a mix: a temp file beside it, fsync, ``os.replace``, fsync of the
    folder. The file keeps its permission bits (a new one gets 0o644).
    """
    target = os.fspath(path)
    folder, name = os.path.split(os.path.abspath(target))
    raw = data.encode(encoding) if isinstance(data, str) else bytes(data)
    fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(raw)
            out.flush()
            os.fchmod(out.fileno(), _mode_of(target))
            os.fsync(out.fileno())
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    _fsync_folder(folder)


def _mode_of(path: str) -> int:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return 0o644


def _fsync_folder(folder: str) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def grants() -> list[GrantInfo]:
    """Every grant mounted now: the declared ones, then those picked this session."""
    raw = json.loads(_js().grants())
    return [GrantInfo(g["mount"], bool(g["writable"]), g.get("file"), g.get("storage", "host"),
                      g.get("hostPath"))
            for g in raw]


def host_path(path: str | os.PathLike[str]) -> str | None:
    """Where ``path`` (a path in a grant) is on the host, as text to show the user, e.g.
    ``files.host_path("/data/export.html")`` -> ``"~/Documents/Journal/export.html"``;
    None outside the host grants (in the web build, always None)."""
    return _host_path_in(grants(), path)


def _host_path_in(mounted: Sequence[GrantInfo], path: str | os.PathLike[str]) -> str | None:
    """``host_path`` among the grants given."""
    target = os.path.abspath(os.fspath(path))
    best: GrantInfo | None = None
    for grant in mounted:
        inside = target == grant.mount or target.startswith(grant.mount.rstrip("/") + "/")
        if grant.host_path is not None and inside and (
                best is None or len(grant.mount) > len(best.mount)):
            best = grant
    if best is None or best.host_path is None:
        return None
    rest = os.path.relpath(target, best.mount)
    if rest == ".":
        return best.host_path
    sep = "\\" if "\\" in best.host_path and "/" not in best.host_path else "/"  # Windows
    return best.host_path.rstrip(sep) + sep + rest.replace("/", sep)


def refused() -> list[Refused]:
    """Declared grants this build cannot mount (the web build: host folders), with why."""
    return [Refused(r["mount"], r["reason"]) for r in json.loads(_js().refused())]


async def pick_file(*, write: bool = False, types: Sequence[str] = ()) -> str | None:
    """Ask the user for an existing file; its path inside WebAssembly, or None if cancelled.

    ``types`` uses pywebview's format, e.g. ``["Text files (*.txt;*.md)"]``.
    """
    return await _dialog("open_file", write, "", types)


async def pick_folder(*, write: bool = False) -> str | None:
    """Ask the user for a folder, mounted read-only unless ``write``."""
    return await _dialog("open_folder", write, "", ())


async def save_file(suggested_name: str = "", *, types: Sequence[str] = ()) -> str | None:
    """Ask the user where to save; the chosen file is writable (it may not exist yet)."""
    return await _dialog("save_file", True, suggested_name, types)


async def download(name: str, data: bytes | str, *, types: Sequence[str] = ()) -> str | None:
    """Hand a file the app made (an export, a report) to the user, as a browser does.

    On the desktop a save dialog asks where (``name`` suggested) and the file is written
    there through the grant the answer gives; where there is no native dialog (the web
    build, ``pyshell run --browser``) it becomes the browser's download. Returns where it
    went, for telling the user: the host path, or ``name`` for a browser download; None
    if the user cancelled. Text is saved as UTF-8.
    """
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name:
        raise ValueError(f"download name {name!r} must be a plain file name, e.g. 'report.csv'")
    content = data.encode() if isinstance(data, str) else bytes(data)
    try:
        path = await save_file(name, types=types)
    except DialogUnavailable:
        _js().download(name, content)
        return name
    if path is None:
        return None
    with open(path, "wb") as f:
        f.write(content)
        os.fsync(f.fileno())
    return host_path(path) or path


async def _dialog(kind: str, write: bool, name: str, types: Sequence[str]) -> str | None:
    request = json.dumps({"kind": kind, "write": write, "name": name, "types": list(types)})
    answer = json.loads(await _js().dialog(request))
    if "error" in answer:
        raise DialogUnavailable(answer["error"])
    picked = answer.get("picked")
    return picked["path"] if picked else None


# ---- images and media ---------------------------------------------------------------------
THUMBNAIL_CACHE_BYTES = 64 << 20
"""How many bytes of thumbnails ``thumbnail`` keeps; past this, the least recently asked
for are revoked (an <img> showing one keeps its picture; ask again to show it anew)."""

# (path, max_px, size, mtime) -> (URL, bytes), the least recently asked for first.
_thumbnails: OrderedDict[tuple[str, int, int, int], tuple[str, int]] = OrderedDict()


def url(path: str | os.PathLike[str]) -> str:
    """A URL of a file in a grant, for the page: ``<img src>``, ``<video>``, ``<audio>``,
    CSS ``url(...)`` and ``fetch``, e.g. ``dom.select("#photo").attr("src",
    files.url("/photos/cat.jpg"))``.

    On the desktop it is ``/_pyshell/file/TOKEN/NAME`` on the app's own server: the token
    is random and unguessable, the host serves the file straight from its grant (streamed,
    with byte ranges, so videos seek), and only while the grant lasts, to the app's own
    window, until ``revoke_url``. Each call makes a new URL; the file is read when the page
    loads it, so a URL shows the file as it is then.

    In the web build (no host) it is a ``blob:`` URL over a copy of the file in the
    browser's storage, made now. Raises ``FileNotFoundError`` for a missing file,
    ``PermissionError`` outside every grant (or for a link or special file in one),
    ``IsADirectoryError`` for a folder.
    """
    target, grant = _locate(path)
    if grant.get("storage", "host") != "host":
        with open(target, "rb") as f:
            return object_url(f.read(), _mime(target))
    answer = json.loads(_js().fileUrl(grant["id"], _relative(target, grant)))
    if "error" in answer:
        raise _os_error(answer["error"], target)
    return str(answer["ok"])


def revoke_url(url: str) -> None:
    """Make a URL from ``url`` (or ``thumbnail``) serve nothing from now on (a page that
    still shows it keeps what it loaded). Unknown URLs are ignored."""
    if url.startswith("blob:"):
        _js().revokeObjectUrl(url)
        for key in [k for k, (v, _) in _thumbnails.items() if v == url]:
            del _thumbnails[key]
        return
    _js().revokeFileUrls(json.dumps([url]))


async def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The whole content of a file in a grant, read without holding up the app: other
    event handlers and timers run while it comes (plain ``open().read()`` of a big file
    keeps them waiting until it is done). Raises what ``url`` raises."""
    target, grant = _locate(path)
    if grant.get("storage", "host") != "host":  # web build: the browser's own storage
        with open(target, "rb") as f:
            return f.read()
    address = url(target)
    try:
        return await _fetch(address, target)
    finally:
        revoke_url(address)


async def read_text(path: str | os.PathLike[str], encoding: str = "utf-8") -> str:
    """``read_bytes`` decoded as ``encoding``."""
    return (await read_bytes(path)).decode(encoding)


async def thumbnail(path: str | os.PathLike[str], max_px: int) -> str:
    """An object URL of a copy of the image at ``path`` at most ``max_px`` wide and high
    (aspect ratio kept, never enlarged, upright), made by the host's sandboxed decoder, or
    in the worker where the host has none (JPEG stays JPEG, anything else becomes PNG).
    Made once per file version: asked again for the same size of an unchanged file (same
    size and time), it returns the same URL, while it is among the most recently asked-for
    ``THUMBNAIL_CACHE_BYTES`` of them (older ones are revoked). The host keeps the bytes
    made (in pyshell's cache folder), so the next launch gets an unchanged file's thumbnail
    without reading or decoding the file.

    Raises ``ImageError`` naming the file for anything that cannot be decoded (not an
    image, or a corrupt one), and what ``url`` raises for files it cannot reach.
    """
    if not isinstance(max_px, int) or max_px < 1:
        raise ValueError(f"thumbnail() needs max_px of 1 or more, not {max_px!r}")
    target, grant = _locate(path)
    st = os.stat(target)
    key = (target, max_px, st.st_size, st.st_mtime_ns)
    cached = _thumbnails.get(key)
    if cached is not None:
        _thumbnails.move_to_end(key)
        return cached[0]
    if grant.get("storage", "host") != "host":  # web build: the bytes, no URL to fetch
        with open(target, "rb") as f:
            answer = json.loads(await _js().thumbnailOf(f.read(), _mime(target), max_px))
    else:
        answer = await _kept.ask({"g": grant["id"], "p": _relative(target, grant), "px": max_px})
        if answer is None or "make" in answer:  # none kept of the file as it is: made now
            source = answer["make"] if answer else url(target)  # url() says what is wrong
            try:
                made = _js().thumbnail(source, max_px)
                answer = json.loads(await _taken(made, lambda made: _unwanted(json.loads(made))))
            finally:
                _revoked.ask(source)
    if "error" in answer:
        if answer.get("status") == 404:
            raise FileNotFoundError(errno.ENOENT, "no longer reachable", target)
        raise ImageError(f"{target}: cannot make a thumbnail ({answer['error']})")
    made = str(answer["url"])
    _thumbnails[key] = (made, int(answer["bytes"]))
    _trim_thumbnails(keep=key)
    return made


class _Batch:
    """Requests of handlers running side by side, sent to the host as one: the handlers of
    a screenful of ``visible`` events each ask for a thumbnail at once, and one trip
    answers them all where one each would queue up one after another."""

    def __init__(self, send: Callable[[list[Any]], list[Any]],
                 unwanted: Callable[[Any], None]) -> None:
        """``unwanted``: takes the answer of a caller gone before it came (its task was
        cancelled), so that nothing made for it is left behind."""
        self._send, self._unwanted = send, unwanted
        self._waiting: list[tuple[Any, asyncio.Future[Any]]] = []

    def ask(self, item: Any) -> asyncio.Future[Any]:
        """The answer to ``item``, sent with the others asked before the event loop's next
        turn (await it, or not for a request with nothing to wait for)."""
        loop = asyncio.get_running_loop()
        if not self._waiting:
            loop.call_soon(self._flush)  # after the handlers already due have asked too
        future: asyncio.Future[Any] = loop.create_future()
        self._waiting.append((item, future))
        return future

    def _flush(self) -> None:
        waiting, self._waiting = self._waiting, []
        try:
            answers = self._send([item for item, _ in waiting])
        except Exception as exc:  # never a caller left waiting
            answers = [exc] * len(waiting)
        for (_, future), answer in zip(waiting, answers, strict=True):
            if future.done():
                if not isinstance(answer, Exception):
                    self._unwanted(answer)
            elif isinstance(answer, Exception):
                future.set_exception(answer)
            else:
                future.set_result(answer)


def _revoke_file_urls(urls: list[str]) -> list[None]:
    _js().revokeFileUrls(json.dumps(urls))
    return [None] * len(urls)


def _unwanted(answer: dict[str, Any] | None) -> None:
    """Revoke the URLs made for a thumbnail nobody waits for any more: a file URL to make
    it from (``make``), the thumbnail's object URL (``url``)."""
    if answer and "make" in answer:
        _js().revokeFileUrls(json.dumps([answer["make"]]))
    if answer and "url" in answer:
        _js().revokeObjectUrl(answer["url"])


async def _taken(awaitable: Awaitable[_T], unwanted: Callable[[_T], None]) -> _T:
    """The result of ``awaitable``, which goes on if the caller is cancelled: its result
    then goes to ``unwanted`` when it comes (the page keeps what it makes until told)."""
    async def result() -> _T:
        return await awaitable

    task = asyncio.ensure_future(result())
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        task.add_done_callback(
            lambda done: None if done.cancelled() or done.exception() else unwanted(done.result()))
        raise


# Thumbnails kept from an earlier launch: {url, bytes}, else {make}: a file URL to make
# one from, or None (out of reach).
_kept = _Batch(lambda items: json.loads(_js().keptThumbnails(json.dumps(items))), _unwanted)
# The file URLs thumbnails were made from, revoked once made.
_revoked = _Batch(_revoke_file_urls, lambda _: None)


def _trim_thumbnails(keep: tuple[str, int, int, int]) -> None:
    """Revoke the least recently asked-for thumbnails until the rest fit
    ``THUMBNAIL_CACHE_BYTES`` (``keep``, the one just made, always stays): a gallery
    browsed for hours holds a bounded amount of them, not one per picture ever seen."""
    total = sum(size for _, size in _thumbnails.values())
    while total > THUMBNAIL_CACHE_BYTES and next(iter(_thumbnails)) != keep:
        _, (old_url, size) = _thumbnails.popitem(last=False)
        _js().revokeObjectUrl(old_url)
        total -= size


async def _fetch(address: str, target: str) -> bytes:
    try:
        data = await _js().fetchBytes(address)
    except Exception as exc:  # pyodide.ffi.JsException: the fetch failed
        if "HTTP 404" in str(exc):
            raise FileNotFoundError(errno.ENOENT, "no longer reachable", target) from None
        raise OSError(errno.EIO, f"reading failed: {exc}", target) from None
    return bytes(data.to_bytes())


def _locate(path: str | os.PathLike[str]) -> tuple[str, dict[str, object]]:
    """The absolute path and the grant it is in (the innermost mount)."""
    target = os.path.abspath(os.fspath(path))
    best: dict[str, object] | None = None
    for grant in json.loads(_js().grants()):
        mount = str(grant["mount"])
        if (target == mount or target.startswith(mount.rstrip("/") + "/")) and (
                best is None or len(mount) > len(str(best["mount"]))):
            best = grant
    if best is None:
        if not os.path.exists(target):
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), target)
        raise PermissionError(errno.EACCES, "not in a grant (only granted files have URLs)",
                              target)
    return target, best


def _relative(target: str, grant: dict[str, object]) -> str:
    rest = os.path.relpath(target, str(grant["mount"]))
    return "" if rest == "." else rest


def _os_error(name: str, target: str) -> OSError:
    number = getattr(errno, name, errno.EIO)
    return OSError(number, os.strerror(number), target)  # OSError picks the subclass


def _mime(path: str) -> str:
    return mimetypes.guess_type(path)[0] or "application/octet-stream"


def _js() -> ModuleType:
    try:
        import _pyshell_js  # registered by worker.mjs (see _pyshell_js.pyi)
    except ImportError:
        raise DialogUnavailable("pyshell.files works inside a pyshell app") from None
    return _pyshell_js

"""The file service's HTTP face: ``POST /_pyshell/api/fs?op=NAME``, one operation a request.

Arguments travel as percent-encoded JSON in the ``x-pyshell-fs`` header and file data as the
raw body, so reads and writes carry no encoding overhead. An answer with data has its JSON
result in the same header; an answer without data is the JSON result as its body. An OS
error comes back as ``{"error": "ENOENT"}`` (the errno name), which the worker turns into
the same errno inside WebAssembly, so app code sees the exception native Python would raise.

A worker that names itself in ``x-pyshell-client`` also gets, as ``c`` in every result, the
change records the host heard since its previous request (``null``: forget everything), so
its file cache stays valid without a socket to push them on (changes.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket, WebSocketDisconnect

from . import security
from .fileservice import FileService, Missing

HEADER = "x-pyshell-fs"
CLIENT = "x-pyshell-client"
MAX_READ = 16 * 1024 * 1024
NO_STORE = {"cache-control": "no-store"}

Result = tuple[Any, bytes]
KEPT_BYTES = 2 << 20  # kept thumbnails in one answer, at most (one more may pass it)
Operation = Callable[[FileService, dict[str, Any], bytes], Result]


def _meta(value: Any) -> Result:
    return value, b""


def _done(run: Callable[[FileService, dict[str, Any], bytes], None]) -> Operation:
    """An operation whose only answer is that it ran: result ``None``, no data."""

    def operation(fs: FileService, a: dict[str, Any], body: bytes) -> Result:
        run(fs, a, body)
        return None, b""

    return operation


def _changing(op: Operation,
              when: Callable[[dict[str, Any]], bool] = lambda a: True) -> Operation:
    """An operation that changes the host (``when`` its arguments say so): its answer goes
    out after the change records it caused (``settle``). Where two grants reach the same
    host file (a folder granted twice, one inside the other), the other grant's cache must
    not answer the app's next call from before this change."""

    def operation(fs: FileService, a: dict[str, Any], body: bytes) -> Result:
        try:
            return op(fs, a, body)
        finally:
            if when(a):
                with contextlib.suppress(OSError, RuntimeError):  # the feed's thread sends them
                    fs.settle()

    return operation


def _creates(a: dict[str, Any]) -> bool:
    return bool(a.get("create") or a.get("trunc"))


def _open(fs: FileService, a: dict[str, Any], body: bytes) -> Result:
    opened = fs.open(a["g"], a["p"], read=bool(a.get("read", True)), write=bool(a.get("write")),
                     create=bool(a.get("create")), excl=bool(a.get("excl")),
                     trunc=bool(a.get("trunc")), mode=int(a.get("mode", 0o666)),
                     inline=bool(a.get("inline")), append=bool(a.get("append")))
    data = opened.pop("data", b"")
    return opened, data


def _read(fs: FileService, a: dict[str, Any], body: bytes) -> Result:
    length = min(int(a["length"]), MAX_READ)
    return None, fs.read(int(a["h"]), int(a["offset"]), length)


def _kept_thumbs(fs: FileService, a: dict[str, Any], body: bytes) -> Result:
    """Kept thumbnails of many files at once (a grid's first screen asks for dozens).
    ``found`` has, for the first items, ``{mime, size}`` (the bytes follow one another),
    ``{url}``: none kept, a new URL of the file to make it from, or None: out of reach.
    Items past ``KEPT_BYTES`` of answer are left to be asked again."""
    found: list[dict[str, Any] | None] = []
    chunks: list[bytes] = []
    total = 0
    for item in a["items"]:
        if total > KEPT_BYTES:
            break
        try:
            kept = fs.kept_thumbnail(item["g"], item["p"], int(item["px"]))
            if kept is None:
                found.append({"url": fs.urls.mint(item["g"], item["p"])})
                continue
        except OSError:
            found.append(None)
            continue
        found.append({"mime": kept[1], "size": len(kept[0])})
        chunks.append(kept[0])
        total += len(kept[0])
    return {"found": found}, b"".join(chunks)


def _mode(a: dict[str, Any]) -> int | None:
    return None if a.get("mode") is None else int(a["mode"])


OPERATIONS: dict[str, Operation] = {
    "stat": lambda fs, a, b: _meta(fs.stat(a["g"], a["p"])),
    "listdir": lambda fs, a, b: _meta(fs.listdir(a["g"], a["p"])),
    "mkdir": _changing(lambda fs, a, b: _meta(fs.mkdir(a["g"], a["p"],
                                                       int(a.get("mode", 0o777))))),
    "rmdir": _changing(_done(lambda fs, a, b: fs.rmdir(a["g"], a["p"]))),
    "unlink": _changing(_done(lambda fs, a, b: fs.unlink(a["g"], a["p"]))),
    "rename": _changing(_done(lambda fs, a, b: fs.rename(a["g"], a["p"], a["g2"], a["p2"]))),
    "setattr": _changing(lambda fs, a, b: _meta(fs.setattr(
        a["g"], a["p"], _mode(a), a.get("atime"), a.get("mtime"), a.get("size")))),
    "fsyncdir": _done(lambda fs, a, b: fs.fsyncdir(a["g"], a["p"])),
    "open": _changing(_open, when=_creates),
    "read": _read,
    "write": _changing(lambda fs, a, b: _meta(fs.write(int(a["h"]), int(a["offset"]), b))),
    "ftruncate": _changing(lambda fs, a, b: _meta(fs.truncate_handle(int(a["h"]),
                                                                     int(a["size"])))),
    "fstat": lambda fs, a, b: _meta(fs.fstat(int(a["h"]))),
    "fsetattr": _changing(lambda fs, a, b: _meta(fs.fsetattr(int(a["h"]), _mode(a),
                                                             a.get("atime"), a.get("mtime")))),
    "fsync": _done(lambda fs, a, b: fs.fsync(int(a["h"]), bool(a.get("data")))),
    "close": _done(lambda fs, a, b: fs.close(int(a["h"]))),
    "lock": lambda fs, a, b: _meta(fs.lock(int(a["h"]), str(a["how"]), int(a["type"]),
                                           int(a["start"]), int(a["length"]))),
    "settle": _done(lambda fs, a, b: fs.settle()),
    "url": lambda fs, a, b: _meta(fs.urls.mint(a["g"], a["p"])),
    "revoke-url": lambda fs, a, b: _meta([fs.urls.revoke(str(u)) for u in a["urls"]]),
    "kept-thumbs": _kept_thumbs,
}


def perform(fs: FileService, name: str, args: Any, body: bytes) -> tuple[dict[str, Any], bytes]:
    """Run one operation: ``({"ok": value}, data)`` or ``({"error": "ENOENT"}, b"")``.

    Malformed requests raise ValueError/KeyError/TypeError (a protocol error, not an errno).
    """
    op = OPERATIONS.get(name)
    if op is None or not isinstance(args, dict):
        raise ValueError("unknown operation")
    try:
        meta, data = op(fs, args, body)
    except Missing:
        return {"error": "ENOENT", "w": True}, b""  # the answer may be kept (fs-cache.mjs)
    except OSError as exc:
        return {"error": errno.errorcode.get(exc.errno or 0, "EIO")}, b""
    return {"ok": meta}, data


async def perform_off_loop(fs: FileService, name: str, args: Any,
                           body: bytes) -> tuple[dict[str, Any], bytes]:
    """``perform`` on the file service's own threads: a slow disk never stalls the server."""
    return await asyncio.get_running_loop().run_in_executor(fs.executor, perform, fs, name,
                                                            args, body)


async def handle(request: Request, fs: FileService) -> Response:
    try:
        args = json.loads(unquote(request.headers.get(HEADER, "{}")))
        result, data = await perform_off_loop(fs, request.query_params.get("op", ""), args,
                                              await request.body())
    except (ValueError, KeyError, TypeError) as exc:
        return Response(f"bad file request: {exc}", status_code=400)
    client = request.headers.get(CLIENT)
    if client and fs.mailboxes is not None:  # after the answer: records it may predate
        result["c"] = fs.mailboxes.take(client[:64], time.monotonic())
    # no-store: an engine must not keep answers (a renderer that cached every read grew
    # by the size of each one).
    if not data:  # results can be big (a listing): they travel as the JSON body
        return Response(json.dumps(result), media_type="application/json", headers=NO_STORE)
    return Response(data, media_type="application/octet-stream",
                    headers={HEADER: json.dumps(result, ensure_ascii=True), **NO_STORE})


async def serve_socket(ws: WebSocket, fs: FileService, token: str) -> None:
    """The fast path: the same operations over one WebSocket, framed as
    ``[u32 JSON length][JSON {"op", ...args}][body]`` both ways (little-endian).

    The first message must be the launch token (a browser cannot set headers on a
    WebSocket, and the token must never be in a URL). Changes to watched folders come
    between answers as ``[u32 0xFFFFFFFF][JSON records]`` (changes.py); any the feed had
    sent before an answer was ready go out before it.
    """
    await ws.accept()
    if not security.token_valid(await ws.receive_text(), token):
        await ws.close(code=4401)
        return
    pusher = _ChangePusher(ws)
    unsubscribe = fs.changes.subscribe(pusher.heard) if fs.changes else (lambda: None)
    opened: set[int] = set()  # host handles this page holds: closed when it goes away
    try:
        while True:
            frame = await ws.receive_bytes()
            size = int.from_bytes(frame[:4], "little")
            try:
                args = json.loads(frame[4:4 + size])
                op = args.pop("op")
                result, data = await perform_off_loop(fs, op, args, frame[4 + size:])
                _follow_handles(opened, op, args, result)
            except (ValueError, KeyError, TypeError, AttributeError):
                result, data = {"error": "EINVAL"}, b""
            meta = json.dumps(result).encode()
            await pusher.send(len(meta).to_bytes(4, "little") + meta + data)
    except WebSocketDisconnect:
        return
    finally:
        unsubscribe()
        pusher.stop()
        try:
            await asyncio.get_running_loop().run_in_executor(fs.executor, _close_all, fs, opened)
        except RuntimeError:  # the server is stopping: close_all() closes every handle
            pass


def _follow_handles(opened: set[int], op: str, args: dict[str, Any],
                    result: dict[str, Any]) -> None:
    if op == "open" and "ok" in result and result["ok"]["handle"] is not None:
        opened.add(result["ok"]["handle"])
    elif op == "close":
        opened.discard(int(args["h"]))


def _close_all(fs: FileService, handles: set[int]) -> None:
    """A page reloaded or closed: its worker's open files go with it (a lock it held too)."""
    for handle in handles:
        try:
            fs.close(handle)
        except OSError:
            pass


CHANGES = (0xFFFFFFFF).to_bytes(4, "little")


class _ChangePusher:
    """Change records for one socket, in order with its answers."""

    def __init__(self, ws: WebSocket) -> None:
        self._ws = ws
        self._loop = asyncio.get_running_loop()
        self._pending: list[Any] = []
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    def heard(self, records: list[Any]) -> None:
        """From the feed's thread: queued on the loop in the order the feed heard them."""
        self._loop.call_soon_threadsafe(self._queue, records)

    def _queue(self, records: list[Any]) -> None:
        self._pending += records
        if self._task is None or self._task.done():
            self._task = self._loop.create_task(self._push())

    async def _push(self) -> None:
        async with self._lock:
            while self._pending:  # records that came while the last ones were being sent
                await self._flush()

    async def _flush(self) -> None:
        if self._pending:
            records, self._pending = self._pending, []
            await self._ws.send_bytes(CHANGES + json.dumps(records).encode())

    async def send(self, frame: bytes) -> None:
        async with self._lock:
            await self._flush()
            await self._ws.send_bytes(frame)

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

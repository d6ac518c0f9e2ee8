"""A limit on request bodies per route, enforced before and while the body streams in.

A declared ``Content-Length`` over the limit is refused at once; a body that grows over it
(chunked, or longer than declared) is cut off when it crosses it: the client gets 413,
the route sees the client gone (as when it leaves mid-body), and anything the route then
says is dropped. Each refusal is one terminal line, so a too-small limit is noticed.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .refusal import Refusal

KiB, MiB = 1024, 1024 * 1024
# Request bodies per route (longest prefix wins). File writes travel in 8 MiB pieces
# (fs.mjs); snapshots are gzip streams of a few MB to some tens of MB.
BODY_LIMITS: dict[str, int] = {
    "/_pyshell/api/fs": 16 * MiB + 64 * KiB,
    "/_pyshell/api/snapshot/": 256 * MiB,
    "/_pyshell/api/log": 1 * MiB,
    "/_pyshell/api/dialog": 64 * KiB,
    "/_pyshell/api/open-url": 16 * KiB,
    "/_pyshell/api/thumbs/": 4 * MiB,  # a thumbnail the page made, kept (thumbcache)
    "/_pyshell/api/resume": 2 * MiB,  # a picture of the page (loader.mjs keeps to it)
}
DEFAULT_BODY_LIMIT = 64 * KiB


def body_limit(path: str) -> int:
    """The largest request body ``path`` accepts."""
    matches = [prefix for prefix in BODY_LIMITS if path.startswith(prefix)]
    return BODY_LIMITS[max(matches, key=len)] if matches else DEFAULT_BODY_LIMIT


class BodyLimit:
    """ASGI middleware: 413 for a body over its route's limit, declared or streamed."""

    def __init__(self, app: ASGIApp, log: Callable[[str], None]) -> None:
        self.app, self._log = app, log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["path"])
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self.too_large(scope["path"], limit)(scope, receive, send)
            return
        body = _CountedBody(scope, receive, send, limit,
                            lambda: self.too_large(scope["path"], limit))
        try:
            await self.app(scope, body.receive, body.send)
        except ClientDisconnect:
            pass  # the client left mid-body (a window closed during an upload): no one to tell
        except Exception:
            if not body.over:  # the route failed because its body was cut off: expected
                raise

    def too_large(self, path: str, limit: int) -> Refusal:
        """The 413 for a body over ``limit`` to ``path``, said on the terminal as it is made
        (one line per refused request)."""
        self._log(f"pyshell: refused a request body over {_size(limit)} to {path} (413)")
        return Refusal(413, f"pyshell: refused: request body over {_size(limit)}")


class _CountedBody:
    """One request's ``receive`` and ``send`` for the route, counting the body's bytes."""

    def __init__(self, scope: Scope, receive: Receive, send: Send, limit: int,
                 refusal: Callable[[], Refusal]) -> None:
        self.scope, self._receive, self._send = scope, receive, send
        self.limit, self._refusal = limit, refusal
        self.received = 0
        self.over = False     # the body crossed the limit; the route was told the client left
        self.started = False  # the route began its answer before that

    async def receive(self) -> Message:
        if self.over:
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                self.over = True
                if not self.started:  # answered at once, whatever the route does next
                    await self._refusal()(self.scope, self._receive, self._send)
                # What the route reads from now on (Starlette raises ClientDisconnect).
                return {"type": "http.disconnect"}
        return message

    async def send(self, message: Message) -> None:
        if self.over:
            return
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)


def _size(limit: int) -> str:
    return f"{limit // MiB} MiB" if limit >= MiB else f"{limit // KiB} KiB"

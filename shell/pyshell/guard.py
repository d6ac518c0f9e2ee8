"""The app server's front door, as ASGI middleware: every request passes here first.

In order: the Host and Origin checks (DNS rebinding, other sites), the launch exchange
(``session``), the session cookie (every route, the page included: nothing is served to a
process that is not the app's window), the token (API routes; WebSockets carry it as
their first message, which must come within seconds), and a body limit per route,
enforced while the body streams in. Every answer gets the security headers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import security
from .session import LAUNCH_PREFIX, Session

KiB, MiB = 1024, 1024 * 1024
# Request bodies per route (longest prefix wins). File writes travel in 8 MiB pieces
# (fs.mjs); snapshots are gzip streams of a few MB to some tens of MB.
BODY_LIMITS: dict[str, int] = {
    "/_pyshell/api/fs": 16 * MiB + 64 * KiB,
    "/_pyshell/api/snapshot/": 256 * MiB,
    "/_pyshell/api/log": 1 * MiB,
    "/_pyshell/api/dialog": 64 * KiB,
    "/_pyshell/api/open-url": 16 * KiB,
}
DEFAULT_BODY_LIMIT = 64 * KiB
FIRST_MESSAGE_TIMEOUT = 5.0  # seconds a WebSocket may stay open without its token


@dataclass(frozen=True)
class Refusal:
    status: int
    text: str


def body_limit(path: str) -> int:
    """The largest request body ``path`` accepts."""
    matches = [prefix for prefix in BODY_LIMITS if path.startswith(prefix)]
    return BODY_LIMITS[max(matches, key=len)] if matches else DEFAULT_BODY_LIMIT


def _size(limit: int) -> str:
    return f"{limit // MiB} MiB" if limit >= MiB else f"{limit // KiB} KiB"


class Guard:
    """ASGI middleware: refuse foreign Hosts, Origins and clients, limit bodies, add headers."""

    def __init__(self, app: ASGIApp, port: int, token: str, session: Session,
                 log: Callable[[str], None]) -> None:
        self.app, self.port, self.token, self.session = app, port, token, session
        self._log = log
        self._headers = [(k.encode(), v.encode()) for k, v in security.security_headers(port)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        path: str = scope["path"]
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send, headers)
            return
        refusal = self._origin_refusal(headers)
        if refusal is None and path.startswith(LAUNCH_PREFIX):
            await self._launch(scope, send)
            return
        refusal = refusal or self._client_refusal(path, headers)
        if refusal is None:
            refusal = self._declared_body_refusal(path, headers)
        if refusal:
            await self._refuse(refusal, send)
            return
        await self._limited(scope, receive, send, body_limit(path))

    def _origin_refusal(self, headers: dict[str, str]) -> Refusal | None:
        if not security.host_allowed(headers.get("host"), self.port):
            return Refusal(403, "pyshell: refused: unexpected Host header")
        if not security.origin_allowed(headers.get("origin"), headers.get("sec-fetch-site"),
                                       self.port):
            return Refusal(403, "pyshell: refused: cross-origin request")
        return None

    def _client_refusal(self, path: str, headers: dict[str, str]) -> Refusal | None:
        """Only the app's window: its session cookie everywhere, the token on the API."""
        if not self.session.valid(headers.get("cookie")):
            return Refusal(403, "pyshell: refused: not the app's window (no session)")
        if path.startswith(security.API_PREFIX) and not security.token_valid(
                headers.get(security.TOKEN_HEADER), self.token):
            return Refusal(401, "pyshell: refused: missing or wrong token")
        return None

    def _declared_body_refusal(self, path: str, headers: dict[str, str]) -> Refusal | None:
        declared = headers.get("content-length", "")
        limit = body_limit(path)
        if declared.isdigit() and int(declared) > limit:
            return self._too_large(path, limit)
        return None

    def _too_large(self, path: str, limit: int) -> Refusal:
        self._log(f"pyshell: refused a request body over {_size(limit)} to {path} (413)")
        return Refusal(413, f"pyshell: refused: request body over {_size(limit)}")

    async def _launch(self, scope: Scope, send: Send) -> None:
        """Redeem a launch code once: set the session cookie and go to the page."""
        code = scope["path"][len(LAUNCH_PREFIX):]
        if scope["method"] != "GET" or not self.session.redeem(code):
            await self._refuse(Refusal(403, "pyshell: refused: launch link already used "
                                            "or unknown"), send)
            return
        target = _same_origin_path(parse_qs(scope["query_string"].decode("latin-1"))
                                   .get("to", ["/"])[0])
        await send({"type": "http.response.start", "status": 303,
                    "headers": [(b"location", quote(target, safe="/?=&;:@+$,%#").encode()),
                                (b"set-cookie", self.session.set_cookie().encode()),
                                (b"content-length", b"0"), *self._headers]})
        await send({"type": "http.response.body", "body": b""})

    async def _limited(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Run the app with ``limit`` on the body as it streams; over it, answer 413 and
        drop what the app would have said."""
        received = 0
        over = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit and not over:
                    over = True
                    if not started:
                        await self._refuse(self._too_large(scope["path"], limit), send)
                    return {"type": "http.disconnect"}
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if over:
                return
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = list(message.get("headers", [])) + self._headers
            await send(message)

        try:
            await self.app(scope, counting_receive, send_with_headers)
        except ClientDisconnect:
            pass  # the client left mid-body (a window closed during an upload): no one to tell
        except Exception:
            if not over:  # the app saw a disconnect because the body was too big: expected
                raise

    async def _websocket(self, scope: Scope, receive: Receive, send: Send,
                         headers: dict[str, str]) -> None:
        refusal = self._origin_refusal(headers) or (
            None if self.session.valid(headers.get("cookie"))
            else Refusal(403, "no session"))
        if refusal:
            await send({"type": "websocket.close", "code": 4403})
            return
        await self.app(scope, _first_message_within(receive, send, FIRST_MESSAGE_TIMEOUT), send)

    async def _refuse(self, refusal: Refusal, send: Send) -> None:
        body = refusal.text.encode()
        await send({"type": "http.response.start", "status": refusal.status,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                (b"content-length", str(len(body)).encode()),
                                # Whatever the client still sends is not read: close.
                                (b"connection", b"close"), *self._headers]})
        await send({"type": "http.response.body", "body": body})


def _same_origin_path(target: str) -> str:
    """Where a launch may lead: a path on this server, never another host."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _first_message_within(receive: Receive, send: Send, seconds: float) -> Receive:
    """A receive for WebSockets whose first data message (the token) must come in time;
    otherwise the socket is closed and the app sees a disconnect."""
    state: dict[str, Any] = {"connected": False, "first": True}

    async def timed_receive() -> Message:
        if not state["connected"] or not state["first"]:
            message = await receive()
            state["connected"] = state["connected"] or message["type"] == "websocket.connect"
            return message
        state["first"] = False
        try:
            return await asyncio.wait_for(receive(), seconds)
        except TimeoutError:
            await send({"type": "websocket.close", "code": 4408})
            return {"type": "websocket.disconnect", "code": 4408}

    return timed_receive

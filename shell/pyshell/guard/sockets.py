"""A WebSocket must send its first message (its token) within seconds, or it is closed.

Routes check the token, and they wait for it; without a clock, a client could open
sockets and never speak, each holding a connection and a descriptor (``connections`` caps
how many, this bounds how long). The socket is closed with 4408 and the route sees the
client gone, as if it had left.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocketClose

FIRST_MESSAGE_TIMEOUT = 5.0  # seconds a WebSocket may stay open without its token
TIMED_OUT = 4408


class TokenDeadline:
    """ASGI middleware: start each WebSocket's clock for its first data message."""

    def __init__(self, app: ASGIApp, seconds: float = FIRST_MESSAGE_TIMEOUT) -> None:
        self.app, self.seconds = app, seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        await self.app(scope, _FirstMessageClock(scope, receive, send, self.seconds), send)


class _FirstMessageClock:
    """The route's ``receive``: the message after the handshake must come in time."""

    def __init__(self, scope: Scope, receive: Receive, send: Send, seconds: float) -> None:
        self.scope, self.receive, self.send, self.seconds = scope, receive, send, seconds
        self.connected = False  # the handshake's message has been received
        self.timed = False      # the first message after it was waited for (in time or not)

    async def __call__(self) -> Message:
        if not self.connected or self.timed:
            message = await self.receive()
            self.connected = self.connected or message["type"] == "websocket.connect"
            return message
        self.timed = True
        try:
            return await asyncio.wait_for(self.receive(), self.seconds)
        except TimeoutError:
            await WebSocketClose(TIMED_OUT)(self.scope, self.receive, self.send)
            # What the route then reads: the client is gone (Starlette raises
            # WebSocketDisconnect), as when it leaves by itself.
            return {"type": "websocket.disconnect", "code": TIMED_OUT}

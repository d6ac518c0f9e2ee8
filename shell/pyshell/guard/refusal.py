"""How the guard says no: one line of text for HTTP, a close code for a WebSocket."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocketClose

# A WebSocket refused before it is accepted: the client's handshake gets HTTP 403.
SOCKET_REFUSED = 4403


@dataclass(frozen=True)
class Refusal:
    """Why a request is turned away: the HTTP status and the line the client reads."""

    status: int
    text: str

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer with it. Whatever the client still sends is not read, so the connection
        closes; a WebSocket is closed before it opens."""
        if scope["type"] == "websocket":
            await WebSocketClose(SOCKET_REFUSED)(scope, receive, send)
            return
        response = PlainTextResponse(self.text, status_code=self.status,
                                     headers={"connection": "close"})
        await response(scope, receive, send)

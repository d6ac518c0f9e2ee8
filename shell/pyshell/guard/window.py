"""Only the app's window: its session cookie on everything, its token on the API.

Every route needs the cookie the launch exchange set, the page itself included, so a
local process that is not the window gets nothing at all. API routes also need the token,
which only the loaded page holds (it is in the page, never in a URL); WebSockets carry it
as their first message instead, checked by their routes (see ``sockets`` for the clock).
A request with two token headers is refused, like two Host headers (see ``origin``).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from .. import security
from ..session import Session
from .refusal import Refusal

NO_SESSION = Refusal(403, "pyshell: refused: not the app's window (no session)")
NO_TOKEN = Refusal(401, "pyshell: refused: missing or wrong token")


class WindowOnly:
    """ASGI middleware: refuse clients without the session (403) or, on the API, the token
    (401); a WebSocket without the session is closed before it opens."""

    def __init__(self, app: ASGIApp, session: Session, token: str) -> None:
        self.app, self.session, self.token = app, session, token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        refusal = self.refusal(scope, Headers(scope=scope))
        if refusal is not None:
            await refusal(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    def refusal(self, scope: Scope, headers: Headers) -> Refusal | None:
        # HTTP/2 may split cookies over several headers: together they are the one list.
        if not self.session.valid("; ".join(headers.getlist("cookie"))):
            return NO_SESSION
        if scope["type"] == "http" and scope["path"].startswith(security.API_PREFIX):
            tokens = headers.getlist(security.TOKEN_HEADER)
            if len(tokens) != 1 or not security.token_valid(tokens[0], self.token):
                return NO_TOKEN
        return None

"""The security headers (``security.security_headers``) on every HTTP answer of the server.

Outermost of the guard's middlewares, so refusals carry them too. A header the app's
routes set under the same name is replaced, never doubled: a browser that saw two
Content-Security-Policy headers would enforce both, and two Cache-Control values are
read differently by different engines. Every answer is ``no-store``, the grant file URLs
too: no engine keeps a copy of what the app's server sends.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class SecurityHeaders:
    """ASGI middleware: set ``headers`` on every HTTP response start."""

    def __init__(self, app: ASGIApp, headers: Sequence[tuple[str, str]]) -> None:
        self.app = app
        self.headers = tuple(headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers:
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)

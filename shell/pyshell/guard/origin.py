"""Only requests addressed to this server, from its own page: the Host and Origin checks.

A page on another name that resolves to 127.0.0.1 (DNS rebinding) sends its own Host; a
page of another site sends its Origin or ``Sec-Fetch-Site``. Both are refused before
anything else is looked at, WebSockets included. Each of these headers counts only when
it comes once: with two Host or two Origin headers, which copy a check reads is the
attacker's choice, so a request carrying two is refused whatever they say.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from .. import security
from .refusal import Refusal

FOREIGN_HOST = Refusal(403, "pyshell: refused: unexpected Host header")
CROSS_ORIGIN = Refusal(403, "pyshell: refused: cross-origin request")


class SameOrigin:
    """ASGI middleware: refuse a foreign Host and any other origin (403; WebSockets 4403)."""

    def __init__(self, app: ASGIApp, port: int) -> None:
        self.app, self.port = app, port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        refusal = self.refusal(Headers(scope=scope))
        if refusal is not None:
            await refusal(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    def refusal(self, headers: Headers) -> Refusal | None:
        hosts = headers.getlist("host")
        if len(hosts) != 1 or not security.host_allowed(hosts[0], self.port):
            return FOREIGN_HOST
        origins, sites = headers.getlist("origin"), headers.getlist("sec-fetch-site")
        if len(origins) > 1 or len(sites) > 1:
            return CROSS_ORIGIN
        if not security.origin_allowed(_only(origins), _only(sites), self.port):
            return CROSS_ORIGIN
        return None


def _only(values: list[str]) -> str | None:
    return values[0] if values else None

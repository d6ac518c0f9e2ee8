"""The launch exchange: a single-use link gives the window its session cookie.

The window opens ``/_pyshell/launch/CODE``; redeemed once (``session``), the code becomes an
``HttpOnly; SameSite=Strict`` cookie and a redirect to the page, so no secret is ever in a
response to a request that did not already carry one. This sits before ``window``: the
launch is how a browser becomes the window in the first place.
"""

from __future__ import annotations

from starlette.datastructures import QueryParams
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from ..session import LAUNCH_PREFIX, Session
from .refusal import Refusal

SPENT = Refusal(403, "pyshell: refused: launch link already used or unknown")


class LaunchExchange:
    """ASGI middleware: answer ``/_pyshell/launch/…`` itself; everything else passes."""

    def __init__(self, app: ASGIApp, session: Session) -> None:
        self.app, self.session = app, session

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(LAUNCH_PREFIX):
            await self.app(scope, receive, send)
            return
        code = scope["path"][len(LAUNCH_PREFIX):]
        if scope["method"] != "GET" or not self.session.redeem(code):
            await SPENT(scope, receive, send)
            return
        target = same_origin_path(QueryParams(scope["query_string"]).get("to", "/"))
        response = RedirectResponse(target, status_code=303,
                                    headers={"set-cookie": self.session.set_cookie()})
        await response(scope, receive, send)


def same_origin_path(target: str) -> str:
    """Where a launch may lead: a path on this server, never another host."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target

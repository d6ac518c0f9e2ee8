"""The page's answer when the host asked it to close: ``{"close": true|false}``.

The host asks (``lifecycle.Closer``); the page lets Python finish what it is doing, runs
the app's on_close and on_quit handlers and answers here (see docs/protocol.md, "Closing
the window").
"""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from .. import security

PATH = security.API_PREFIX + "closed"
Answer = Callable[[bool], None]  # True: close now; False: the app vetoed, stay open


def routes(answer: Answer) -> list[BaseRoute]:
    async def closed(request: Request) -> Response:
        try:
            close = json.loads(await request.body())["close"]
        except (ValueError, KeyError, TypeError):
            return PlainTextResponse("bad closed request", status_code=400)
        if not isinstance(close, bool):
            return PlainTextResponse("bad closed request", status_code=400)
        answer(close)
        return JSONResponse({"ok": True})

    return [Route(PATH, closed, methods=["POST"])]

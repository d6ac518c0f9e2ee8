"""The page's word on the app's life: its entry point ran (``started``), and its answer
when the host asked it to close (``closed``).

``started`` ``{"ok": true|false}``: the app's entry point returned (or raised); an
installed app that updated itself keeps the new version once it got this far
(``updates.layout``). ``closed`` ``{"close": true|false}``: the host asks
(``lifecycle.Closer``); the page lets Python finish what it is doing, runs the app's
on_close and on_quit handlers and answers here (see docs/protocol.md, "Closing the
window").
"""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from .. import security

PATH = security.API_PREFIX + "closed"
STARTED = security.API_PREFIX + "started"
Answer = Callable[[bool], None]  # True: close now; False: the app vetoed, stay open
Started = Callable[[bool], None]  # True: the entry point returned; False: it raised


def routes(answer: Answer, started: Started) -> list[BaseRoute]:
    return [Route(PATH, _flag_route("close", answer), methods=["POST"]),
            Route(STARTED, _flag_route("ok", started, blocking=True), methods=["POST"])]


def _flag_route(key: str, act: Callable[[bool], None],
                blocking: bool = False) -> Callable[[Request], object]:
    """A route that hands ``act`` the body's boolean ``key``; ``blocking``: ``act`` may
    wait (on the disk, on an update being unpacked), so it runs off the event loop."""
    async def route(request: Request) -> Response:
        try:
            flag = json.loads(await request.body())[key]
        except (ValueError, KeyError, TypeError):
            return PlainTextResponse(f"bad {request.url.path} request", status_code=400)
        if not isinstance(flag, bool):
            return PlainTextResponse(f"bad {request.url.path} request", status_code=400)
        if blocking:
            await run_in_threadpool(act, flag)
        else:
            act(flag)
        return JSONResponse({"ok": True})

    return route

"""The app's own update status, for ``pyshell.updates`` in its Python.

``GET updates`` is the status; ``POST updates/check`` checks the update site now (from
this process: the app's Python never reaches the site) and answers the status after it;
``POST updates/restart`` restarts into a ready update: the window closes the usual way
(the app's close handlers run, and may keep it open) and the installed app starts again.
Without an updater (``pyshell run``, or an installed app that declares no update site)
the status is ``off`` and nothing is ever checked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from .. import security

if TYPE_CHECKING:
    from ..selfupdate.updater import Updater

PATH = security.API_PREFIX + "updates"
OFF = "this app checks for no updates: it is not installed from a package, or its " \
      "[tool.pyshell.updates] has no url"


def routes(updater: Updater | None, close: Callable[[], bool]) -> list[BaseRoute]:
    def off() -> dict[str, Any]:
        return {"state": "off", "reason": OFF}

    async def status(request: Request) -> Response:
        return JSONResponse(updater.status().to_json() if updater else off())

    async def check(request: Request) -> Response:
        if updater is None:
            return JSONResponse(off())
        checked = await run_in_threadpool(updater.check)
        return JSONResponse(checked.to_json())

    async def restart(request: Request) -> Response:
        refused = updater.request_restart() if updater else OFF
        if refused is not None:
            return JSONResponse({"error": refused})
        close()
        return JSONResponse({"restarting": True})

    return [Route(PATH, status, methods=["GET"]),
            Route(PATH + "/check", check, methods=["POST"]),
            Route(PATH + "/restart", restart, methods=["POST"])]

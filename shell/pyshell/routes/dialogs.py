"""The app asks for a native file dialog; what the user picks becomes a grant (``dialogs``).

The dialog blocks until the user answers, so it runs on a worker thread, never on the
server's event loop."""

from __future__ import annotations

import json

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from .. import security
from ..pickers import Picker

PATH = security.API_PREFIX + "dialog"


def routes(picker: Picker) -> list[BaseRoute]:
    async def dialog(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
            kind, writable = body["kind"], bool(body.get("write"))
            name, types = str(body.get("name", "")), [str(t) for t in body.get("types", [])]
        except (ValueError, KeyError, TypeError):
            return PlainTextResponse("bad dialog request", status_code=400)
        try:
            result = await run_in_threadpool(picker.pick, kind, writable, name, types)
        except (LookupError, ValueError) as exc:
            return JSONResponse({"error": str(exc)})
        return JSONResponse({"picked": result})

    return [Route(PATH, dialog, methods=["POST"])]

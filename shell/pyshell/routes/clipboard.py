"""The app reads or writes the system clipboard (``clipboardservice`` checks the app's
declaration). POST ``{"op": "read"}`` answers ``{"text", "html"}``; ``{"op": "write",
"text", "html"}`` answers ``{"ok": true}``; a refusal is ``{"error", "permission"}``.

The engine's clipboard waits for the GUI thread, so it is used from a worker thread, never
on the server's event loop."""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from .. import security
from ..clipboardservice import Clipboard, Contents

PATH = security.API_PREFIX + "clipboard"


def routes(clipboard: Clipboard) -> list[BaseRoute]:
    async def use(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
            op, text, html = body["op"], body.get("text", ""), body.get("html")
        except (ValueError, KeyError, TypeError):
            return PlainTextResponse("bad clipboard request", status_code=400)
        if op not in ("read", "write") or not isinstance(text, str) or not (
                html is None or isinstance(html, str)):
            return PlainTextResponse("bad clipboard request", status_code=400)
        try:
            answer = await run_in_threadpool(_do, clipboard, op, Contents(text, html))
        except PermissionError as exc:
            return JSONResponse({"error": str(exc), "permission": True})
        except (LookupError, OSError) as exc:
            return JSONResponse({"error": str(exc), "permission": False})
        return JSONResponse(answer)

    return [Route(PATH, use, methods=["POST"])]


def _do(clipboard: Clipboard, op: str, contents: Contents) -> dict[str, Any]:
    if op == "read":
        found = clipboard.read()
        return {"text": found.text, "html": found.html}
    clipboard.write(contents)
    return {"ok": True}

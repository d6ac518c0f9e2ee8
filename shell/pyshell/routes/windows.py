"""The app's other windows (``windowmanager``): Python's requests about them, and the relay that
carries DOM writes and events between them and the main page.

POST ``{"op": "open", "page", "title", "width"...}`` answers ``{"id"}``; ``{"op": "list"}``
answers ``{"windows": [...]}``; ``{"op": ACTION, "id", ...}`` (``windowmanager.ACTIONS``) answers
``{"ok": true}``; a request that cannot be done answers ``{"error"}``.

The relay is a WebSocket per page, token first, its window in the query (``?window=main``
for the main page, the hub). The hub sends ``{"to": ID, "message": M}``; the window's page
receives ``M`` (held until it connects); what a window's page sends reaches the hub as
``{"from": ID, "message": M}``. ``M`` is a message of ``protocol.mjs``, so a window's page
is driven exactly like the main page is by its worker. A query to a window that closes
before it answers is answered here with an error, so Python never waits for ever.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from .. import contract, security
from ..windowmanager import MAIN, WindowError, WindowManager, WindowsUnavailable

PATH = security.API_PREFIX + "windows"
SOCKET = PATH + "/socket"


class Relay:
    """The pages connected to the relay, on the server's event loop (no locks needed)."""

    def __init__(self, windows: WindowManager) -> None:
        self._windows = windows
        self._pages: dict[str, WebSocket] = {}
        self._held: dict[str, list[str]] = {}  # for a page not connected yet, in order
        self._asked: dict[str, set[int]] = {}  # queries a window's page has not answered
        self._hub_before = False

    async def serve(self, ws: WebSocket, window_id: str) -> None:
        if window_id != MAIN and not self._windows.known(window_id):
            await ws.close(code=4404)
            return
        if window_id == MAIN and self._hub_before:
            # The main page started again (a restart in dev): its new Python knows none
            # of the windows the old one opened.
            await run_in_threadpool(self._windows.close_others)
        self._hub_before |= window_id == MAIN
        old = self._pages.get(window_id)
        self._pages[window_id] = ws
        if old is not None:
            await old.close()
        if window_id != MAIN:
            await ws.send_text(contract.WINDOW_CONNECTED.encode())
        for text in self._held.pop(window_id, []):
            await ws.send_text(text)
        if window_id != MAIN:
            self._windows.ready(window_id)
        try:
            while True:
                await self._received(window_id, await ws.receive_text())
        except (WebSocketDisconnect, ValueError, KeyError, TypeError):
            pass
        finally:
            if self._pages.get(window_id) is ws:
                del self._pages[window_id]
                await self._unanswered(window_id)

    async def _received(self, window_id: str, text: str) -> None:
        message = json.loads(text)
        if window_id == MAIN:
            to, inner = str(message["to"]), message["message"]
            if inner.get("type") == contract.QUERY.type:
                self._asked.setdefault(to, set()).add(inner["id"])
                if to not in self._pages and not self._windows.known(to):
                    await self._unanswered(to)
                    return
            await self._send(to, json.dumps(inner))
            return
        if message.get("type") == contract.REPLY.type:
            self._asked.get(window_id, set()).discard(message.get("id"))
        await self._send(MAIN, json.dumps({"from": window_id, "message": message}))

    async def _send(self, window_id: str, text: str) -> None:
        page = self._pages.get(window_id)
        if page is not None:
            await page.send_text(text)
        elif window_id == MAIN or self._windows.known(window_id):
            self._held.setdefault(window_id, []).append(text)
        # else: the window is closed, and what was for it goes nowhere

    async def _unanswered(self, window_id: str) -> None:
        """The page of ``window_id`` left: its open queries fail (and nothing waits for
        it any more if its window is closed)."""
        if not self._windows.known(window_id):
            self._held.pop(window_id, None)
        for query in sorted(self._asked.pop(window_id, set())):
            error = {"type": contract.REPLY.type, "id": query,
                     "error": f"window {window_id} closed before it answered"}
            await self._send(MAIN, json.dumps({"from": window_id, "message": error}))


def routes(windows: WindowManager, token: str) -> list[BaseRoute]:
    relay = Relay(windows)

    async def act(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
            op = body["op"]
        except (ValueError, KeyError, TypeError):
            return PlainTextResponse("bad windows request", status_code=400)
        try:
            answer = await run_in_threadpool(_do, windows, str(op), body)
        except WindowsUnavailable as exc:  # Python's RuntimeError
            return JSONResponse({"error": str(exc), "unavailable": True})
        except WindowError as exc:  # Python's ValueError
            return JSONResponse({"error": str(exc)})
        return JSONResponse(answer)

    async def socket(ws: WebSocket) -> None:
        await ws.accept()
        try:
            first = await ws.receive_text()
        except WebSocketDisconnect:
            return
        if not security.token_valid(first, token):
            await ws.close(code=4401)
            return
        await relay.serve(ws, ws.query_params.get("window", ""))

    return [Route(PATH, act, methods=["POST"]), WebSocketRoute(SOCKET, socket)]


def _do(windows: WindowManager, op: str, body: dict[str, Any]) -> dict[str, Any]:
    if op == "open":
        return {"id": windows.open(body)}
    if op == "list":
        return {"windows": windows.listing()}
    windows.act(str(body.get("id")), op, body)
    return {"ok": True}


"""`pyshell dev`'s reload channel: updates to the page, the page's reports back.

The channel itself (``dev.reload.Hub``) is dev tooling, which installed apps do not
carry; the launcher hands it to the server in dev mode only, and this route knows it only
as a ``DevChannel``. Without one the socket is closed at once (4404). Token first, as on
every socket.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any, Protocol

from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from .. import contract, security

PATH = security.API_PREFIX + "dev"
DevReport = Callable[[dict[str, Any]], None]  # the page's answer to an update, or its start


class DevChannel(Protocol):
    """Where updates come from: each connected page gets a queue of encoded messages."""

    def subscribe(self) -> asyncio.Queue[str]: ...

    def unsubscribe(self, queue: asyncio.Queue[str]) -> None: ...


def routes(channel: DevChannel | None, report: DevReport, token: str) -> list[BaseRoute]:
    async def socket(ws: WebSocket) -> None:
        if channel is None:
            await ws.close(code=4404)
            return
        await ws.accept()
        try:
            first = await ws.receive_text()
        except WebSocketDisconnect:  # gone (or timed out) before sending its token
            return
        if not security.token_valid(first, token):
            await ws.close(code=4401)
            return
        await _relay(ws, channel, report)

    return [WebSocketRoute(PATH, socket)]


async def _relay(ws: WebSocket, channel: DevChannel, report: DevReport) -> None:
    """Forward the channel's messages to the page, and its reports to ``report``, until
    the page goes."""
    queue = channel.subscribe()
    await ws.send_text(contract.DEV_CONNECTED.encode())

    async def forward() -> None:
        while True:
            await ws.send_text(await queue.get())

    sender = asyncio.create_task(forward())
    try:
        while True:
            message = json.loads(await ws.receive_text())
            if isinstance(message, dict):
                report(message)
    except (WebSocketDisconnect, ValueError):
        pass
    finally:
        sender.cancel()
        channel.unsubscribe(queue)

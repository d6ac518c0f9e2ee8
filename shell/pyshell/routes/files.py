"""The file service's routes: one operation per POST, or many over a WebSocket (the fast
path, with change notices pushed back); the operations themselves are ``fsapi``'s."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from .. import fsapi, security
from ..fileservice import FileService

PATH = security.API_PREFIX + "fs"
SOCKET = security.API_PREFIX + "fs-socket"


def routes(files: FileService, token: str) -> list[BaseRoute]:
    async def operation(request: Request) -> Response:
        return await fsapi.handle(request, files)

    async def socket(ws: WebSocket) -> None:
        try:
            await fsapi.serve_socket(ws, files, token)
        except WebSocketDisconnect:  # gone (or timed out) before sending its token
            pass

    return [Route(PATH, operation, methods=["POST"]), WebSocketRoute(SOCKET, socket)]

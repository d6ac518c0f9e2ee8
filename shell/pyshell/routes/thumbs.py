"""Keeping a thumbnail the page made (``thumbcache``), by the token of the grant file URL it
was made from: ``PUT /_pyshell/api/thumbs/TOKEN/NAME?px=N`` with a JPEG or PNG body answers
``204``. The file is reached through its grant (its identity is the key), so a revoked URL
or a file gone answers ``404``. The app gets kept ones back with the file operation
``kept-thumb`` (``fsapi``), one trip on the file service's own channel."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from .. import security
from ..fileservice import FileService

PREFIX = security.API_PREFIX + "thumbs/"
MAX_PX = 4096


def routes(files: FileService) -> list[BaseRoute]:
    async def keep(request: Request) -> Response:
        entry = files.urls.lookup(request.path_params["token"])
        px = request.query_params.get("px", "")
        if entry is None or not px.isdigit() or not 0 < int(px) <= MAX_PX:
            return PlainTextResponse("not found", status_code=404)
        data = await request.body()
        mime = request.headers.get("content-type", "").split(";")[0].strip()
        try:
            await asyncio.get_running_loop().run_in_executor(
                files.executor, files.keep_thumbnail, entry.grant, entry.path, int(px), data,
                mime)
        except ValueError as exc:
            return PlainTextResponse(str(exc), status_code=415)
        except OSError:
            return PlainTextResponse("not found", status_code=404)
        return Response(status_code=204)

    return [Route(PREFIX + "{token}/{name:path}", keep, methods=["PUT"])]

"""Kept thumbnails (``thumbcache``), by the token of the grant file URL they were made
from: ``GET /_pyshell/api/thumbs/TOKEN/NAME?px=N`` answers the kept bytes or ``404``;
``PUT`` with a JPEG or PNG body keeps them (``204``). The file is reached through its grant
each time (its identity is the key), so a revoked URL or a file gone answers ``404``."""

from __future__ import annotations

import asyncio
import os

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from .. import security
from ..fileservice import FileService
from ..thumbcache import ThumbCache

PREFIX = security.API_PREFIX + "thumbs/"
MAX_PX = 4096


def routes(files: FileService, cache: ThumbCache) -> list[BaseRoute]:
    async def thumb(request: Request) -> Response:
        entry = files.urls.lookup(request.path_params["token"])
        px = request.query_params.get("px", "")
        if entry is None or not px.isdigit() or not 0 < int(px) <= MAX_PX:
            return PlainTextResponse("not found", status_code=404)
        loop = asyncio.get_running_loop()
        try:
            fd, st = await loop.run_in_executor(files.executor, files.open_reader,
                                                entry.grant, entry.path)
        except OSError:
            return PlainTextResponse("not found", status_code=404)
        os.close(fd)
        key = cache.key(st, int(px))
        if request.method == "PUT":
            data = await request.body()
            mime = request.headers.get("content-type", "").split(";")[0].strip()
            try:
                await loop.run_in_executor(None, cache.put, key, data, mime)
            except ValueError as exc:
                return PlainTextResponse(str(exc), status_code=415)
            except OSError:
                pass  # a full or read-only cache: the page makes it again next time
            return Response(status_code=204)
        kept = await loop.run_in_executor(None, cache.get, key)
        if kept is None:
            return PlainTextResponse("not kept", status_code=404)
        return Response(kept[0], media_type=kept[1],
                        headers={"cache-control": "no-store", "x-content-type-options": "nosniff"})

    return [Route(PREFIX + "{token}/{name:path}", thumb, methods=["GET", "PUT"])]

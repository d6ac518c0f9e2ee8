"""Thumbnails of grant files, by the token of the file's URL (``fileurls``).

``GET /_pyshell/api/thumbs/TOKEN/NAME?px=N`` answers the file's thumbnail, kept or made on
the host by a sandboxed decoder (``thumbmaker``): the JPEG or PNG (and, made now, its size
in ``x-pyshell-width`` / ``x-pyshell-height``); ``415`` and a line saying why for a file that is
not a picture; ``503`` for one neither JPEG nor PNG or where no decoder runs here, and
the page makes it.
``PUT`` of the same address keeps one the page made (a JPEG or PNG body): ``204``.

The file is reached through its grant (its identity is the key), so a revoked URL or a file
gone answers ``404``. The app gets kept ones back with the file operation ``kept-thumbs``
(``fsapi``), one trip on the file service's own channel."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from .. import security
from ..decoder import DecodeError
from ..fileservice import FileService
from ..thumbmaker import ThumbMaker, Unavailable

PREFIX = security.API_PREFIX + "thumbs/"
MAX_PX = 4096


def _asked(files: FileService, request: Request) -> tuple[str, str, int] | None:
    """The grant, path and size in pixels a request names, or None (answered 404)."""
    entry = files.urls.lookup(request.path_params["token"])
    px = request.query_params.get("px", "")
    if entry is None or not px.isdigit() or not 0 < int(px) <= MAX_PX:
        return None
    return entry.grant, entry.path, int(px)


def routes(files: FileService, maker: ThumbMaker) -> list[BaseRoute]:
    async def make(request: Request) -> Response:
        asked = _asked(files, request)
        if asked is None:
            return PlainTextResponse("not found", status_code=404)
        try:
            made = await asyncio.get_running_loop().run_in_executor(
                maker.executor, maker.thumbnail_of, files, *asked)
        except DecodeError as exc:
            return PlainTextResponse(str(exc), status_code=415)
        except Unavailable as exc:
            return PlainTextResponse(str(exc), status_code=503)
        except OSError:
            return PlainTextResponse("not found", status_code=404)
        size = {"x-pyshell-width": str(made.width), "x-pyshell-height": str(made.height)}
        return Response(made.data, media_type=made.mime, headers=size if made.width else None)

    async def keep(request: Request) -> Response:
        asked = _asked(files, request)
        if asked is None:
            return PlainTextResponse("not found", status_code=404)
        data = await request.body()
        mime = request.headers.get("content-type", "").split(";")[0].strip()
        try:
            await asyncio.get_running_loop().run_in_executor(
                files.executor, files.keep_thumbnail, *asked, data, mime)
        except ValueError as exc:
            return PlainTextResponse(str(exc), status_code=415)
        except OSError:
            return PlainTextResponse("not found", status_code=404)
        return Response(status_code=204)

    return [Route(PREFIX + "{token}/{name:path}", make, methods=["GET"]),
            Route(PREFIX + "{token}/{name:path}", keep, methods=["PUT"])]

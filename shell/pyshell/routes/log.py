"""The app's print() output and tracebacks, sent by the page, to the terminal's sink."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from .. import security
from ..terminal import LogSink

PATH = security.API_PREFIX + "log"


def routes(sink: LogSink) -> list[BaseRoute]:
    async def log(request: Request) -> Response:
        try:
            body: Any = json.loads(await request.body())
            stream, text = body["stream"], body["text"]
        except (ValueError, KeyError, TypeError):
            return PlainTextResponse("bad log message", status_code=400)
        if stream not in ("stdout", "stderr") or not isinstance(text, str):
            return PlainTextResponse("bad log message", status_code=400)
        sink(stream, text)
        return Response(status_code=204)

    return [Route(PATH, log, methods=["POST"])]

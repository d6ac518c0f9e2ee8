"""What the app's main window shows, kept for the next launch's first paint
(``resumepaint``): POST the body's markup as text; 204. Without a store (the app turned
resume paint off) there is no route."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .. import security
from ..resumepaint import ResumeStore

PATH = security.API_PREFIX + "resume"


def routes(store: ResumeStore | None) -> list[BaseRoute]:
    if store is None:
        return []

    async def keep(request: Request) -> Response:
        body = (await request.body()).decode("utf-8", errors="replace")
        try:
            await run_in_threadpool(store.save, body)
        except OSError:
            pass  # a read-only home: the next launch paints its static page
        return Response(status_code=204)

    return [Route(PATH, keep, methods=["POST"])]

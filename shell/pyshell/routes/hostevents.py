"""The page's long poll for the host's events (``hostevents``): GET answers with a JSON
list as soon as there is something to tell, or with ``[]`` after ``WAIT`` seconds."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from .. import security
from ..hostevents import HostEvents

PATH = security.API_PREFIX + "host-events"
WAIT = 25.0  # well under any idle timeout between a browser and a loopback server


def routes(events: HostEvents) -> list[BaseRoute]:
    async def host_events(request: Request) -> Response:
        taken = await events.take(WAIT)
        if taken and await request.is_disconnected():
            events.give_back(taken)  # the page reloaded while it waited: the next page's
            return Response(status_code=204)
        return JSONResponse(taken)

    return [Route(PATH, host_events, methods=["GET"])]

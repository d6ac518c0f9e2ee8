"""The app's start-up snapshots over HTTP: GET restores, PUT stores, DELETE drops one.

What is kept and how it is checked is ``snapshots``' (the store); here the upload streams
into it in pieces, inflated and checked off the event loop, never held whole in memory
(``guard`` caps the gzip body, the store the inflated size). A refused or unusable
snapshot is one terminal line; the page then boots cold.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .. import security
from ..snapshots import SnapshotRefused, SnapshotStore, SnapshotUpload

PREFIX = security.API_PREFIX + "snapshot/"
PIECE = 1 << 20  # bytes of an upload handed to the store at a time


def routes(store: SnapshotStore | None, say: Callable[[str], None]) -> list[BaseRoute]:
    async def snapshot(request: Request) -> Response:
        engine = request.path_params["engine"]
        if store is None or store.path(engine) is None:
            raise HTTPException(404)
        if request.method == "PUT":
            return await _put(request, store, engine, say)
        if request.method == "DELETE":
            store.discard(engine)
            return Response(status_code=204)
        return await _get(store, engine, say)

    return [Route(PREFIX + "{engine}", snapshot, methods=["GET", "PUT", "DELETE"])]


async def _get(store: SnapshotStore, engine: str, say: Callable[[str], None]) -> Response:
    try:
        data = await run_in_threadpool(store.load, engine)
    except SnapshotRefused as exc:
        say(f"pyshell: start-up snapshot unusable ({exc}); booting cold and making a new one")
        raise HTTPException(404) from None
    if data is None:
        raise HTTPException(404)
    # The inflated size, from the gzip trailer: the page refuses a snapshot whose length
    # differs (a file cut short on disk), before restoring anything from it.
    size = int.from_bytes(data[-4:], "little")
    return Response(data, media_type="application/octet-stream",
                    headers={"content-encoding": "gzip", "x-pyshell-size": str(size)})


async def _put(request: Request, store: SnapshotStore, engine: str,
               say: Callable[[str], None]) -> Response:
    try:
        await _receive(request, store.upload(engine))
    except SnapshotRefused as exc:
        say(f"pyshell: start-up snapshot not stored ({exc})")
        raise HTTPException(400, f"pyshell: snapshot refused: {exc}") from None
    return Response(status_code=204)


async def _receive(request: Request, upload: SnapshotUpload) -> None:
    """Stream the body into ``upload`` in ``PIECE``s; whatever happens, nothing half-made
    stays behind."""
    try:
        pending = bytearray()
        async for chunk in request.stream():
            pending += chunk
            if len(pending) >= PIECE:
                await run_in_threadpool(upload.write, bytes(pending))
                pending.clear()
        await run_in_threadpool(upload.write, bytes(pending))
        await run_in_threadpool(upload.commit)
    finally:
        upload.abort()

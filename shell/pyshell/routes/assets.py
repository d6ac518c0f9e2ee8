"""Files served as they are: Pyodide's runtime, the app's locked wheels and their lock,
pyshell's page code, the app's Python as one zip, and the app's own ui/ folder.

Only what is listed here is served from pyshell's folders: the runtime by name (the npm
package holds more than a launch loads), the wheels by the lock's file names. The app's
ui/ folder comes last and answers every path no other route took, but never one under
/_pyshell/, which is pyshell's alone (a 404 for anything not listed).
"""

from __future__ import annotations

import mimetypes

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from .. import bundle, security
from ..config import AppConfig
from ..packages import Packages
from ..resources import WASM_RUNTIME_DIR
from ..runtime import RUNTIME_FILES, Runtime

RUNTIME = "/_pyshell/runtime/"
PACKAGES = "/_pyshell/packages/"
WASM = "/_pyshell/wasm"
BUNDLE = security.API_PREFIX + "bundle.zip"

# What engines need to run modules and compile wasm, whatever the system's MIME table says.
mimetypes.add_type("text/javascript", ".mjs")
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("application/wasm", ".wasm")


def routes(app: AppConfig, runtime: Runtime, packages: Packages) -> list[BaseRoute]:
    async def app_bundle(request: Request) -> Response:
        # Zipped per load (dev mode edits it), off the event loop: a big app's code takes a
        # while to read and compress, and the page's other requests must not wait for it.
        return Response(await run_in_threadpool(bundle.build_zip, app),
                        media_type="application/zip")

    async def runtime_file(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in RUNTIME_FILES:
            raise HTTPException(404)
        return FileResponse(runtime.file(name))

    async def package_file(request: Request) -> Response:
        """The app's locked wheels (checked against the lock at launch) and their lock."""
        name = request.path_params["name"]
        if name == "pyodide-lock.json" and packages.lock is not None:
            return JSONResponse(packages.pyodide_lock())
        path = packages.files.get(name)
        if path is None:
            raise HTTPException(404)
        return FileResponse(path, media_type="application/zip")

    return [Route(BUNDLE, app_bundle), Route(RUNTIME + "{name}", runtime_file),
            Route(PACKAGES + "{name}", package_file),
            Mount(WASM, StaticFiles(directory=WASM_RUNTIME_DIR)),
            Route("/_pyshell/{rest:path}", _not_found),
            Mount("/", StaticFiles(directory=app.ui_dir))]


async def _not_found(request: Request) -> Response:
    raise HTTPException(404)

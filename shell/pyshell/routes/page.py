"""The app's pages: its own index.html, with the boot config and the token put in <head>,
and the page of each window the app opens (``PAGE.html?window=ID``, see ``windowmanager``).

Read from disk on every load: in dev mode the file changes, and the boot config is made
fresh too (the grants grow as the user picks files; a test may turn the fast path off).
Any other .html file of ui/ is served as it is, like every other file there.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.staticfiles import StaticFiles

from .. import capabilities, contract, resumepaint
from .. import snapshots as snapshot_recipe
from ..config import AppConfig
from ..packages import Packages
from ..resumepaint import ResumeStore
from . import (
    assets,
    clipboard,
    dev,
    dialogs,
    files,
    hostevents,
    lifecycle,
    links,
    log,
    menus,
    notify,
    resume,
    snapshots,
    tray,
    updates,
    windows,
)

LOADER = assets.WASM + "/loader.mjs"


def routes(ui_dir: Path, token: str, config: Callable[[], contract.BootConfig],
           is_window: Callable[[str], bool], resume: ResumeStore | None
           ) -> tuple[list[BaseRoute], list[BaseRoute]]:
    """The app's front page, and the other pages (to go after every other route but the
    ui/ folder's files). ``is_window(id)``: an open window of the app other than the main
    one. ``resume``: what the main window showed last, painted first (``resumepaint``)."""
    static = StaticFiles(directory=ui_dir)

    async def index(request: Request) -> Response:
        kept = await run_in_threadpool(resume.load) if resume is not None else None
        return _page(ui_dir / "index.html", config(), token, kept)

    async def html_page(request: Request) -> Response:
        window = request.query_params.get("window")
        name = request.path_params["name"] + ".html"
        if name.startswith("_pyshell/"):
            raise HTTPException(404)  # pyshell's own paths: none of them is a page
        if window is None and name == "index.html":
            return await index(request)
        if window is None or not is_window(window):
            return await static.get_response(name, request.scope)
        boot = dataclasses.replace(config(), window=window, host_events=None, closed=None,
                                   started=None, snapshot=None, snapshot_imports=(),
                                   resume=None)
        path = (ui_dir / name).resolve()
        if not path.is_relative_to(ui_dir.resolve()) or not path.is_file():
            return Response(status_code=404)
        return _page(path, boot, token)

    # Every other route comes before the second one, which takes any path ending .html.
    return [Route("/", index)], [Route("/{name:path}.html", html_page)]


def _page(path: Path, boot: contract.BootConfig, token: str, kept: str | None = None
          ) -> Response:
    page = path.read_text(encoding="utf-8")
    if kept is not None:
        page = resumepaint.resumed(page, kept) or page
    return HTMLResponse(contract.inject_head(page, contract.head_tags(boot, LOADER, token=token)))


def boot_config(app: AppConfig, port: int, packages: Packages,
                grants: Iterable[capabilities.Grant], *, fs_fast_path: bool, dev_mode: bool,
                snapshots_on: bool, resume_on: bool) -> contract.BootConfig:
    """What a server on ``port`` offers the page: every route's address, the grants as the
    page sees them (the host path only as text to show), and the packages to install."""
    sockets = f"ws://127.0.0.1:{port}"
    lock = packages.lock
    return contract.BootConfig(
        entry=app.entry, bundle=assets.BUNDLE, runtime=assets.RUNTIME, log=log.PATH,
        fs=files.PATH, fs_socket=sockets + files.SOCKET, fs_fast_path=fs_fast_path,
        dialog=dialogs.PATH, open_url=links.PATH, clipboard=clipboard.PATH,
        closed=lifecycle.PATH, host_events=hostevents.PATH, notify=notify.PATH, menu=menus.PATH,
        started=lifecycle.STARTED, updates=updates.PATH,
        dev=sockets + dev.PATH if dev_mode else None,
        windows=windows.PATH, window_socket=sockets + windows.SOCKET, tray=tray.PATH,
        resume=resume.PATH if resume_on else None,
        snapshot=snapshots.PREFIX if snapshots_on else None,
        snapshot_imports=tuple(snapshot_recipe.imports(app, packages)) if snapshots_on else (),
        grants=tuple(contract.Grant(g.id, g.mount, g.writable, g.only,
                                    capabilities.display_path(g.root)) for g in grants),
        packages=contract.PackageSet.of(assets.PACKAGES + "pyodide-lock.json",
                                        lock.packages if lock else ()))

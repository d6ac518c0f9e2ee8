"""The app's page: its own index.html, with the boot config and the token put in <head>.

Read from disk on every load: in dev mode the file changes, and the boot config is made
fresh too (the grants grow as the user picks files; a test may turn the fast path off).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from .. import capabilities, contract
from .. import snapshots as snapshot_recipe
from ..config import AppConfig
from ..packages import Packages
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
    snapshots,
    updates,
)

LOADER = assets.WASM + "/loader.mjs"


def routes(ui_dir: Path, token: str, config: Callable[[], contract.BootConfig]
           ) -> list[BaseRoute]:
    async def index(request: Request) -> Response:
        page = (ui_dir / "index.html").read_text(encoding="utf-8")
        tags = contract.head_tags(config(), LOADER, token=token)
        return HTMLResponse(contract.inject_head(page, tags))

    return [Route("/", index), Route("/index.html", index)]


def boot_config(app: AppConfig, port: int, packages: Packages,
                grants: Iterable[capabilities.Grant], *, fs_fast_path: bool, dev_mode: bool,
                snapshots_on: bool) -> contract.BootConfig:
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
        snapshot=snapshots.PREFIX if snapshots_on else None,
        snapshot_imports=tuple(snapshot_recipe.imports(app, packages)) if snapshots_on else (),
        grants=tuple(contract.Grant(g.id, g.mount, g.writable, g.only,
                                    capabilities.display_path(g.root)) for g in grants),
        packages=contract.PackageSet.of(assets.PACKAGES + "pyodide-lock.json",
                                        lock.packages if lock else ()))

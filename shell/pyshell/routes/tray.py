"""The app's tray icon (``trayicon``), as far as the app declared it
(``[tool.pyshell.permissions] tray``). POST ``{"op": "show", "icon", "tooltip",
"keep_running"}`` answers ``{"shown"}`` (false: the desktop has no tray); ``{"op": "hide"}``
answers ``{"ok": true}``; a refusal is ``{"error", "permission"}``. The icon is a .png or
.svg file of the app's ui/ folder. Its menu comes with the app's menu model (``menus``).

The session bus is used from a worker thread, never on the server's event loop."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from .. import security
from ..trayicon import TrayIcon

PATH = security.API_PREFIX + "tray"


def routes(tray: TrayIcon, declared: bool, ui_dir: Path,
           keep_running: Callable[[bool], None]) -> list[BaseRoute]:
    """``keep_running(flag)``: whether closing the window hides it while the icon shows."""
    async def use(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
            op = body["op"]
        except (ValueError, KeyError, TypeError):
            return PlainTextResponse("bad tray request", status_code=400)
        if not declared:
            return JSONResponse({"error": "the app may not show a tray icon; add "
                                          "[tool.pyshell.permissions] tray = true",
                                 "permission": True})
        if op == "hide":
            await run_in_threadpool(tray.hide)
            keep_running(False)
            return JSONResponse({"ok": True})
        tooltip, icon = body.get("tooltip", ""), body.get("icon")
        if op != "show" or not isinstance(tooltip, str):
            return PlainTextResponse("bad tray request", status_code=400)
        try:
            path = _icon(icon, ui_dir)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)})
        shown = await run_in_threadpool(tray.show, path, tooltip)
        keep_running(shown and bool(body.get("keep_running", True)))
        return JSONResponse({"shown": shown})

    return [Route(PATH, use, methods=["POST"])]


def _icon(icon: object, ui_dir: Path) -> Path | None:
    if icon is None:
        return None
    if not isinstance(icon, str) or PurePosixPath(icon).suffix.lower() not in (".png", ".svg"):
        raise ValueError(f"the tray icon is a .png or .svg file of the app's ui/ folder, "
                         f"not {icon!r}")
    path = (ui_dir / icon).resolve()
    if not path.is_relative_to(ui_dir.resolve()) or not path.is_file():
        raise ValueError(f"there is no icon {icon!r} in the app's ui/ folder")
    return path

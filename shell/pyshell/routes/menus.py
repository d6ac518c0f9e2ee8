"""The app's native menus: declared by its Python, built by the window's engine.

The worker (``pyshell.menus``) POSTs ``{"model": ...}`` here each time the menus change
(the whole model, checked again by ``menumodel``), and ``{"popup": name}`` to show a
context menu at the pointer. A click on an item with a standard role runs natively (quit:
the window's normal close, with the app's on_close/on_quit; the edit roles: the web
view's own commands; about: the toolkit's about box); any other click goes to the page as
a ``pyshell:menu`` DOM event (``{item, checked}``), which loader.mjs hands to the worker.
Without a window (``pyshell run --browser``) menus are ignored, said once.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from .. import security
from ..engines import Engine
from ..engines.base import EDIT_ROLES
from ..menumodel import Entry, MenuError, MenuModel, parse_model

PATH = security.API_PREFIX + "menu"
# Heard by loader.mjs; %s is the JSON detail {item, checked}.
TELL_PAGE = "document.dispatchEvent(new CustomEvent('pyshell:menu', {detail: %s})), true"


class Menus:
    """The app's menu model and the window (and engine) that shows it."""

    def __init__(self, say: Callable[[str], None], about: tuple[str, str],
                 quit: Callable[[], object],
                 tray: Callable[[tuple[Entry, ...]], None] | None = None) -> None:
        """``about``: the about box's title and text. ``quit``: the window's normal close
        (``lifecycle.Closer.request``). ``tray``: takes the tray icon's menu entries."""
        self._say, self._about, self._quit, self._tray = say, about, quit, tray
        self._lock = threading.Lock()
        self.model = MenuModel()
        # What the native menus show, when it is that model exactly (None: a click checked
        # or unchecked an item since); an app without menus never has them built.
        self._shown: MenuModel | None = self.model
        self._engine: Engine | None = None
        self._window: Any = None
        self._said = False

    def attach(self, engine: Engine, window: Any) -> None:
        """Show the menus in ``window`` (a pywebview window, before it is shown)."""
        with self._lock:
            self._engine, self._window = engine, window

    def show(self, model: MenuModel) -> None:
        """The app declared (or changed) its menus: build them in place of the old ones."""
        if self._tray is not None:
            self._tray(model.tray)  # the tray icon is the host's, window or not
        with self._lock:
            self.model = model
            if model == self._shown:
                return
        if self._usable():
            assert self._engine is not None
            self._engine.set_menu(self._window, model.bar, self.clicked)
            self._shown = model

    def popup(self, name: str) -> None:
        """Show the context menu ``name`` at the pointer; MenuError if there is none."""
        entries = self.model.context.get(name)
        if entries is None:
            raise MenuError(f"no context menu {name!r} was declared")
        if self._usable():
            assert self._engine is not None
            self._engine.popup_menu(self._window, entries, self.clicked)

    def clicked(self, entry: Entry, checked: bool) -> None:
        """A native click (on the GUI thread): a role runs here, anything else in Python."""
        assert self._engine is not None
        if entry.kind in ("check", "radio"):
            self._shown = None  # the native check marks moved on from the model
        if entry.role == "quit":
            self._quit()
        elif entry.role == "about":
            self._engine.about(self._window, *self._about)
        elif entry.role in EDIT_ROLES:
            self._engine.edit(self._window, entry.role)
        else:
            # Not on the GUI thread: run_js waits for it.
            detail = json.dumps({"item": entry.id, "checked": checked})
            threading.Thread(target=self._window.run_js, args=(TELL_PAGE % detail,),
                             name="pyshell-menu", daemon=True).start()

    def _usable(self) -> bool:
        """A window whose engine builds menus; otherwise one line, the first time the app
        declares any."""
        if self._window is not None and self._engine is not None and self._engine.menus:
            return True
        if not self._said and (self.model.bar or self.model.context):
            self._said = True
            where = (f"the {self._engine.name} engine has none yet" if self._engine
                     else "there is no window (--browser)")
            self._say(f"pyshell: the app's menus are not shown: {where}")
        return False


def routes(menus: Menus) -> list[BaseRoute]:
    async def menu(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            return PlainTextResponse("bad menu request", status_code=400)
        if not isinstance(body, dict) or not ({"model", "popup"} & set(body)):
            return PlainTextResponse("bad menu request", status_code=400)
        try:
            if "model" in body:
                menus.show(parse_model(body["model"]))
            else:
                menus.popup(str(body["popup"]))
        except MenuError as exc:
            return JSONResponse({"error": str(exc)})
        return JSONResponse({"ok": True})

    return [Route(PATH, menu, methods=["POST"])]

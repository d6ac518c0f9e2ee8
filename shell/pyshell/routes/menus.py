"""The app's native menus: declared by its Python, built by the window's engine.

The worker (``pyshell.menus``) POSTs ``{"model": ...}`` here each time the menus change
(the whole model, checked again by ``menumodel``), and ``{"popup": name, "window": id}``
to show a context menu at the pointer over that window. Every window of the app shows the
menu bar, as an application menu does on Linux and Windows, and its accelerators work
there (a window the app opens gets it as it is shown). A click on an item with a standard
role runs natively in the window it was clicked in (quit: the app's normal close, with its
on_close/on_quit; the edit roles: the web view's own commands; about: the toolkit's about
box); any other click goes as a ``pyshell:menu`` DOM event (``{item, checked}``) to the
page of that window, which hands it to the worker. Without a window (``pyshell run
--browser``) menus are ignored, said once.
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
from ..windowmanager import MAIN

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
        # What the native menus show (a click's check marks included): a model the app
        # sends that is the same is not built again; an app without menus never has them.
        self._shown = self.model
        self._engine: Engine | None = None
        self._window: Any = None  # the main window: context menus, and where the app's is
        self._windows: dict[str, Any] = {}  # every window showing the menu bar, by id
        self._said = False

    def attach(self, engine: Engine, window: Any) -> None:
        """Show the menus in ``window`` (the main pywebview window, before it is shown)."""
        with self._lock:
            self._engine, self._window = engine, window
            self._windows[MAIN] = window

    def window_changed(self, window_id: str, window: Any) -> None:
        """A window the app opened is shown (``window``; it gets the menu bar as it is
        now), or it closed (None)."""
        with self._lock:
            if window is None:
                self._windows.pop(window_id, None)
                return
            self._windows[window_id] = window
            bar = self.model.bar
        if bar and self._usable():
            self._build(window_id, window, bar)

    def _window_of(self, window_id: str) -> Any:
        """The window of that id, or the main one (one that just closed)."""
        with self._lock:
            return self._windows.get(window_id, self._window)

    def _build(self, window_id: str, window: Any, bar: tuple[Entry, ...]) -> None:
        assert self._engine is not None
        self._engine.set_menu(window, bar, lambda entry, checked: self.clicked(
            entry, checked, window_id))

    def show(self, model: MenuModel) -> None:
        """The app declared (or changed) its menus: build them in place of the old ones."""
        if self._tray is not None:
            self._tray(model.tray)  # the tray icon is the host's, window or not
        with self._lock:
            self.model = model
            if model == self._shown:
                return
        if self._usable():
            with self._lock:
                windows = list(self._windows.items())
            for window_id, window in windows:
                self._build(window_id, window, model.bar)
            self._shown = model

    def popup(self, name: str, window_id: str = MAIN) -> None:
        """Show the context menu ``name`` at the pointer, over the window whose page was
        right-clicked; MenuError if there is none."""
        entries = self.model.context.get(name)
        if entries is None:
            raise MenuError(f"no context menu {name!r} was declared")
        if self._usable():
            assert self._engine is not None
            self._engine.popup_menu(self._window_of(window_id), entries, lambda entry, checked:
                                    self.clicked(entry, checked, window_id, in_bar=False))

    def clicked(self, entry: Entry, checked: bool, window_id: str = MAIN,
                in_bar: bool = True) -> None:
        """A native click (on the GUI thread) in a window's menu bar (or, ``in_bar`` False,
        its context menu): a role runs here (in that window), anything else in Python, told
        by that window's page."""
        assert self._engine is not None
        window = self._window_of(window_id)
        if entry.kind in ("check", "radio"):
            # The clicked menu moved its check marks itself; the bars that show the item
            # (all but the clicked one's, if it was clicked there) are built again to match.
            with self._lock:
                before = self.model.bar
                self.model = self.model.with_checked(entry.id, checked)
                stale = [] if self.model.bar == before else [
                    (i, w) for i, w in self._windows.items() if not (in_bar and i == window_id)]
            for stale_id, stale_window in stale:
                self._build(stale_id, stale_window, self.model.bar)
            self._shown = self.model
        if entry.role == "quit":
            self._quit()
        elif entry.role == "about":
            self._engine.about(window, *self._about)
        elif entry.role in EDIT_ROLES:
            self._engine.edit(window, entry.role)
        else:
            # Not on the GUI thread: run_js waits for it.
            detail = json.dumps({"item": entry.id, "checked": checked})
            threading.Thread(target=window.run_js, args=(TELL_PAGE % detail,),
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
                menus.popup(str(body["popup"]), str(body.get("window", MAIN)))
        except MenuError as exc:
            return JSONResponse({"error": str(exc)})
        return JSONResponse({"ok": True})

    return [Route(PATH, menu, methods=["POST"])]

"""The app's windows: the main one and those its Python opens while it runs.

There is one Python for the whole app, in the main window's page. A window the app opens
(``pyshell.windows.open``) is another native window on the same engine, showing another
page of the app's ``ui/`` folder without an interpreter of its own: its DOM writes and
events travel between it and the main page through the host (``routes.windows``), so
the app's state is shared because there is only one copy of it.

This module keeps the windows by id (``"main"``, then ``"w1"``, ``"w2"``...), runs what
Python asks of them (close, focus, resize, move, title, maximize, minimize, restore) and
tells Python what happens to them, as host events of kind ``window``: ``ready`` (its
page is connected), ``closed``, ``resized``, ``moved``, ``maximized``, ``minimized``,
``restored``, and ``closing`` for a window whose close Python guards (``guard``): the
user's close is cancelled and Python decides, closing it itself unless a handler vetoes.
Only pywebview's window API is used, the same on every engine.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlencode

from . import windowstate
from .engines import Engine
from .engines.base import call_on_gui_thread
from .hostevents import HostEvents

MAIN = "main"
# What Python may ask of a window, and the pywebview call that does it.
ACTIONS = ("close", "focus", "resize", "move", "title", "maximize", "minimize", "restore",
           "guard")


class WindowError(ValueError):
    """A request about windows that cannot be done as asked (said to the app's Python)."""


class WindowsUnavailable(WindowError):
    """No window to open others beside (``pyshell run --browser``)."""


@dataclass(frozen=True)
class WindowOptions:
    """A window the app asks for: a page of its ui/ folder and how to show it."""

    page: str
    title: str
    width: int = 800
    height: int = 600
    x: int | None = None
    y: int | None = None
    resizable: bool = True
    min_width: int = 200
    min_height: int = 100
    remember: bool = True  # reopen where the user left the last window showing this page

    @classmethod
    def parse(cls, raw: dict[str, Any], ui_dir: Path, default_title: str) -> WindowOptions:
        """Checked: a page that is an .html file in ui/, sizes that are whole numbers."""
        page = raw.get("page")
        if not isinstance(page, str) or not page.endswith(".html"):
            raise WindowError(f"a window shows an .html page of the app's ui/ folder, not {page!r}")
        parts = PurePosixPath(page).parts
        if page.startswith("/") or "\\" in page or ".." in parts or not parts:
            raise WindowError(f"the page {page!r} must be a path inside the app's ui/ folder")
        if not (ui_dir / page).is_file():
            raise WindowError(f"there is no page {page!r} in the app's ui/ folder")
        title = raw.get("title") or default_title
        if not isinstance(title, str):
            raise WindowError("a window's title is a str")
        numbers = {}
        for name in ("width", "height", "x", "y", "min_width", "min_height"):
            value = raw.get(name)
            if value is None:
                continue
            if type(value) is not int:
                raise WindowError(f"a window's {name} is a whole number of pixels, not {value!r}")
            numbers[name] = value
        for name in ("width", "height", "min_width", "min_height"):
            if numbers.get(name, 1) < 1:
                raise WindowError(f"a window's {name} must be at least 1 pixel, "
                                  f"not {numbers[name]}")
        return cls(page=page, title=title, resizable=bool(raw.get("resizable", True)),
                   remember=bool(raw.get("remember", True)), **numbers)


class WindowManager:
    """Every window of one app run, by id. Any thread may call it."""

    def __init__(self, events: HostEvents, launch_url: Callable[[str], str], ui_dir: Path,
                 app_name: str, remember: bool,
                 on_window: Callable[[str, Any], None] = lambda window_id, window: None,
                 ) -> None:
        """``launch_url(page)``: a single-use link into the app at ``page`` (each window's
        engine profile is its own, so each window redeems a link of its own).
        ``remember``: keep each page's window size and place between launches (the app's
        ``[tool.pyshell.window] remember``; ``open`` may also say no). ``on_window(id,
        window)``: a window the app opened is shown; ``(id, None)``: it closed."""
        self._events, self._launch_url, self._on_window = events, launch_url, on_window
        self._ui_dir, self._app_name, self._remember = ui_dir, app_name, remember
        self._lock = threading.Lock()
        self._windows: dict[str, Any] = {}  # id -> pywebview window, while it is open
        self._pages: dict[str, str] = {}  # id -> the page it shows
        self._ids = itertools.count(1)
        self._engine: Engine | None = None
        self._guarded: set[str] = set()  # windows whose close Python decides
        self._closing: set[str] = set()  # windows being closed for good

    def attach(self, engine: Engine, main: Any) -> None:
        """The main window is made (before it is shown): the others are made like it, and
        close with it."""
        with self._lock:
            self._engine = engine
            self._windows[MAIN] = main
            self._pages[MAIN] = "index.html"
        self._follow(MAIN, main)
        main.events.closed += self.close_others

    def known(self, window_id: str) -> bool:
        """An open window other than the main one (its page may be served)."""
        with self._lock:
            return window_id != MAIN and window_id in self._windows

    def open(self, raw: dict[str, Any]) -> str:
        """Open a window on a page of the app; its id. Its page says ``ready`` once it is
        connected (see ``routes.windows``)."""
        options = WindowOptions.parse(raw, self._ui_dir, self._app_name)
        with self._lock:
            if self._engine is None:
                raise WindowsUnavailable("more windows need the app's own window "
                                  "(not `pyshell run --browser` or the web build)")
            engine = self._engine
            window_id = f"w{next(self._ids)}"
            self._pages[window_id] = options.page
        url = self._launch_url("/" + options.page + "?" + urlencode({"window": window_id}))
        # The id is known before the window loads its page: the page route asks.
        with self._lock:
            self._windows[window_id] = None
        kept = windowstate.state_file(self._app_name, options.page) \
            if self._remember and options.remember else None
        place = self._placement(engine, options, kept)
        window = engine.create_window(
            options.title, url, width=place.width, height=place.height, x=place.x,
            y=place.y, maximized=place.maximized, resizable=options.resizable,
            min_size=(options.min_width, options.min_height))
        if kept is not None:
            windowstate.Tracker(kept, place).attach(window)
        with self._lock:
            self._windows[window_id] = window
        self._follow(window_id, window)
        window.events.shown += lambda: self._on_window(window_id, window)
        return window_id

    @staticmethod
    def _placement(engine: Engine, options: WindowOptions,
                   kept: Path | None) -> windowstate.Placement:
        """The size asked for, or where the user left this page's window last time
        (fitted to the screens there are now)."""
        asked = windowstate.Placement(options.width, options.height, options.x, options.y)
        saved = windowstate.load(kept) if kept is not None else None
        if saved is None:
            return asked
        try:
            screens = call_on_gui_thread(engine.on_gui_thread, engine.screens)
        except (NotImplementedError, OSError):
            return asked
        return windowstate.fit(saved, screens, (options.min_width, options.min_height))

    def act(self, window_id: str, action: str, args: dict[str, Any]) -> None:
        """Do ``action`` to an open window (see ``ACTIONS``)."""
        if action not in ACTIONS:
            raise WindowError(f"unknown window action {action!r}; one of {', '.join(ACTIONS)}")
        with self._lock:
            window, engine = self._windows.get(window_id), self._engine
        if window is None or engine is None:
            raise WindowError(f"window {window_id!r} is not open")
        if action in ("close", "guard") and window_id == MAIN:
            raise WindowError("the main window's close is the app's: use app.on_close, and "
                              "the window's close (or quit from a menu), not windows.main")
        if action == "close":
            self._destroy(window_id, window)
        elif action == "guard":
            self._guard(window_id, window)
        elif action == "focus":
            engine.bring_to_front(window)
        elif action == "resize":
            window.resize(_whole(args, "width", 1), _whole(args, "height", 1))
        elif action == "move":
            window.move(_whole(args, "x"), _whole(args, "y"))
        elif action == "title":
            title = args.get("title")
            if not isinstance(title, str):
                raise WindowError("a window's title is a str")
            window.set_title(title)
        else:
            getattr(window, action)()

    def listing(self) -> list[dict[str, Any]]:
        """The open windows: id, page, title, size and place."""
        with self._lock:
            found = [(i, w, self._pages[i]) for i, w in self._windows.items() if w is not None]
        return [{"id": i, "page": page, "title": w.title, "width": w.width,
                 "height": w.height, "x": w.x, "y": w.y} for i, w, page in found]

    def show_main(self) -> None:
        """The main window shown (it may have been hidden) and brought to the front."""
        with self._lock:
            window, engine = self._windows.get(MAIN), self._engine
        if window is not None and engine is not None:
            window.show()
            engine.bring_to_front(window)

    def ready(self, window_id: str) -> None:
        """A window's page connected (again, after a reload): its Python may write to it."""
        self._tell(window_id, "ready")

    def _follow(self, window_id: str, window: Any) -> None:
        """Tell the app's Python what happens to ``window``."""
        events = window.events
        events.closed += lambda: self._closed(window_id)
        events.maximized += lambda: self._tell(window_id, "maximized")
        events.minimized += lambda: self._tell(window_id, "minimized")
        events.restored += lambda: self._tell(window_id, "restored")
        events.resized += lambda width, height: self._tell(
            window_id, "resized", width=width, height=height)
        events.moved += lambda x, y: self._tell(window_id, "moved", x=x, y=y)

    def _guard(self, window_id: str, window: Any) -> None:
        """From now on the user's close of ``window`` only tells Python (``closing``)."""
        with self._lock:
            if window_id in self._guarded:
                return
            self._guarded.add(window_id)
        window.events.closing += lambda: self._allow_close(window_id)

    def _allow_close(self, window_id: str) -> bool:
        """pywebview's ``closing``: False cancels the close (on the GUI thread)."""
        with self._lock:
            if window_id in self._closing:
                return True
        self._tell(window_id, "closing")
        return False

    def _destroy(self, window_id: str, window: Any) -> None:
        with self._lock:
            self._closing.add(window_id)
        window.destroy()

    def _closed(self, window_id: str) -> None:
        with self._lock:
            self._windows.pop(window_id, None)
            self._guarded.discard(window_id)
            self._closing.discard(window_id)
        if window_id != MAIN:
            self._on_window(window_id, None)
            self._tell(window_id, "closed")

    def close_others(self) -> None:
        """The main window closed: the app is quitting, so are its other windows."""
        with self._lock:
            others = [(i, w) for i, w in self._windows.items() if i != MAIN and w is not None]
        for window_id, window in others:
            self._destroy(window_id, window)

    def _tell(self, window_id: str, what: str, **details: int) -> None:
        def stale(queued: dict[str, Any]) -> bool:  # a size or place is replaced by the next
            return (what in ("resized", "moved") and queued.get("kind") == "window"
                    and queued.get("window") == window_id and queued.get("event") == what)

        self._events.put({"kind": "window", "window": window_id, "event": what, **details},
                         replacing=stale)


def _whole(args: dict[str, Any], name: str, least: int | None = None) -> int:
    value = args.get(name)
    if type(value) is not int or (least is not None and value < least):
        raise WindowError(f"a window's {name} is a whole number of pixels, not {value!r}")
    return value

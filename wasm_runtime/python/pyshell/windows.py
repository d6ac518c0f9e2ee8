"""More windows for the app, all run by its one Python.

    from pyshell import windows

    async def open_settings(event):
        settings = await windows.open("settings.html", title="Settings", width=420, height=320)
        settings.select("#theme").value = current_theme      # writes go to that window
        @settings.on("change", "#theme")
        def chosen(event):                                   # its events come to this Python
            apply_theme(event.value)                         # app state is shared

    @windows.on("closed")
    def gone(event):
        print(event.window.id, "closed")

A window shows another page of the app's ``ui/`` folder on the same engine. It starts no
interpreter of its own: its DOM writes and events travel through the host between it and
the main window, where the app's Python runs, so whatever the app keeps in Python is one
and the same for every window. ``windows.main`` is the main window (``pyshell.dom``
writes to it); closing it quits the app, and closes the others.

A window's ``select``, ``select_all``, ``by_id``, ``create`` and ``on`` are
``pyshell.dom``'s, for that window's page; an element belongs to one window's page.
Window events (``windows.on``): ``ready`` (its page is connected: after ``open`` returns,
only again when the page was loaded again, e.g. a full reload in ``pyshell dev``; its
handlers are registered in the page again by themselves, what it shows is the app's to
draw again), ``closed``, ``resized`` (``width``, ``height``), ``moved`` (``x``, ``y``),
``maximized``, ``minimized``, ``restored``, ``focused``. A window's ``on_close`` handlers
run when the user closes it, and may keep it open by returning ``False``. `pyshell dev`
keeps ``windows.on`` registrations in step with the code, like event handlers.

More windows need the desktop app: in the web build and with ``pyshell run --browser``,
``open`` raises ``RuntimeError``.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from . import dom, hostcall
from .html import HasHTML
from .tracking import Tracker

MAIN = "main"
EVENTS = ("ready", "closed", "resized", "moved", "maximized", "minimized", "restored",
          "focused")
OPEN_TIMEOUT = 30.0  # seconds for a new window's page to connect

WindowHandler: TypeAlias = Callable[["WindowEvent"], Awaitable[None] | None]
CloseHandler: TypeAlias = Callable[[], "Awaitable[bool | None] | bool | None"]


@dataclass(frozen=True)
class WindowEvent:
    """Something that happened to a window (see ``EVENTS``)."""

    kind: str
    window: Window
    width: int | None = None
    height: int | None = None
    x: int | None = None
    y: int | None = None


class Window:
    """One window of the app. Its page's DOM is reached through it as through
    ``pyshell.dom``; the rest asks the host, and so is awaited."""

    def __init__(self, window_id: str) -> None:
        self.id = window_id
        self.closed = False
        self._page: str | None = None if window_id == MAIN else window_id
        self._close_handlers: list[CloseHandler] = []

    def __repr__(self) -> str:
        return f"<Window {self.id}{' closed' if self.closed else ''}>"

    # ---- its page ------------------------------------------------------------------------
    def select(self, selector: str) -> dom.Element:
        return dom.Element({"sel": selector}, self._page)

    def select_all(self, selector: str) -> dom.Element:
        return dom.Element({"all": selector}, self._page)

    def by_id(self, element_id: str) -> dom.Element:
        return dom.Element({"id": element_id}, self._page)

    def create(self, tag: str, *, text: str | None = None, html: str | HasHTML | None = None,
               classes: Iterable[str] = (), attrs: Mapping[str, str] | None = None,
               children: Iterable[dom.Element | str | HasHTML] = ()) -> dom.Element:
        return dom.create_in(self._page, tag, text=text, html=html, classes=classes,
                             attrs=attrs, children=children)

    def on(self, event_type: str, selector: str | None = None, *, keys: Iterable[str] = (),
           prevent_default: bool | None = None, debounce: float | None = None,
           throttle: float | None = None) -> Callable[[dom.Handler], dom.Handler]:
        return dom.on_in(self._page, event_type, selector, keys=keys,
                         prevent_default=prevent_default, debounce=debounce, throttle=throttle)

    # ---- the window ----------------------------------------------------------------------
    def on_close(self, func: CloseHandler) -> CloseHandler:
        """Decorator: run ``func()`` (may be ``async``) when the user closes this window;
        returning ``False`` keeps it open (e.g. after ``await dialogs.confirm("Discard your
        changes?")``). ``close()`` from Python is not asked. For the main window, use
        ``app.on_close``."""
        if self.id == MAIN:
            raise ValueError("the main window's close is the app's: use @app.on_close")
        if not callable(func):
            raise TypeError(f"on_close takes a function, not {type(func).__name__}")
        if not self._close_handlers:  # from now on the host asks Python first
            _tasks.add(task := asyncio.ensure_future(self._act("guard")))
            task.add_done_callback(_tasks.discard)
        self._close_handlers.append(func)
        return func

    async def close(self) -> None:
        """Close it (not the main window: the user's close of that one quits the app)."""
        if not self.closed:
            await self._act("close")

    async def focus(self) -> None:
        """Bring it to the front, un-minimised, with the keyboard focus."""
        await self._act("focus")

    async def resize(self, width: int, height: int) -> None:
        await self._act("resize", width=width, height=height)

    async def move(self, x: int, y: int) -> None:
        await self._act("move", x=x, y=y)

    async def set_title(self, title: str) -> None:
        await self._act("title", title=title)

    async def maximize(self) -> None:
        await self._act("maximize")

    async def minimize(self) -> None:
        await self._act("minimize")

    async def restore(self) -> None:
        await self._act("restore")

    async def _act(self, action: str, **args: Any) -> None:
        await hostcall.ask("windows", {"op": action, "id": self.id, **args})


main = Window(MAIN)
_open: dict[str, Window] = {MAIN: main}
_waiting: dict[str, asyncio.Future[None]] = {}
_tasks: set[asyncio.Future[None]] = set()  # requests under way that nothing awaits
_ready_early: set[str] = set()  # windows whose page said ready before open() returned
_opened_hooks: list[Callable[[str], None]] = []  # when_opened


def when_opened(hook: Callable[[str], None]) -> None:
    """Run ``hook(window_id)`` as each window the app opens is ready, before ``open``
    returns: for pyshell's own modules that set up every page alike (menus' context menus)."""
    _opened_hooks.append(hook)
_handlers: dict[str, dict[str, WindowHandler]] = {kind: {} for kind in EVENTS}


async def open(page: str, *, title: str | None = None, width: int = 800, height: int = 600,
               x: int | None = None, y: int | None = None, resizable: bool = True,
               min_width: int = 200, min_height: int = 100, remember: bool = True) -> Window:
    """Open a window showing ``page`` (an .html file of the app's ui/ folder, e.g.
    ``"settings.html"``); returns once its page is ready for writes and handlers.
    ``title`` defaults to the app's name; ``x``/``y`` to where the system puts it.
    ``remember``: open it where the user left the last window showing ``page`` (its size,
    place and maximized state, kept by the host; off for every window with
    ``[tool.pyshell.window] remember = false``)."""
    answer = await hostcall.ask("windows", {
        "op": "open", "page": page, "title": title, "width": width, "height": height, "x": x,
        "y": y, "resizable": resizable, "min_width": min_width, "min_height": min_height,
        "remember": remember})
    window = Window(str(answer["id"]))
    _open[window.id] = window
    ready = _waiting.setdefault(window.id, asyncio.get_running_loop().create_future())
    if window.id in _ready_early:
        _ready_early.discard(window.id)
        ready.set_result(None)
    try:
        await asyncio.wait_for(asyncio.shield(ready), OPEN_TIMEOUT)
    except TimeoutError:
        raise OSError(f"the window for {page} did not load within {OPEN_TIMEOUT:g} s") from None
    finally:
        _waiting.pop(window.id, None)
    for hook in _opened_hooks:
        hook(window.id)
    return window


def all() -> list[Window]:  # noqa: A001 - windows.all() reads as what it is
    """The app's open windows, the main one first."""
    return [w for w in _open.values() if not w.closed]


def get(window_id: str) -> Window | None:
    """The open window with this id (``event.window`` of a DOM event names one)."""
    window = _open.get(window_id)
    return None if window is None or window.closed else window


async def placement() -> list[dict[str, Any]]:
    """Each open window's ``id``, ``page``, ``title``, ``width``, ``height``, ``x``, ``y``,
    as the host sees them now."""
    found: list[dict[str, Any]] = (await hostcall.ask("windows", {"op": "list"}))["windows"]
    return found


def on(kind: str) -> Callable[[WindowHandler], WindowHandler]:
    """Run the decorated ``handler(event)`` when ``kind`` happens to any window (see
    ``EVENTS``); ``event.window`` says which."""
    if kind not in EVENTS:
        raise ValueError(f"unknown window event {kind!r}; one of {', '.join(EVENTS)}")

    def register(func: WindowHandler) -> WindowHandler:
        key = f"{func.__module__}:{func.__qualname__}"
        _handlers[kind][key] = func
        _tracker.note(f"{kind} {key}")
        return func

    return register


def off(func: WindowHandler) -> None:
    for table in _handlers.values():
        for key, registered in list(table.items()):
            if registered is func:
                del table[key]


async def deliver(raw: Mapping[str, Any]) -> None:
    """A window event from the host (called by the runtime)."""
    kind, window_id = str(raw["event"]), str(raw["window"])
    window = _open.get(window_id)
    if window is None:
        if kind == "ready":
            _ready_early.add(window_id)  # open() is still waiting for the host's answer
        return
    if kind == "ready":
        waiting = _waiting.get(window_id)
        if waiting is not None and not waiting.done():
            waiting.set_result(None)
        else:
            dom.relisten(window_id)  # a page loaded again: it hears its handlers again
    elif kind == "closing":  # the user closes a window with on_close handlers
        await _ask_to_close(window)
        return
    elif kind == "closed":
        window.closed = True
        del _open[window_id]
        dom.forget_window(window_id)
    event = WindowEvent(kind, window, **{k: raw[k] for k in ("width", "height", "x", "y")
                                           if k in raw})
    for func in list(_handlers[kind].values()):
        result = func(event)
        if inspect.isawaitable(result):
            await result


async def _ask_to_close(window: Window) -> None:
    """The user closes ``window``: it closes unless one of its on_close handlers says no."""
    for func in list(window._close_handlers):
        answer = func()
        if inspect.isawaitable(answer):
            answer = await answer
        if answer is False:
            return
    await window.close()


# ---- dev reloads (the same three calls as dom's, app's and menus') ------------------------
def registrations(modules: set[str]) -> set[str]:
    """The window-event handlers these modules registered."""
    return {f"{kind} {key}" for kind, table in _handlers.items() for key in table
            if key.split(":", 1)[0] in modules}


def _forget(entry: str) -> None:
    kind, key = entry.split(" ", 1)
    _handlers[kind].pop(key, None)


_tracker = Tracker(_forget)
start_tracking = _tracker.start
drop_untracked = _tracker.drop_untracked


def reset() -> None:
    """Forget every window and handler (a new app starts)."""
    _open.clear()
    _open[MAIN] = main
    _waiting.clear()
    _ready_early.clear()
    for table in _handlers.values():
        table.clear()

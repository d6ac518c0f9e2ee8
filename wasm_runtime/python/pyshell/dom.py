"""The DOM, from Python running in the app's worker.

Writes are queued and sent as one batch when the current Python code yields (or on
``flush()``), and the page applies each batch as one unit when it arrives. Reads need
the live DOM, so they are awaitable. Event handlers are delegated: ``on("click", ".x")``
also fires for matching elements created later, and the event a handler receives
already carries what most handlers need (value, checked, key, form fields, data-*).

An element made with ``create()`` is kept by the page under a handle for as long as
Python holds its ``Element``; once Python drops it, the handle is released with the next
batch (the element itself stays in the page if it was put there).

``el.html = ...`` takes HTML: a ``Markup`` (what ``pyshell.html``'s ``h()``, ``fragment()``
and ``sanitize()`` return) or a plain ``str``, which goes in unchanged and is **not
sanitized**. Timers (``later``, ``every``) run their function the way an event runs its
handler.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, TypeAlias

from .html import HasHTML
from .tracking import Tracker
from .transport import Transport

Ref: TypeAlias = dict[str, Any]
Handler: TypeAlias = Callable[["Event"], Awaitable[None] | None]
TimerFunction: TypeAlias = Callable[[], Awaitable[None] | None]

# Which page an element or a handler is in: None for the main window's, else the id of a
# window the app opened (``pyshell.windows``), whose writes the main page relays.
WindowId: TypeAlias = "str | None"

_handles = itertools.count(1)
_timer_ids = itertools.count(1)
_pending: dict[WindowId, list[list[Any]]] = {}  # writes not sent yet, per page
# Handles of created elements Python dropped, not yet sent, with the page they are in.
_released: list[tuple[WindowId, int]] = []
_handlers: dict[str, Handler] = {}
# handler id -> the page it listens in and the listener options it was sent with
_listening: dict[str, tuple[WindowId, list[Any]]] = {}
_timers: dict[int, Timer] = {}  # timers not cancelled (a later() until its run starts)
_transport: Transport | None = None
_flush_scheduled = False
_flushing = False
_tracked_timers: list[Timer] | None = None  # timers started since start_tracking()

# Element properties a handler may assign; each maps to the DOM property it sets.
_PROPERTIES = {"text": "textContent", "html": "innerHTML", "value": "value",
               "checked": "checked", "disabled": "disabled", "hidden": "hidden",
               "title": "title", "placeholder": "placeholder"}


@dataclass(frozen=True)
class Event:
    """What the page sends with an event, gathered on the main thread."""

    type: str
    target_id: str = ""
    target_tag: str = ""
    value: str | None = None
    checked: bool | None = None
    key: str | None = None
    code: str | None = None
    ctrl: bool = False
    shift: bool = False
    alt: bool = False
    meta: bool = False
    data: Mapping[str, str] = field(default_factory=dict)
    form: Mapping[str, str] = field(default_factory=dict)
    window: str = "main"  # the window it happened in (``pyshell.windows``)

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Event:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in raw.items() if k in known})


class Style:
    """``el.style["color"] = "red"`` sets one CSS property; ``None`` removes it."""

    def __init__(self, element: Element) -> None:
        self._element = element

    def __setitem__(self, name: str, value: str | None) -> None:
        self._element._op("style", name, value)


class Element:
    """A reference to one element (or, from ``select_all``, every match) in the page.

    Properties are set by assignment, and each write is queued like every other:
    ``text`` (always text), ``html`` (a ``Markup`` or a plain ``str``, put in as it is),
    ``value``, ``checked``, ``disabled``, ``hidden``, ``title`` and ``placeholder``.
    Reading one needs the live page: ``await el.get("value")``.
    """

    __slots__ = ("__weakref__", "_ref", "_window")

    def __init__(self, ref: Ref, window: WindowId = None) -> None:
        object.__setattr__(self, "_ref", ref)
        object.__setattr__(self, "_window", window)

    def __repr__(self) -> str:
        return f"Element({self._ref})"

    def __del__(self) -> None:
        # A quarter of the cost of a weakref.finalize per created element. Only records:
        # it can run during any allocation, in the middle of queueing another op.
        handle = getattr(self, "_ref", {}).get("h")
        if handle is not None:
            _released.append((getattr(self, "_window", None), handle))

    def __setattr__(self, name: str, value: Any) -> None:
        """``el.html = ...`` puts HTML in: a ``Markup`` as it is, a plain ``str`` too (it
        is **not sanitized**: use ``pyshell.html.sanitize`` for HTML you did not write)."""
        prop = _PROPERTIES.get(name)
        if prop is None:
            raise AttributeError(f"Element has no settable property {name!r}; "
                                 f"use one of {', '.join(_PROPERTIES)} or .attr()")
        if isinstance(value, HasHTML):
            value = str(value.__html__())
        self._op("set", prop, value)

    def __getattr__(self, name: str) -> Any:
        if name in _PROPERTIES:
            raise AttributeError(f"reading .{name} needs the live DOM: "
                                 f"use `await element.get({name!r})`")
        raise AttributeError(name)

    @property
    def style(self) -> Style:
        return Style(self)

    def attr(self, name: str, value: str | bool | None) -> Element:
        """Set an attribute; ``True`` sets it empty, ``None``/``False`` removes it."""
        return self._op("attr", name, "" if value is True else (None if value is False else value))

    def add_class(self, *names: str) -> Element:
        return self._op("class", list(names), True)

    def remove_class(self, *names: str) -> Element:
        return self._op("class", list(names), False)

    def toggle_class(self, name: str, on: bool | None = None) -> Element:
        return self._op("class", [name], on)

    def append(self, *children: Element | str | HasHTML) -> Element:
        """Add children at the end: elements, text (a ``str``), or HTML (a ``Markup``,
        such as ``h()`` makes)."""
        return self._op("append", [_child(c, self._window) for c in children])

    def prepend(self, *children: Element | str | HasHTML) -> Element:
        return self._op("prepend", [_child(c, self._window) for c in children])

    def remove(self) -> None:
        """Take it out of the page; a created element can be put back (``append``)."""
        self._op("remove")

    def clear(self) -> Element:
        return self._op("set", "textContent", "")

    def focus(self, select: bool = False) -> Element:
        return self._op("focus", select)

    def blur(self) -> Element:
        return self._op("blur")

    def scroll_into_view(self) -> Element:
        return self._op("scroll")

    async def get(self, name: str) -> Any:
        """Read a property from the live DOM (``"value"``, ``"text"``, or any DOM property)."""
        return await request(["get", self._ref, _PROPERTIES.get(name, name)], self._window)

    async def exists(self) -> bool:
        """Whether the selector matches an element in the live page now."""
        return bool(await request(["exists", self._ref], self._window))

    async def count(self) -> int:
        """How many elements the selector matches in the live page now."""
        return int(await request(["count", self._ref], self._window))

    def _op(self, name: str, *args: Any) -> Element:
        _queue([name, self._ref, *args], self._window)
        return self


def select(selector: str) -> Element:
    """The first element matching a CSS selector, looked up when each write is applied."""
    return Element({"sel": selector})


def select_all(selector: str) -> Element:
    """Every element matching a CSS selector: writes apply to all of them."""
    return Element({"all": selector})


def by_id(element_id: str) -> Element:
    return Element({"id": element_id})


def create(tag: str, *, text: str | None = None, html: str | HasHTML | None = None,
           classes: Iterable[str] = (), attrs: Mapping[str, str] | None = None,
           children: Iterable[Element | str | HasHTML] = ()) -> Element:
    """A new, detached element; ``parent.append(el)`` puts it in the page."""
    return create_in(None, tag, text=text, html=html, classes=classes, attrs=attrs,
                     children=children)


def create_in(window: WindowId, tag: str, *, text: str | None = None,
              html: str | HasHTML | None = None, classes: Iterable[str] = (),
              attrs: Mapping[str, str] | None = None,
              children: Iterable[Element | str | HasHTML] = ()) -> Element:
    """``create`` in the page of ``window`` (None: the main window's)."""
    element = Element({"h": next(_handles)}, window)
    _queue(["create", element._ref, tag], window)
    if text is not None:
        element.text = text
    if html is not None:
        element.html = html
    if classes:
        element.add_class(*classes)
    for name, value in (attrs or {}).items():
        element.attr(name, value)
    kids = list(children)
    if kids:
        element.append(*kids)
    return element


def on(event_type: str, selector: str | None = None, *, keys: Iterable[str] = (),
       prevent_default: bool | None = None, debounce: float | None = None,
       throttle: float | None = None) -> Callable[[Handler], Handler]:
    """Register a handler for events on elements matching ``selector`` (None: anywhere).

    ``keys`` filters keyboard events on the page side (``"Enter"``, ``"mod+k"``, ``"/"``)
    so other keystrokes never cross into Python. ``prevent_default`` defaults to true for
    ``submit`` and for keyboard events that match ``keys``.

    ``debounce=ms``: the handler gets an element's event only once its events have paused
    for ``ms`` milliseconds, and then only the last one (search as you type, live
    previews). ``throttle=ms``: at most one event per ``ms`` per element, the first at
    once and the last one always (scrolling, dragging, resizing). Both are applied in
    the page, per matched element: the events skipped never reach Python.

    ``"visible"`` is an event of pyshell's own: it fires for an element matching
    ``selector`` (which it needs) each time the element comes into the viewport, elements
    added later included (an ``IntersectionObserver`` in the page), e.g. to load a
    picture only when it is scrolled to: ``@dom.on("visible", ".photo")``.
    """
    return on_in(None, event_type, selector, keys=keys, prevent_default=prevent_default,
                 debounce=debounce, throttle=throttle)


def on_in(window: WindowId, event_type: str, selector: str | None = None, *,
          keys: Iterable[str] = (), prevent_default: bool | None = None,
          debounce: float | None = None, throttle: float | None = None
          ) -> Callable[[Handler], Handler]:
    """``on`` for events in the page of ``window`` (None: the main window's)."""
    if event_type == "visible" and not selector:
        raise ValueError('on("visible") needs a selector: the elements to watch, e.g. ".card"')
    key_list = list(keys)
    prevent = prevent_default if prevent_default is not None else (
        event_type == "submit" or bool(key_list))
    if debounce is not None and throttle is not None:
        raise ValueError("give debounce= or throttle=, not both")
    timing: dict[str, float] | None = None
    for name, ms in (("debounce", debounce), ("throttle", throttle)):
        if ms is not None:
            if not ms > 0:
                raise ValueError(f"{name}= is a positive number of milliseconds, not {ms!r}")
            timing = {name: ms}
    options = [event_type, selector, key_list, prevent, timing]

    def register(func: Handler) -> Handler:
        handler_id = f"{func.__module__}:{func.__qualname__}:{event_type}:{selector}"
        if window is not None:
            handler_id += f"@{window}"
        if _listening.get(handler_id) != (window, options):  # new, or changed (dev)
            _queue(["listen", handler_id, *options], window)
            _listening[handler_id] = (window, options)
        _handlers[handler_id] = func
        _tracker.note(handler_id)
        return func

    return register


def off(func: Handler) -> None:
    """Remove every registration of ``func``."""
    for handler_id, registered in list(_handlers.items()):
        if registered is func:
            _unlisten(handler_id)


def _unlisten(handler_id: str) -> None:
    _handlers.pop(handler_id, None)
    window, _ = _listening.pop(handler_id, (None, None))
    _queue(["unlisten", handler_id], window)


_tracker = Tracker(_unlisten)  # handlers registered since a dev reload began


def relisten(window: str) -> None:
    """The page of ``window`` was loaded again: it hears the handlers registered for it."""
    for handler_id, (where, options) in _listening.items():
        if where == window:
            _queue(["listen", handler_id, *options], window)


def forget_window(window: str) -> None:
    """``window`` closed: drop its handlers, its elements' handles and unsent writes."""
    for handler_id, (where, _) in list(_listening.items()):
        if where == window:
            del _listening[handler_id]
            _handlers.pop(handler_id, None)
    _pending.pop(window, None)
    _released[:] = [(where, h) for where, h in _released if where != window]


# ---- timers ---------------------------------------------------------------------------
class Timer:
    """A function run later (``later``) or again and again (``every``); ``cancel()`` stops it.

    Its runs are like event handlers': async functions are awaited, DOM writes are sent
    when a run ends, an exception is shown as the app's traceback (an ``every`` timer keeps
    going), and the page counts a run as busy (``html[data-pyshell-busy]``).
    """

    __slots__ = ("function", "id", "ms", "origin", "repeat")

    def __init__(self, ms: float, function: TimerFunction, repeat: bool,
                 origin: str | None) -> None:
        self.id = next(_timer_ids)
        self.ms = ms
        self.function = function
        self.repeat = repeat
        self.origin = origin  # the module whose top level started it (restarted on reload)

    def __repr__(self) -> str:
        kind = "every" if self.repeat else "later"
        state = "active" if self.active else "done"
        return f"<Timer {kind}({self.ms}, {_name(self.function)}) {state}>"

    @property
    def active(self) -> bool:
        """True until it is cancelled (or, for ``later``, until its run starts)."""
        return _timers.get(self.id) is self

    def cancel(self) -> None:
        """Stop it: no run starts after this (one already running finishes)."""
        if _timers.pop(self.id, None) is not None and _transport is not None:
            _transport.cancel(self.id)


def later(ms: float, function: TimerFunction) -> Timer:
    """Run ``function()`` once, ``ms`` milliseconds from now (it may be ``async``)."""
    if not ms >= 0:
        raise ValueError(f"later() needs a delay of 0 ms or more, not {ms!r}")
    return _start(ms, function, repeat=False)


def every(ms: float, function: TimerFunction) -> Timer:
    """Run ``function()`` every ``ms`` milliseconds until the timer is cancelled.

    Runs never overlap: a run that takes longer than ``ms`` delays the next one, which then
    starts as soon as the page has had its turn (missed runs are not made up).
    """
    if not ms > 0:
        raise ValueError(f"every() needs an interval above 0 ms, not {ms!r}")
    return _start(ms, function, repeat=True)


def _start(ms: float, function: TimerFunction, repeat: bool) -> Timer:
    if not callable(function):
        raise TypeError(f"a timer runs a function, not {type(function).__name__}")
    caller = sys._getframe(2)
    origin = caller.f_globals.get("__name__") if caller.f_code.co_name == "<module>" else None
    timer = Timer(ms, function, repeat, origin)
    _timers[timer.id] = timer
    if _tracked_timers is not None:
        _tracked_timers.append(timer)
    if _transport is not None:
        _transport.schedule(timer.id, ms)
    return timer


async def run_timer(timer_id: int) -> None:
    """Run one timer's function (called by the runtime when it is due); an ``every``
    timer is scheduled again, ``ms`` after this run started, even if the run failed."""
    timer = _timers.get(timer_id)
    if timer is None:
        return  # cancelled while its run was on the way
    if not timer.repeat:
        del _timers[timer_id]
    started = time.monotonic()
    try:
        result = timer.function()
        if inspect.isawaitable(result):
            await result
        flush()
    finally:
        if timer.active and _transport is not None:
            spent = (time.monotonic() - started) * 1000
            _transport.schedule(timer_id, max(0.0, timer.ms - spent))


def _name(function: Callable[..., Any]) -> str:
    return getattr(function, "__qualname__", None) or repr(function)


def _current(function: TimerFunction, modules: set[str]) -> TimerFunction | None:
    """The function's code after a reload of ``modules``: the same name looked up anew
    (None when it is gone); closures, lambdas and others are kept as they are."""
    # A reload re-runs the module in its old namespace (and patches classes in place), so
    # a name still bound to the old function object is one the new code no longer defines.
    if inspect.ismethod(function):
        owner, old = function.__self__, function.__func__
        if type(owner).__module__ not in modules:
            return function
        method = getattr(owner, old.__name__, None)
        return method if inspect.ismethod(method) and method.__func__ is not old else None
    module = sys.modules.get(getattr(function, "__module__", None) or "")
    qualname = getattr(function, "__qualname__", "")
    if module is None or module.__name__ not in modules or "<" in qualname:
        return function
    found: Any = module
    for part in qualname.split("."):
        found = getattr(found, part, None)
    return found if callable(found) and found is not function else None


def registrations(modules: set[str]) -> set[str]:
    """Ids of the handlers registered by these modules (used by dev-mode reloads)."""
    return {h for h in _handlers if h.split(":", 1)[0] in modules}


def start_tracking() -> None:
    """A reload begins: note the handlers and timers its code registers and starts."""
    global _tracked_timers
    _tracker.start()
    _tracked_timers = []


def drop_untracked(previous: set[str]) -> None:
    """Remove handlers a reload did not register again (their code was deleted)."""
    _tracker.drop_untracked(previous)


def reload_timers(modules: set[str], ok: bool) -> None:
    """A reload of ``modules`` has run (``ok``) or failed. Timers their top level started
    before are cancelled after a good reload (it started them again, or their code is
    gone), and the ones a failed reload started are cancelled instead. Other timers (started
    by ``main()`` or a handler) go on with the new code of their function, or stop if it was
    deleted."""
    global _tracked_timers
    started = _tracked_timers or []
    _tracked_timers = None
    if not ok:
        for timer in started:
            timer.cancel()
        return
    fresh = {timer.id for timer in started}
    for timer in list(_timers.values()):
        if timer.id in fresh:
            continue
        if timer.origin in modules:
            timer.cancel()
            continue
        function = _current(timer.function, modules)
        if function is None:
            timer.cancel()
        else:
            timer.function = function


async def request(op: list[Any], window: WindowId = None) -> Any:
    """Send pending writes, then ask the page (of ``window``); answers come back in order."""
    flush()
    transport = _require_transport()
    if window is None:
        return await transport.request(op)
    return await transport.request(op, window)


def flush() -> None:
    """Send every queued write now (normally done when the current code yields), and the
    release of every handle Python dropped since, after the writes that use them."""
    global _flush_scheduled, _flushing
    _flushing = True  # first: a signal's flush (see _flush_from_signal) stays out
    try:
        _flush_scheduled = False
        if _transport is None:
            return
        batches = {window: ops for window, ops in _pending.items() if ops}
        _pending.clear()
        released: dict[WindowId, list[int]] = {}
        for window, handle in _take_released():
            released.setdefault(window, []).append(handle)
        for window, handles in released.items():
            batches.setdefault(window, []).append(["release", handles])
        for window, batch in batches.items():
            if window is None:
                _transport.send(batch)
            else:
                _transport.send(batch, window)
    finally:
        _flushing = False


def _flush_from_signal() -> None:
    """`flush` from a signal handler, which runs between any two bytecodes: skipped when it
    interrupted a flush (both would send the same writes)."""
    if not _flushing:
        flush()


def _take_released() -> list[tuple[WindowId, int]]:
    """The dropped handles so far; ones dropped meanwhile (a collection can run during
    any allocation) stay for the next batch."""
    count = len(_released)
    taken = _released[:count]
    del _released[:count]
    return taken


def use_transport(transport: Transport | None) -> None:
    """Connect the API to a page (the worker does this) or to a fake (tests)."""
    global _transport
    _transport = transport
    _pending.clear()
    _released.clear()
    _handlers.clear()
    _listening.clear()
    _timers.clear()


async def dispatch(handler_id: str, raw_event: Mapping[str, Any]) -> None:
    """Run one handler for one event from the page (called by the runtime)."""
    func = _handlers.get(handler_id)
    if func is None:
        return
    result = func(Event.from_json(raw_event))
    if inspect.isawaitable(result):
        await result
    flush()


# ---- bytes for the page ------------------------------------------------------------------
def object_url(data: bytes | bytearray | memoryview, mime: str) -> str:
    """A ``blob:`` URL over a copy of ``data`` that the page can use like any other:
    ``<img src>``, ``<video>``, ``<a download>``, CSS ``url(...)``. Made in the worker, so
    the bytes never travel as text (no base64 ``data:`` URL), e.g. a chart drawn in Python:
    ``dom.select("#chart").attr("src", dom.object_url(png_bytes, "image/png"))``.
    It holds its copy of the bytes until ``revoke_object_url`` (or the page goes).
    """
    if not isinstance(mime, str) or "/" not in mime:
        raise ValueError(f"object_url() needs a MIME type such as 'image/png', not {mime!r}")
    return str(_bridge().objectUrl(bytes(data), mime))


def revoke_object_url(url: str) -> None:
    """Free the bytes of a URL from ``object_url``: it loads nothing from now on (what
    the page already shows stays)."""
    _bridge().revokeObjectUrl(url)


def _bridge() -> ModuleType:
    try:
        import _pyshell_js  # registered by worker.mjs (see _pyshell_js.pyi)
    except ImportError:
        raise RuntimeError("pyshell.dom.object_url works inside a pyshell app") from None
    return _pyshell_js


def _child(child: Element | str | HasHTML, window: WindowId) -> Ref | str:
    if isinstance(child, Element):
        if child._window != window:
            raise ValueError("an element belongs to the page of one window: "
                             "create it in the window it goes into")
        ref: Ref = child._ref
        return ref
    if type(child) is not str and isinstance(child, HasHTML):  # Markup: parsed as HTML
        return {"html": str(child.__html__())}
    return str(child)


def _queue(op: list[Any], window: WindowId = None) -> None:
    global _flush_scheduled
    _pending.setdefault(window, []).append(op)
    if _flush_scheduled:
        return
    loop: asyncio.AbstractEventLoop | None
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = _pyodide_loop()
    if loop is not None:
        _flush_scheduled = True
        loop.call_soon(flush)


def _pyodide_loop() -> asyncio.AbstractEventLoop | None:
    """Pyodide's browser event loop exists even when no coroutine is running."""
    import sys

    if sys.platform != "emscripten":
        return None
    return asyncio.get_event_loop()


def _require_transport() -> Transport:
    if _transport is None:
        raise RuntimeError("pyshell.dom is not connected to a page: run the app with "
                           "`pyshell run`, or call dom.use_transport() in tests")
    return _transport

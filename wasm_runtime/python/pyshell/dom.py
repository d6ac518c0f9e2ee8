"""The DOM, from Python running in the app's worker.

Writes are queued and sent as one batch when the current Python code yields (or on
``flush()``), and the page applies each batch as one unit when it arrives. Reads need
the live DOM, so they are awaitable. Event handlers are delegated: ``on("click", ".x")``
also fires for matching elements created later, and the event a handler receives
already carries what most handlers need (value, checked, key, form fields, data-*).

An element made with ``create()`` is kept by the page under a handle for as long as
Python holds its ``Element``; once Python drops it, the handle is released with the next
batch (the element itself stays in the page if it was put there).
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from .transport import Transport

Ref: TypeAlias = dict[str, Any]
Handler: TypeAlias = Callable[["Event"], Awaitable[None] | None]

_handles = itertools.count(1)
_pending: list[list[Any]] = []
_released: list[int] = []  # handles of created elements Python dropped, not yet sent
_handlers: dict[str, Handler] = {}
_transport: Transport | None = None
_flush_scheduled = False
_tracked: set[str] | None = None  # handler ids registered since start_tracking()

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
    """A reference to one element (or, from ``select_all``, every match) in the page."""

    __slots__ = ("__weakref__", "_ref")

    def __init__(self, ref: Ref) -> None:
        object.__setattr__(self, "_ref", ref)

    def __repr__(self) -> str:
        return f"Element({self._ref})"

    def __del__(self) -> None:
        # A quarter of the cost of a weakref.finalize per created element. Only records:
        # it can run during any allocation, in the middle of queueing another op.
        handle = getattr(self, "_ref", {}).get("h")
        if handle is not None:
            _released.append(handle)

    def __setattr__(self, name: str, value: Any) -> None:
        prop = _PROPERTIES.get(name)
        if prop is None:
            raise AttributeError(f"Element has no settable property {name!r}; "
                                 f"use one of {', '.join(_PROPERTIES)} or .attr()")
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

    def append(self, *children: Element | str) -> Element:
        return self._op("append", [_child(c) for c in children])

    def prepend(self, *children: Element | str) -> Element:
        return self._op("prepend", [_child(c) for c in children])

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
        return await request(["get", self._ref, _PROPERTIES.get(name, name)])

    async def exists(self) -> bool:
        return bool(await request(["exists", self._ref]))

    async def count(self) -> int:
        return int(await request(["count", self._ref]))

    def _op(self, name: str, *args: Any) -> Element:
        _queue([name, self._ref, *args])
        return self


def select(selector: str) -> Element:
    """The first element matching a CSS selector, looked up when each write is applied."""
    return Element({"sel": selector})


def select_all(selector: str) -> Element:
    """Every element matching a CSS selector: writes apply to all of them."""
    return Element({"all": selector})


def by_id(element_id: str) -> Element:
    return Element({"id": element_id})


def create(tag: str, *, text: str | None = None, html: str | None = None,
           classes: Iterable[str] = (), attrs: Mapping[str, str] | None = None,
           children: Iterable[Element | str] = ()) -> Element:
    """A new, detached element; ``parent.append(el)`` puts it in the page."""
    element = Element({"h": next(_handles)})
    _queue(["create", element._ref, tag])
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
       prevent_default: bool | None = None) -> Callable[[Handler], Handler]:
    """Register a handler for events on elements matching ``selector`` (None: anywhere).

    ``keys`` filters keyboard events on the page side (``"Enter"``, ``"mod+k"``, ``"/"``)
    so other keystrokes never cross into Python. ``prevent_default`` defaults to true for
    ``submit`` and for keyboard events that match ``keys``.
    """
    key_list = list(keys)
    prevent = prevent_default if prevent_default is not None else (
        event_type == "submit" or bool(key_list))

    def register(func: Handler) -> Handler:
        handler_id = f"{func.__module__}:{func.__qualname__}:{event_type}:{selector}"
        if handler_id not in _handlers:
            _queue(["listen", handler_id, event_type, selector, key_list, prevent])
        _handlers[handler_id] = func
        if _tracked is not None:
            _tracked.add(handler_id)
        return func

    return register


def off(func: Handler) -> None:
    """Remove every registration of ``func``."""
    for handler_id, registered in list(_handlers.items()):
        if registered is func:
            del _handlers[handler_id]
            _queue(["unlisten", handler_id])


def registrations(modules: set[str]) -> set[str]:
    """Ids of the handlers registered by these modules (used by dev-mode reloads)."""
    return {h for h in _handlers if h.split(":", 1)[0] in modules}


def start_tracking() -> None:
    global _tracked
    _tracked = set()


def drop_untracked(previous: set[str]) -> None:
    """Remove handlers a reload did not register again (their code was deleted)."""
    global _tracked
    for handler_id in previous - (_tracked or set()):
        _handlers.pop(handler_id, None)
        _queue(["unlisten", handler_id])
    _tracked = None


async def request(op: list[Any]) -> Any:
    """Send pending writes, then ask the page; answers come back in order."""
    flush()
    return await _require_transport().request(op)


def flush() -> None:
    """Send every queued write now (normally done when the current code yields), and the
    release of every handle Python dropped since, after the writes that use them."""
    global _flush_scheduled
    _flush_scheduled = False
    if _transport is None:
        return
    batch = _pending[:]
    _pending.clear()
    released = _take_released()
    if released:
        batch.append(["release", released])
    if batch:
        _transport.send(batch)


def _take_released() -> list[int]:
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


async def dispatch(handler_id: str, raw_event: Mapping[str, Any]) -> None:
    """Run one handler for one event from the page (called by the runtime)."""
    func = _handlers.get(handler_id)
    if func is None:
        return
    result = func(Event.from_json(raw_event))
    if inspect.isawaitable(result):
        await result
    flush()


def _child(child: Element | str) -> Ref | str:
    return child._ref if isinstance(child, Element) else child


def _queue(op: list[Any]) -> None:
    global _flush_scheduled
    _pending.append(op)
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

"""Native menus: the window's menu bar and context menus, declared from the app's Python.

For example:

    from pyshell import menus
    from pyshell.menus import Check, Item, Menu, Radio, Separator

    def save():
        ...
        menus.item("save").enabled = False   # nothing left to save

    def wrap(click):
        dom.select("#editor").toggle_class("wrap", click.checked)

    menus.bar(
        Menu("File",
             Item("Save", save, id="save", accel="mod+s", enabled=False),
             Separator(),
             Item(role="quit")),
        Menu("Edit", Item(role="undo"), Item(role="redo"), Separator(),
             Item(role="cut"), Item(role="copy"), Item(role="paste"),
             Item(role="select-all")),
        Menu("View",
             Check("Word wrap", wrap, id="wrap", checked=True),
             Menu("Theme", Radio("Light", group="theme", checked=True),
                  Radio("Dark", group="theme"))),
    )
    menus.context("#notes li", Menu("", Item("Delete", delete_note)))

The host builds them with the toolkit's own widgets (Qt or GTK) and checks them again.
A click, or the item's keyboard accelerator (``mod`` is Ctrl, Cmd on macOS), runs its
handler here like an event handler: it may be ``async``, and it gets a ``Click`` (or
nothing, if it takes no argument). Items with a standard ``role`` run natively and have no
handler: ``quit`` (the window's normal close, with the app's on_close/on_quit), ``about``,
and the web view's own ``undo``, ``redo``, ``cut``, ``copy``, ``paste``, ``select-all``.

Items are live: ``menus.item("save").enabled = True``, ``.checked``, ``.label`` change the
native menu (sent when the current code yields). Mistakes (an unknown role or key name, a
duplicate id) raise ValueError where the menu is declared.

`pyshell dev` keeps menus in step with the code: a module whose top level declares the
bar (or a context menu) declares it again when it is reloaded, and the new one replaces
the old (or, declared no more, it goes); a click runs the handler's current code.
In ``pyshell run --browser`` and the web build there is no native menu: it is ignored.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, TypeAlias

from . import dom, windows
from .tracking import Tracker

Handler: TypeAlias = Callable[..., "Awaitable[None] | None"]

ROLES = ("quit", "about", "undo", "redo", "cut", "copy", "paste", "select-all")
_ROLE_LABELS = {"quit": "Quit", "about": "About", "undo": "Undo", "redo": "Redo", "cut": "Cut",
                "copy": "Copy", "paste": "Paste", "select-all": "Select All"}
_ROLE_ACCELS = {"quit": "mod+q", "undo": "mod+z", "redo": "mod+shift+z", "cut": "mod+x",
                "copy": "mod+c", "paste": "mod+v", "select-all": "mod+a"}
MODIFIERS = ("mod", "ctrl", "alt", "shift", "meta")
FUNCTION_KEYS = tuple(f"f{n}" for n in range(1, 25))  # the keys that need no modifier
NAMED_KEYS = ("enter", "escape", "tab", "space", "backspace", "delete", "insert", "home",
              "end", "pageup", "pagedown", "up", "down", "left", "right", "plus",
              *FUNCTION_KEYS)
PUNCTUATION = ",.;'/\\[]-=`"
# The punctuation keys' names, as Tauri and the DOM's KeyboardEvent.code spell them.
KEY_NAMES = {"comma": ",", "period": ".", "semicolon": ";", "quote": "'", "slash": "/",
             "backslash": "\\", "bracketleft": "[", "bracketright": "]", "minus": "-",
             "equal": "=", "backquote": "`"}


def check_accel(accel: str) -> str:
    """``accel`` if it is a keyboard accelerator the host can build ("mod+s",
    "ctrl+shift+f5", "alt+enter"); ValueError naming the value otherwise."""
    if not isinstance(accel, str) or not accel:
        raise ValueError(f"a menu accelerator is a string such as 'mod+s', not {accel!r}")
    *mods, key = accel.lower().split("+")
    if key == "" and accel.endswith("++"):
        mods, key = mods[:-1], "plus"
    key = KEY_NAMES.get(key, key)  # "mod+comma" is "mod+,"
    for mod in mods:
        if mod not in MODIFIERS:
            raise ValueError(f"unknown modifier {mod!r} in menu accelerator {accel!r}; "
                             f"use {', '.join(MODIFIERS)}")
    if not (key in NAMED_KEYS or (len(key) == 1 and (key.isascii() and key.isalnum()
                                                     or key in PUNCTUATION))):
        raise ValueError(f"unknown key {key!r} in menu accelerator {accel!r}; use a letter, "
                         f"a digit, one of {PUNCTUATION} (or comma, period...) or a key "
                         "name such as enter, escape, delete, pageup, f5")
    if not ({"mod", "ctrl", "alt", "meta"} & set(mods) or key in FUNCTION_KEYS):
        raise ValueError(f"menu accelerator {accel!r} would take that key from every text "
                         "field in the page; add mod+, ctrl+, alt+ or meta+ (or use f1-f24)")
    return accel


@dataclass(frozen=True)
class Click:
    """What a handler gets: the ``item`` clicked (its ``checked`` already updated), in a
    context menu the ``contextmenu`` event that opened it (``target``: its element's id,
    data-* and such), else None, and the ``window`` whose menu bar it was clicked in
    (``"main"``, or the id of a window the app opened: ``pyshell.windows.get(id)``)."""

    item: Item
    target: dom.Event | None = None
    window: str = "main"

    @property
    def checked(self) -> bool:
        return self.item.checked


class Item:
    """A menu item: a ``label`` and a handler, or a standard ``role``.

    ``id`` names it for ``menus.item(id)`` (and must be unique); ``accel`` is its keyboard
    accelerator, such as ``"mod+s"`` (``mod``: Ctrl, Cmd on macOS); ``enabled=False``
    greys it out (its accelerator does nothing then either).
    """

    kind = "item"

    def __init__(self, label: str = "", on: Handler | None = None, *, id: str | None = None,
                 accel: str | None = None, role: str | None = None,
                 enabled: bool = True) -> None:
        if role is not None:
            if role not in ROLES:
                raise ValueError(f"unknown menu role {role!r}; use one of {', '.join(ROLES)}")
            if on is not None:
                raise ValueError(f"the {role!r} role runs natively: give on= or role=, "
                                 "not both")
        elif not label:
            raise ValueError("a menu item needs a label (or a role)")
        if on is not None and not callable(on):
            raise TypeError(f"on= is the function a click runs, not {type(on).__name__}")
        if id is not None and not (isinstance(id, str) and id):
            raise ValueError(f"a menu item's id is a non-empty string, not {id!r}")
        self.role = role
        self.on = on
        self.id = id
        self.accel = check_accel(accel) if accel is not None else (
            _ROLE_ACCELS.get(role) if role else None)
        self._label = label or _ROLE_LABELS.get(role or "", "")
        self._enabled = bool(enabled)
        self._checked = False
        self._parent: Menu | None = None
        self._wire = ""  # its id on the way to the host (set when it is declared)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._label!r}>"

    @property
    def label(self) -> str:
        return self._label

    @label.setter
    def label(self, value: str) -> None:
        if not isinstance(value, str) or not value:
            raise ValueError(f"a menu item's label is a non-empty string, not {value!r}")
        self._label = value
        _changed()

    @property
    def enabled(self) -> bool:
        return self._enabled

    @enabled.setter
    def enabled(self, value: bool) -> None:
        self._enabled = bool(value)
        _changed()

    @property
    def checked(self) -> bool:
        """Always False for a plain item (see ``Check`` and ``Radio``)."""
        return self._checked

    def _json(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self._wire, "label": self._label, "role": self.role,
                "accel": self.accel, "enabled": self._enabled, "checked": self._checked,
                "group": getattr(self, "group", "")}


class Check(Item):
    """An item with a check mark that a click turns on and off."""

    kind = "check"

    def __init__(self, label: str, on: Handler | None = None, *, checked: bool = False,
                 id: str | None = None, accel: str | None = None, enabled: bool = True) -> None:
        super().__init__(label, on, id=id, accel=accel, enabled=enabled)
        self._checked = bool(checked)

    @property
    def checked(self) -> bool:
        return self._checked

    @checked.setter
    def checked(self, value: bool) -> None:
        self._set_checked(bool(value))
        _changed()

    def _set_checked(self, value: bool) -> None:
        self._checked = value


class Radio(Check):
    """One of a ``group`` of items in the same menu, of which one is checked."""

    kind = "radio"

    def __init__(self, label: str, on: Handler | None = None, *, group: str = "",
                 checked: bool = False, id: str | None = None, accel: str | None = None,
                 enabled: bool = True) -> None:
        super().__init__(label, on, checked=checked, id=id, accel=accel, enabled=enabled)
        self.group = group

    def _set_checked(self, value: bool) -> None:
        self._checked = value
        if value and self._parent is not None:
            for other in self._parent.items:
                if isinstance(other, Radio) and other is not self and other.group == self.group:
                    other._checked = False


class Separator:
    """A line between groups of items."""

    def _json(self) -> dict[str, Any]:
        return {"kind": "separator"}


Entry: TypeAlias = "Item | Separator | Menu"


class Menu:
    """A menu: in the bar (its ``label`` is the bar's title for it), nested in another
    (a submenu), or a context menu (its label is not shown)."""

    def __init__(self, label: str, *items: Entry) -> None:
        if not isinstance(label, str):
            raise TypeError(f"a menu's label is a string, not {type(label).__name__}")
        for item in items:
            if not isinstance(item, Item | Separator | Menu):
                raise TypeError(f"a menu holds Item, Check, Radio, Separator and Menu, "
                                f"not {type(item).__name__}")
            if isinstance(item, Item):
                item._parent = self
        self.label = label
        self.items = list(items)

    def __repr__(self) -> str:
        return f"<Menu {self.label!r}>"

    def _json(self) -> dict[str, Any]:
        return {"kind": "submenu", "label": self.label,
                "items": [item._json() for item in self.items]}


_bar: list[Menu] = []
_context: dict[str, Menu] = {}  # selector -> its menu
_context_handlers: dict[str, dom.Handler] = {}  # selector -> what opens its menu
_tray: Menu | None = None  # the tray icon's menu (pyshell.tray)
_items: dict[str, Item] = {}  # wire id -> item, for clicks and item()
_origins: dict[str, str | None] = {}  # "bar" / "context:SEL" -> module whose top level declared it
_opened_by: dom.Event | None = None  # the contextmenu event of the context menu last opened
_send_scheduled = False


def bar(*menus: Menu) -> None:
    """Give the window this menu bar, in place of the one it has (none: no menu bar)."""
    for menu in menus:
        if not isinstance(menu, Menu):
            raise TypeError(f"the menu bar holds Menu(...)s, not {type(menu).__name__}")
    old = list(_bar)
    _bar[:] = menus
    try:
        _index()
    except ValueError:
        _bar[:] = old
        raise
    _declared("bar")


def context(selector: str, menu: Menu | None) -> None:
    """Show ``menu`` when the user right-clicks an element matching ``selector`` (instead
    of the page's own); ``None`` removes it. Its handlers' ``Click.target`` is the event."""
    if not isinstance(selector, str) or not selector:
        raise ValueError(f"context() needs a CSS selector, not {selector!r}")
    if menu is None:
        _drop_context(selector)
        return
    if not isinstance(menu, Menu):
        raise TypeError(f"context() shows a Menu(...), not {type(menu).__name__}")
    old = _context.get(selector)
    _context[selector] = menu
    try:
        _index()
    except ValueError:
        _context.pop(selector)
        if old is not None:
            _context[selector] = old
        raise

    async def open_context_menu(event: dom.Event) -> None:
        global _opened_by
        _opened_by = event
        _js().menu(json.dumps({"popup": selector, "window": event.window}))

    _context_handlers[selector] = open_context_menu
    for window in windows.all():  # and each window opened later (_listen_in)
        _listen_in(window.id, selector, open_context_menu)
    _declared(f"context:{selector}")


def _listen_in(window_id: str, selector: str, handler: dom.Handler) -> None:
    dom.on_in(None if window_id == windows.MAIN else window_id, "contextmenu", selector,
              prevent_default=True)(handler)


def _window_opened(window_id: str) -> None:
    """A window the app opened is ready: its page gets the context menus too."""
    for selector, handler in _context_handlers.items():
        _listen_in(window_id, selector, handler)


windows.when_opened(_window_opened)


def item(item_id: str) -> Item:
    """The item declared with ``id=item_id`` (in the bar or a context menu)."""
    found = _items.get(item_id)
    if found is None or found.id != item_id:
        raise KeyError(f"no menu item has id={item_id!r}; declared: "
                       f"{', '.join(i.id for i in _items.values() if i.id) or 'none'}")
    return found


def clear() -> None:
    """No menu bar and no context menus."""
    _bar.clear()
    for selector in list(_context):
        _drop_context(selector)
    _index()


def _drop_context(selector: str) -> None:
    if _context.pop(selector, None) is not None:
        handler = _context_handlers.pop(selector)
        base = f"{handler.__module__}:{handler.__qualname__}:contextmenu:{selector}"
        for handler_id in [h for h in dom._handlers if h == base or h.startswith(base + "@")]:
            dom._unlisten(handler_id)
        _origins.pop(f"context:{selector}", None)
        _index()


def _index() -> None:
    """Give every item its id for the host (its own, or one by position) and check that
    the ids are unique; then send the new model."""
    found: dict[str, Item] = {}

    def walk(entries: list[Entry], path: str) -> None:
        for n, entry in enumerate(entries):
            if isinstance(entry, Menu):
                walk(entry.items, f"{path}{n}.")
            elif isinstance(entry, Item):
                wire = entry.id or f"auto:{path}{n}"
                if wire in found:
                    raise ValueError(f"two menu items have id={wire!r}")
                entry._wire = wire
                found[wire] = entry

    walk(list(_bar), "bar.")
    for selector, menu in _context.items():
        walk(menu.items, f"context {selector}.")
    if _tray is not None:
        walk(_tray.items, "tray.")
    _items.clear()
    _items.update(found)
    _changed()


def _model() -> dict[str, Any]:
    return {"bar": [menu._json() for menu in _bar],
            "context": {sel: [entry._json() for entry in menu.items]
                        for sel, menu in _context.items()},
            "tray": [entry._json() for entry in _tray.items] if _tray is not None else []}


def set_tray(menu: Menu | None) -> None:
    """The tray icon's menu (``pyshell.tray``), part of the model like the others."""
    global _tray
    if menu is not None and not isinstance(menu, Menu):
        raise TypeError(f"the tray's menu is a Menu(...), not {type(menu).__name__}")
    old, _tray = _tray, menu
    try:
        _index()
    except ValueError:
        _tray = old
        raise


def _changed() -> None:
    """Send the model when the current code yields (one request for many changes)."""
    global _send_scheduled
    if _send_scheduled:
        return
    try:
        loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        loop = asyncio.get_event_loop() if sys.platform == "emscripten" else None
    if loop is not None:
        _send_scheduled = True
        loop.call_soon(_send_if_scheduled)


def _send_if_scheduled() -> None:
    if _send_scheduled:  # not sent meanwhile
        send()


def send() -> None:
    """Send the whole model to the host now (a start sends it even if empty: a new page
    replaces the menus of the one before)."""
    global _send_scheduled
    _send_scheduled = False
    bridge = _bridge()
    if bridge is not None:
        bridge.menu(json.dumps({"model": _model()}))


async def dispatch(item_id: str, checked: bool, window: str = "main") -> None:
    """A native click on ``item_id`` in ``window`` (called by the runtime): note its new
    check state and run its handler's current code (after a dev reload: the new code)."""
    global _opened_by
    found = _items.get(item_id)
    if found is None:
        return
    if isinstance(found, Check):
        found._set_checked(checked)  # the native menus show it already
    target = _opened_by if _in_context_menu(found) else None
    handler = _current(found.on) if found.on is not None else None
    if handler is None:
        return
    result = handler(Click(found, target, window)) if _takes_click(handler) else handler()
    if inspect.isawaitable(result):
        await result


def _in_context_menu(target: Item) -> bool:
    def holds(menu: Menu) -> bool:
        return any(entry is target or (isinstance(entry, Menu) and holds(entry))
                   for entry in menu.items)

    return any(holds(menu) for menu in _context.values())


def _takes_click(func: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
               for p in parameters)


def _current(func: Handler) -> Handler | None:
    """``func``'s current code: after a dev reload of its module, the function of the same
    name; closures and methods are kept as they are."""
    module = sys.modules.get(getattr(func, "__module__", None) or "")
    qualname = getattr(func, "__qualname__", "")
    if module is None or "<" in qualname or inspect.ismethod(func):
        return func
    found: Any = module
    for part in qualname.split("."):
        found = getattr(found, part, None)
    return found if callable(found) else func


# ---- dev reloads ------------------------------------------------------------------------
def _declared(key: str) -> None:
    caller = sys._getframe(2)
    top_level = caller.f_code.co_name == "<module>"
    _origins[key] = caller.f_globals.get("__name__") if top_level else None
    _tracker.note(key)


def registrations(modules: set[str]) -> set[str]:
    """What the top level of these modules declared ("bar", "context:SEL")."""
    return {key for key, origin in _origins.items() if origin in modules}


def _forget(key: str) -> None:
    """What a reloaded module's top level declared before and no more goes."""
    if key == "bar":
        _bar.clear()
        _origins.pop(key, None)
        _index()
    else:
        _drop_context(key.removeprefix("context:"))


_tracker = Tracker(_forget)
start_tracking = _tracker.start
drop_untracked = _tracker.drop_untracked


def reset() -> None:
    """Forget every menu (a new app starts)."""
    global _opened_by, _tray
    _tray = None
    _bar.clear()
    _context.clear()
    _context_handlers.clear()
    _items.clear()
    _origins.clear()
    _opened_by = None


def _bridge() -> ModuleType | None:
    try:
        import _pyshell_js  # registered by worker.mjs (see _pyshell_js.pyi)
    except ImportError:
        return None  # tests on the host; nowhere to show menus
    return _pyshell_js


def _js() -> ModuleType:
    bridge = _bridge()
    if bridge is None:
        raise RuntimeError("pyshell.menus works inside a pyshell app")
    return bridge

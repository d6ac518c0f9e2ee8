"""Menus as data: what the app's Python declares, checked on the host before any is built.

The worker (``pyshell.menus``) sends the whole menu model as JSON each time it changes:

    {"bar": [entry, ...], "context": {"name": [entry, ...]}, "tray": [entry, ...]}

where an entry is ``{"kind", "id", "label", "role", "accel", "enabled", "checked",
"group", "items"}`` (``kind``: item, check, radio, separator or submenu). The worker checks
it first and says what is wrong in the app's terms; the host checks it again because it
never builds what the page sends unchecked. The engines build the native widgets from
these dataclasses (``engines``); nothing here touches a toolkit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .errors import PyshellError

KINDS = ("item", "check", "radio", "separator", "submenu")
# The standard roles: run natively, never sent to the app's Python (the worker gives them
# their usual label and accelerator).
ROLES = ("quit", "about", "undo", "redo", "cut", "copy", "paste", "select-all")
MODIFIERS = ("mod", "ctrl", "alt", "shift", "meta")
# Key names an accelerator may end with, besides one letter, digit or punctuation mark.
FUNCTION_KEYS = tuple(f"f{n}" for n in range(1, 25))  # the keys that need no modifier
NAMED_KEYS = ("enter", "escape", "tab", "space", "backspace", "delete", "insert", "home",
              "end", "pageup", "pagedown", "up", "down", "left", "right", "plus",
              *FUNCTION_KEYS)
PUNCTUATION = ",.;'/\\[]-=`"
# The punctuation keys' names, as Tauri and the DOM's KeyboardEvent.code spell them.
KEY_NAMES = {"comma": ",", "period": ".", "semicolon": ";", "quote": "'", "slash": "/",
             "backslash": "\\", "bracketleft": "[", "bracketright": "]", "minus": "-",
             "equal": "=", "backquote": "`"}
ID_PATTERN = re.compile(r"[A-Za-z0-9_.:/ -]{1,200}")
MAX_ENTRIES = 2000  # far more than any menu shows; a model beyond it is refused


class MenuError(PyshellError):
    """A menu model that cannot be built: one line naming the value."""


@dataclass(frozen=True)
class Accel:
    """A keyboard accelerator. ``primary``: Ctrl on Linux and Windows, Cmd on macOS
    (``mod`` in the app's spelling)."""

    key: str  # a NAMED_KEYS name, or one lower-case character
    primary: bool = False
    ctrl: bool = False
    alt: bool = False
    shift: bool = False
    meta: bool = False


@dataclass(frozen=True)
class Entry:
    """One line of a menu: an item, a check or radio item, a separator or a submenu."""

    kind: str
    id: str = ""
    label: str = ""
    role: str | None = None
    accel: Accel | None = None
    enabled: bool = True
    checked: bool = False
    group: str = ""  # radio items: one of a group is checked
    items: tuple[Entry, ...] = ()  # submenus


@dataclass(frozen=True)
class MenuModel:
    """The app's menu bar (its top-level entries are submenus) and its context menus."""

    bar: tuple[Entry, ...] = ()
    context: Mapping[str, tuple[Entry, ...]] = field(default_factory=dict)
    tray: tuple[Entry, ...] = ()  # the menu of the app's tray icon (``trayicon``)

    def with_checked(self, entry_id: str, checked: bool) -> MenuModel:
        """This model once a click set ``entry_id``'s check mark (checking a radio item
        unchecks the others of its group in its menu), as the clicked menu shows it."""
        return replace(self, bar=_with_checked(self.bar, entry_id, checked),
                       context={name: _with_checked(entries, entry_id, checked)
                                for name, entries in self.context.items()},
                       tray=_with_checked(self.tray, entry_id, checked))

    def find(self, entry_id: str) -> Entry | None:
        """The clickable entry with this id, in the bar or a context menu."""
        for entries in (self.bar, *self.context.values(), self.tray):
            found = _find(entries, entry_id)
            if found is not None:
                return found
        return None


def _with_checked(entries: tuple[Entry, ...], entry_id: str,
                  checked: bool) -> tuple[Entry, ...]:
    clicked = next((e for e in entries if e.id == entry_id and e.kind in ("check", "radio")),
                   None)
    group = clicked.group if clicked is not None and clicked.kind == "radio" and checked else None
    changed = []
    for entry in entries:
        if entry.kind == "submenu":
            entry = replace(entry, items=_with_checked(entry.items, entry_id, checked))
        elif entry is clicked:
            entry = replace(entry, checked=checked)
        elif group is not None and entry.kind == "radio" and entry.group == group:
            entry = replace(entry, checked=False)
        changed.append(entry)
    return tuple(changed)


def _find(entries: tuple[Entry, ...], entry_id: str) -> Entry | None:
    for entry in entries:
        if entry.kind == "submenu":
            found = _find(entry.items, entry_id)
            if found is not None:
                return found
        elif entry.id == entry_id and entry.kind != "separator":
            return entry
    return None


def parse_accel(text: object) -> Accel:
    """``"mod+s"``, ``"ctrl+shift+f5"``, ``"alt+enter"`` -> Accel; MenuError otherwise."""
    if not isinstance(text, str) or not text:
        raise MenuError(f"a menu accelerator is a string such as 'mod+s', not {text!r}")
    *mods, key = text.lower().split("+")
    if key == "" and text.endswith("++"):  # "ctrl++": the plus key
        mods, key = mods[:-1], "plus"
    key = KEY_NAMES.get(key, key)  # "mod+comma" is "mod+,"
    unknown = [m for m in mods if m not in MODIFIERS]
    if unknown:
        raise MenuError(f"unknown modifier {unknown[0]!r} in menu accelerator {text!r}; "
                        f"use {', '.join(MODIFIERS)}")
    if not (key in NAMED_KEYS or (len(key) == 1 and (key.isalnum() and key.isascii()
                                                     or key in PUNCTUATION))):
        raise MenuError(f"unknown key {key!r} in menu accelerator {text!r}; use a letter, "
                        f"a digit, one of {PUNCTUATION} (or comma, period...) or "
                        f"{', '.join(NAMED_KEYS[:16])}, f1-f24")
    if not ({"mod", "ctrl", "alt", "meta"} & set(mods) or key in FUNCTION_KEYS):
        raise MenuError(f"menu accelerator {text!r} would take that key from every text "
                        "field in the page; add mod+, ctrl+, alt+ or meta+ (or use f1-f24)")
    return Accel(key, primary="mod" in mods, ctrl="ctrl" in mods, alt="alt" in mods,
                 shift="shift" in mods, meta="meta" in mods)


def parse_model(data: object) -> MenuModel:
    """The model the worker sent, checked entry by entry; MenuError names what is wrong."""
    if not isinstance(data, dict):
        raise MenuError("a menu model is a JSON object with 'bar' and 'context'")
    counter = [0]
    bar = _entries(data.get("bar", []), "the menu bar", counter)
    for entry in bar:
        if entry.kind != "submenu":
            raise MenuError(f"the menu bar holds menus, not a {entry.kind} ({entry.label!r})")
    context_data = data.get("context", {})
    if not isinstance(context_data, dict):
        raise MenuError("'context' of a menu model maps names to lists of entries")
    context = {str(name): _entries(items, f"context menu {name!r}", counter)
               for name, items in context_data.items()}
    model = MenuModel(bar, context, _entries(data.get("tray", []), "the tray menu", counter))
    _check_unique_ids(model)
    return model


def _entries(data: object, where: str, counter: list[int]) -> tuple[Entry, ...]:
    if not isinstance(data, list):
        raise MenuError(f"{where}: a list of entries, not {type(data).__name__}")
    return tuple(_entry(item, where, counter) for item in data)


def _entry(data: object, where: str, counter: list[int]) -> Entry:
    counter[0] += 1
    if counter[0] > MAX_ENTRIES:
        raise MenuError(f"a menu model has at most {MAX_ENTRIES} entries")
    if not isinstance(data, dict):
        raise MenuError(f"{where}: an entry is an object, not {type(data).__name__}")
    kind = data.get("kind")
    if kind not in KINDS:
        raise MenuError(f"{where}: unknown menu entry kind {kind!r}; use {', '.join(KINDS)}")
    if kind == "separator":
        return Entry("separator")
    label = _text(data, "label", where)
    entry_id = _text(data, "id", where)
    if kind != "submenu" and not ID_PATTERN.fullmatch(entry_id):
        raise MenuError(f"{where}: menu item id {entry_id!r} must be 1-200 letters, digits "
                        "or _.:/- and spaces")
    role = data.get("role")
    if role is not None and role not in ROLES:
        raise MenuError(f"{where}: unknown menu role {role!r}; use {', '.join(ROLES)}")
    accel = data.get("accel")
    try:
        parsed = parse_accel(accel) if accel is not None else None
    except MenuError as exc:
        raise MenuError(f"{where}: {exc}") from None
    return Entry(
        kind, entry_id, label, role, parsed,
        enabled=_flag(data, "enabled", True, where), checked=_flag(data, "checked", False, where),
        group=_text(data, "group", where),
        items=_entries(data.get("items", []), f"menu {label!r}", counter)
        if kind == "submenu" else ())


def _text(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key, "")
    if not isinstance(value, str) or len(value) > 200:
        raise MenuError(f"{where}: a menu entry's {key} is a string (up to 200 characters), "
                        f"not {value!r}")
    return value


def _flag(data: dict[str, Any], key: str, default: bool, where: str) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise MenuError(f"{where}: a menu entry's {key} is true or false, not {value!r}")
    return value


def _check_unique_ids(model: MenuModel) -> None:
    seen: set[str] = set()

    def walk(entries: tuple[Entry, ...]) -> None:
        for entry in entries:
            if entry.kind == "submenu":
                walk(entry.items)
            elif entry.kind != "separator":
                if entry.id in seen:
                    raise MenuError(f"two menu items have the id {entry.id!r}")
                seen.add(entry.id)

    for entries in (model.bar, *model.context.values(), model.tray):
        walk(entries)

"""The app's icon in the desktop's tray, through the StatusNotifierItem protocol (what
AppIndicator, KDE and most Linux panels use) and its menu through ``com.canonical.dbusmenu``,
both served on the user's session bus with Gio (see ``notifier``: GLib, no toolkit, so the
same code serves Qt and GTK windows).

The item owns ``org.kde.StatusNotifierItem-PID-1`` and registers with the desktop's
``org.kde.StatusNotifierWatcher``; without one there is no tray to show it in, which is
said once and is no error (the app goes on without it). Clicks arrive on the icon's own
thread (its GLib main loop): a menu item's to ``on_click(entry, checked)``, a click on the
icon itself to ``on_activate()``. The menu is the app's menu model's ``tray`` part
(``menumodel``), replaced whenever the app changes it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from .menumodel import Entry
from .notifier import session_bus_address

WATCHER = "org.kde.StatusNotifierWatcher"
WATCHER_PATH = "/StatusNotifierWatcher"
ITEM_IFACE = "org.kde.StatusNotifierItem"
ITEM_PATH = "/StatusNotifierItem"
MENU_IFACE = "com.canonical.dbusmenu"
MENU_PATH = "/MenuBar"
CALL_TIMEOUT_MS = 5000
OnClick = Callable[[Entry, bool], None]

_ITEM_XML = f"""<node><interface name="{ITEM_IFACE}">
  <property name="Category" type="s" access="read"/>
  <property name="Id" type="s" access="read"/>
  <property name="Title" type="s" access="read"/>
  <property name="Status" type="s" access="read"/>
  <property name="WindowId" type="i" access="read"/>
  <property name="IconName" type="s" access="read"/>
  <property name="IconThemePath" type="s" access="read"/>
  <property name="IconPixmap" type="a(iiay)" access="read"/>
  <property name="ToolTip" type="(sa(iiay)ss)" access="read"/>
  <property name="ItemIsMenu" type="b" access="read"/>
  <property name="Menu" type="o" access="read"/>
  <method name="ContextMenu"><arg type="i" direction="in"/><arg type="i" direction="in"/></method>
  <method name="Activate"><arg type="i" direction="in"/><arg type="i" direction="in"/></method>
  <method name="SecondaryActivate"><arg type="i" direction="in"/><arg type="i" direction="in"/>
  </method>
  <method name="Scroll"><arg type="i" direction="in"/><arg type="s" direction="in"/></method>
  <signal name="NewTitle"/><signal name="NewIcon"/><signal name="NewToolTip"/>
  <signal name="NewStatus"><arg type="s"/></signal>
</interface></node>"""

_MENU_XML = f"""<node><interface name="{MENU_IFACE}">
  <property name="Version" type="u" access="read"/>
  <property name="TextDirection" type="s" access="read"/>
  <property name="Status" type="s" access="read"/>
  <property name="IconThemePath" type="as" access="read"/>
  <method name="GetLayout">
    <arg type="i" direction="in"/><arg type="i" direction="in"/><arg type="as" direction="in"/>
    <arg type="u" direction="out"/><arg type="(ia{{sv}}av)" direction="out"/>
  </method>
  <method name="GetGroupProperties">
    <arg type="ai" direction="in"/><arg type="as" direction="in"/>
    <arg type="a(ia{{sv}})" direction="out"/>
  </method>
  <method name="GetProperty">
    <arg type="i" direction="in"/><arg type="s" direction="in"/><arg type="v" direction="out"/>
  </method>
  <method name="Event">
    <arg type="i" direction="in"/><arg type="s" direction="in"/><arg type="v" direction="in"/>
    <arg type="u" direction="in"/>
  </method>
  <method name="EventGroup"><arg type="a(isvu)" direction="in"/><arg type="ai" direction="out"/>
  </method>
  <method name="AboutToShow"><arg type="i" direction="in"/><arg type="b" direction="out"/>
  </method>
  <method name="AboutToShowGroup">
    <arg type="ai" direction="in"/><arg type="ai" direction="out"/><arg type="ai" direction="out"/>
  </method>
  <signal name="ItemsPropertiesUpdated"><arg type="a(ia{{sv}})"/><arg type="a(ias)"/></signal>
  <signal name="LayoutUpdated"><arg type="u"/><arg type="i"/></signal>
</interface></node>"""


class TrayIcon:
    """One app's tray icon: ``show`` it (again, to change it), ``hide`` it."""

    def __init__(self, app_name: str, on_click: OnClick, on_activate: Callable[[], None],
                 say: Callable[[str], None]) -> None:
        self.app_name, self._on_click, self._on_activate, self._say = (
            app_name, on_click, on_activate, say)
        self._lock = threading.Lock()
        self._entries: tuple[Entry, ...] = ()
        self._numbers: dict[int, Entry] = {}  # dbusmenu's ids (0: the root) -> entries
        self._revision = 1
        self._icon: Path | None = None
        self._tooltip = ""
        self._bus: Any = None
        self._context: Any = None
        self._registered: list[int] = []
        self._said = False
        self.visible = False

    # ---- what the app asks ---------------------------------------------------------------
    def show(self, icon: Path | None, tooltip: str) -> bool:
        """Show the icon (or change it); False when the desktop has no tray to show it in.
        Blocking: call it off the server's event loop."""
        with self._lock:
            self._icon, self._tooltip = icon, tooltip
            shown = self.visible
        if shown:
            for signal in ("NewIcon", "NewToolTip", "NewTitle"):
                self._emit(ITEM_PATH, ITEM_IFACE, signal, None)
            return True
        try:
            self._start()
        except OSError as exc:
            if not self._said:
                self._said = True
                self._say(f"pyshell: the app's tray icon is not shown: {exc}")
            return False
        return True

    def set_entries(self, entries: tuple[Entry, ...]) -> None:
        """The tray menu's entries (the app's menu model changed)."""
        with self._lock:
            if entries == self._entries:
                return
            self._entries = entries
            self._numbers = _number(entries)
            self._revision += 1
            revision = self._revision
        self._emit(MENU_PATH, MENU_IFACE, "LayoutUpdated", ("(ui)", (revision, 0)))

    def hide(self) -> None:
        """Take the icon away (its bus name goes, so the tray drops it)."""
        with self._lock:
            bus, context, registered = self._bus, self._context, self._registered
            self._bus, self._context, self._registered = None, None, []
            self.visible = False
        if bus is None:
            return
        from gi.repository import GLib

        def stop(*_: object) -> bool:
            for number in registered:
                bus.unregister_object(number)
            bus.close_sync(None)
            return False

        source = GLib.idle_source_new()
        source.set_callback(stop)
        source.attach(context)

    # ---- the bus ---------------------------------------------------------------------------
    def _start(self) -> None:
        address = session_bus_address()
        if address is None:
            raise OSError("there is no D-Bus session bus")
        try:
            from gi.repository import Gio, GLib
        except ImportError as exc:
            raise OSError(f"PyGObject is missing ({exc})") from None
        ready = threading.Event()
        failed: list[str] = []
        threading.Thread(target=self._serve, args=(Gio, GLib, address, ready, failed),
                         name="pyshell-tray", daemon=True).start()
        ready.wait(CALL_TIMEOUT_MS * 2 / 1000)
        if failed or not self.visible:
            raise OSError(failed[0] if failed else "the session bus did not answer")

    def _serve(self, gio: Any, glib: Any, address: str, ready: threading.Event,
               failed: list[str]) -> None:
        """The icon's thread: connect, export the item and its menu, register with the
        tray, then answer the tray's calls until hidden."""
        context = glib.MainContext.new()
        context.push_thread_default()  # the objects' calls are dispatched on this thread
        try:
            flags = (gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
                     | gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)
            bus = gio.DBusConnection.new_for_address_sync(address, flags, None, None)
            registered = [
                bus.register_object(ITEM_PATH, gio.DBusNodeInfo.new_for_xml(_ITEM_XML)
                                    .interfaces[0], self._item_call, self._item_property, None),
                bus.register_object(MENU_PATH, gio.DBusNodeInfo.new_for_xml(_MENU_XML)
                                    .interfaces[0], self._menu_call, self._menu_property, None)]
            name = f"org.kde.StatusNotifierItem-{os.getpid()}-1"
            bus.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                          "RequestName", glib.Variant("(su)", (name, 4)), None,
                          gio.DBusCallFlags.NONE, CALL_TIMEOUT_MS, None)
            bus.call_sync(WATCHER, WATCHER_PATH, WATCHER, "RegisterStatusNotifierItem",
                          glib.Variant("(s)", (name,)), None, gio.DBusCallFlags.NONE,
                          CALL_TIMEOUT_MS, None)
        except glib.Error as exc:
            no_tray = "ServiceUnknown" in exc.message or WATCHER in exc.message
            failed.append("the desktop has no tray (no StatusNotifierWatcher on the session "
                          "bus)" if no_tray else f"the session bus refused it ({exc.message})")
            ready.set()
            return
        loop = glib.MainLoop.new(context, False)
        with self._lock:
            self._bus, self._context, self._registered = bus, context, registered
            self.visible = True
        ready.set()
        bus.connect("closed", lambda *_: loop.quit())
        loop.run()

    def _emit(self, path: str, iface: str, signal: str, args: tuple[str, Any] | None) -> None:
        with self._lock:
            bus = self._bus
        if bus is None:
            return
        from gi.repository import GLib

        bus.emit_signal(None, path, iface, signal,
                        GLib.Variant(*args) if args is not None else None)

    # ---- org.kde.StatusNotifierItem ----------------------------------------------------
    def _item_property(self, _bus: Any, _sender: str, _path: str, _iface: str,
                       name: str) -> Any:
        from gi.repository import GLib

        with self._lock:
            icon, tooltip = self._icon, self._tooltip
        values: dict[str, tuple[str, Any]] = {
            "Category": ("s", "ApplicationStatus"), "Id": ("s", self.app_name),
            "Title": ("s", tooltip or self.app_name), "Status": ("s", "Active"),
            "WindowId": ("i", 0),
            "IconName": ("s", icon.stem if icon else "application-x-executable"),
            "IconThemePath": ("s", str(icon.parent) if icon else ""),
            "IconPixmap": ("a(iiay)", []),
            "ToolTip": ("(sa(iiay)ss)", ("", [], tooltip or self.app_name, "")),
            "ItemIsMenu": ("b", False), "Menu": ("o", MENU_PATH)}
        kind, value = values[name]
        return GLib.Variant(kind, value)

    def _item_call(self, _bus: Any, _sender: str, _path: str, _iface: str, method: str,
                   _params: Any, invocation: Any) -> None:
        invocation.return_value(None)
        if method == "Activate":
            self._on_activate()

    # ---- com.canonical.dbusmenu ---------------------------------------------------------
    def _menu_property(self, _bus: Any, _sender: str, _path: str, _iface: str,
                       name: str) -> Any:
        from gi.repository import GLib

        values = {"Version": ("u", 3), "TextDirection": ("s", "ltr"),
                  "Status": ("s", "normal"), "IconThemePath": ("as", [])}
        return GLib.Variant(*values[name])

    def _menu_call(self, _bus: Any, _sender: str, _path: str, _iface: str, method: str,
                   params: Any, invocation: Any) -> None:
        from gi.repository import GLib

        args = params.unpack()
        with self._lock:
            entries, numbers, revision = self._entries, dict(self._numbers), self._revision
        if method == "GetLayout":
            parent = args[0]
            children = entries if parent == 0 else numbers[parent].items \
                if parent in numbers else ()
            invocation.return_value(GLib.Variant(
                "(u(ia{sv}av))", (revision, _layout(parent, children, numbers))))
        elif method == "GetGroupProperties":
            found = [(n, _properties(numbers[n])) for n in args[0] if n in numbers]
            invocation.return_value(GLib.Variant("(a(ia{sv}))", (found,)))
        elif method == "GetProperty":
            props = _properties(numbers[args[0]]) if args[0] in numbers else {}
            invocation.return_value(GLib.Variant("(v)", (props.get(args[1],
                                                                   GLib.Variant("s", "")),)))
        elif method == "Event":
            invocation.return_value(None)
            if args[1] == "clicked" and args[0] in numbers:
                self._clicked(numbers[args[0]])
        elif method == "EventGroup":
            for number, event, _data, _time in args[0]:
                if event == "clicked" and number in numbers:
                    self._clicked(numbers[number])
            invocation.return_value(GLib.Variant("(ai)", ([],)))
        elif method == "AboutToShow":
            invocation.return_value(GLib.Variant("(b)", (False,)))
        elif method == "AboutToShowGroup":
            invocation.return_value(GLib.Variant("(aiai)", ([], [])))

    def _clicked(self, entry: Entry) -> None:
        """A menu entry was clicked: its check moves here (a radio's group with it), then
        the app hears it."""
        if not entry.enabled or entry.kind in ("separator", "submenu"):
            return
        checked = not entry.checked if entry.kind == "check" else entry.kind == "radio"
        if entry.kind in ("check", "radio"):
            with self._lock:
                self._entries = _with_checked(self._entries, entry, checked)
                self._numbers = _number(self._entries)
                self._revision += 1
                revision = self._revision
            self._emit(MENU_PATH, MENU_IFACE, "LayoutUpdated", ("(ui)", (revision, 0)))
        self._on_click(entry, checked)


def _number(entries: tuple[Entry, ...]) -> dict[int, Entry]:
    """Every entry by its dbusmenu id, depth first from 1 (the same ids for the same
    model, so a tray that holds ids from the last layout finds the same entries)."""
    found: dict[int, Entry] = {}

    def walk(level: tuple[Entry, ...]) -> None:
        for entry in level:
            found[len(found) + 1] = entry
            walk(entry.items)

    walk(entries)
    return found


def _layout(number: int, children: tuple[Entry, ...], numbers: dict[int, Entry]) -> Any:
    from gi.repository import GLib

    ids = {id(entry): n for n, entry in numbers.items()}
    props = {"children-display": GLib.Variant("s", "submenu")}
    if number in numbers:
        props = _properties(numbers[number])
    return (number, props, [GLib.Variant("(ia{sv}av)", _layout(ids[id(child)], child.items,
                                                                 numbers))
                            for child in children])


def _properties(entry: Entry) -> dict[str, Any]:
    from gi.repository import GLib

    if entry.kind == "separator":
        return {"type": GLib.Variant("s", "separator")}
    props = {"label": GLib.Variant("s", entry.label), "enabled": GLib.Variant("b", entry.enabled),
             "visible": GLib.Variant("b", True)}
    if entry.kind == "submenu":
        props["children-display"] = GLib.Variant("s", "submenu")
    if entry.kind in ("check", "radio"):
        props["toggle-type"] = GLib.Variant("s", "checkmark" if entry.kind == "check" else "radio")
        props["toggle-state"] = GLib.Variant("i", 1 if entry.checked else 0)
    return props


def _with_checked(entries: tuple[Entry, ...], target: Entry, checked: bool) -> tuple[Entry, ...]:
    """The entries with ``target`` checked or not; a checked radio unchecks its group."""
    def fix(entry: Entry) -> Entry:
        if entry is target:
            return replace(entry, checked=checked)
        if entry.kind == "radio" and target.kind == "radio" and entry.group == target.group \
                and checked:
            return replace(entry, checked=False)
        return replace(entry, items=tuple(fix(e) for e in entry.items)) if entry.items else entry

    return tuple(fix(e) for e in entries)

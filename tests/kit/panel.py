"""Playing the desktop's panel for a StatusNotifierItem: its properties, its menu, clicks,
with ordinary D-Bus calls (Gio) on the bus the tests run the app on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kit.waits import poll
from pyshell.trayicon import ITEM_IFACE, ITEM_PATH, MENU_IFACE, MENU_PATH


class Panel:
    """What a desktop panel does with a StatusNotifierItem, over D-Bus."""

    def __init__(self, address: str, record: Path) -> None:
        from gi.repository import Gio

        self.address, self.record = address, record
        flags = (Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
                 | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)
        self.bus = Gio.DBusConnection.new_for_address_sync(address, flags, None, None)

    def registered(self) -> list[dict[str, str]]:
        if not self.record.exists():
            return []
        return [json.loads(line) for line in self.record.read_text().splitlines()]

    @property
    def service(self) -> str:
        return str(poll(lambda: self.registered() and self.registered()[-1]["service"], 30))

    def call(self, path: str, iface: str, method: str, signature: str | None,
             args: tuple[Any, ...] = ()) -> Any:
        from gi.repository import Gio, GLib

        reply = self.bus.call_sync(self.service, path, iface, method,
                                   GLib.Variant(signature, args) if signature else None, None,
                                   Gio.DBusCallFlags.NONE, 5000, None)
        return reply.unpack() if reply is not None else None

    def props(self) -> dict[str, Any]:
        (found,) = self.call(ITEM_PATH, "org.freedesktop.DBus.Properties", "GetAll", "(s)",
                             (ITEM_IFACE,))
        return dict(found)

    def menu(self) -> list[dict[str, Any]]:
        """The menu as the panel shows it: each entry's properties, its id and children."""
        _revision, root = self.call(MENU_PATH, MENU_IFACE, "GetLayout", "(iias)", (0, -1, []))

        def entry(node: Any) -> dict[str, Any]:
            number, props, children = node
            return {"n": number, **props, "children": [entry(c) for c in children]}

        return entry(root)["children"]

    def number(self, label: str) -> int:
        def walk(entries: list[dict[str, Any]]) -> int | None:
            for e in entries:
                if e.get("label") == label:
                    return int(e["n"])
                found = walk(e["children"])
                if found is not None:
                    return found
            return None

        found = walk(self.menu())
        assert found is not None, f"no {label!r} in the tray menu"
        return found

    def click(self, label: str) -> None:
        from gi.repository import GLib

        self.call(MENU_PATH, MENU_IFACE, "Event", "(isvu)",
                  (self.number(label), "clicked", GLib.Variant("s", ""), 0))

    def activate(self) -> None:
        self.call(ITEM_PATH, ITEM_IFACE, "Activate", "(ii)", (0, 0))

    def owned(self, name: str) -> bool:
        from gi.repository import Gio, GLib

        reply = self.bus.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                   "org.freedesktop.DBus", "NameHasOwner",
                                   GLib.Variant("(s)", (name,)), None, Gio.DBusCallFlags.NONE,
                                   5000, None)
        return bool(reply.unpack()[0])

"""A stand-in tray for the tests, on a private session bus: the desktop is the edge.

Run as ``dbus-run-session -- python tray_watcher.py RECORD``: it owns
``org.kde.StatusNotifierWatcher`` (what a panel that shows StatusNotifierItems runs),
appends each ``RegisterStatusNotifierItem`` to RECORD as a JSON line (the service name and
the caller's unique name), prints ``READY <bus address>`` and serves until killed. The
tests then play the panel: they read the item's properties and menu and click them, with
ordinary D-Bus calls to the app.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from gi.repository import Gio, GLib

XML = """
<node>
  <interface name="org.kde.StatusNotifierWatcher">
    <method name="RegisterStatusNotifierItem"><arg type="s" direction="in"/></method>
    <method name="RegisterStatusNotifierHost"><arg type="s" direction="in"/></method>
    <property name="RegisteredStatusNotifierItems" type="as" access="read"/>
    <property name="IsStatusNotifierHostRegistered" type="b" access="read"/>
    <property name="ProtocolVersion" type="i" access="read"/>
    <signal name="StatusNotifierItemRegistered"><arg type="s"/></signal>
  </interface>
</node>
"""
NAME = PATH = "org.kde.StatusNotifierWatcher"


def main(record: str) -> None:
    items: list[str] = []

    def call(bus: Any, sender: str, path: str, iface: str, method: str, params: Any,
             invocation: Any) -> None:
        if method == "RegisterStatusNotifierItem":
            (service,) = params.unpack()
            items.append(service)
            with open(record, "a") as fh:
                fh.write(json.dumps({"service": service, "sender": sender}) + "\n")
            bus.emit_signal(None, "/StatusNotifierWatcher", NAME, "StatusNotifierItemRegistered",
                            GLib.Variant("(s)", (service,)))
        invocation.return_value(None)

    def get(bus: Any, sender: str, path: str, iface: str, name: str) -> Any:
        return {"RegisteredStatusNotifierItems": GLib.Variant("as", items),
                "IsStatusNotifierHostRegistered": GLib.Variant("b", True),
                "ProtocolVersion": GLib.Variant("i", 0)}[name]

    def acquired(bus: Any, name: str) -> None:
        info = Gio.DBusNodeInfo.new_for_xml(XML)
        bus.register_object("/StatusNotifierWatcher", info.interfaces[0], call, get, None)

    def owned(bus: Any, name: str) -> None:
        print("READY", os.environ["DBUS_SESSION_BUS_ADDRESS"], flush=True)

    Gio.bus_own_name(Gio.BusType.SESSION, NAME, Gio.BusNameOwnerFlags.NONE, acquired, owned,
                     None)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main(sys.argv[1])

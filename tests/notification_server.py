"""A stand-in desktop notification service for the tests, on a private session bus.

Run as ``dbus-run-session -- python notification_server.py RECORD``: it owns
``org.freedesktop.Notifications``, appends each Notify call to RECORD as a JSON line,
prints ``READY <bus address>`` and serves until killed. A test plays the user with the
extra method ``org.pyshell.Test.Click(id, action)``, which emits ``ActionInvoked`` (and
``NotificationClosed``) the way a real server does when its notification is clicked.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from gi.repository import Gio, GLib

XML = """
<node>
  <interface name="org.freedesktop.Notifications">
    <method name="Notify">
      <arg type="s" direction="in"/><arg type="u" direction="in"/>
      <arg type="s" direction="in"/><arg type="s" direction="in"/>
      <arg type="s" direction="in"/><arg type="as" direction="in"/>
      <arg type="a{sv}" direction="in"/><arg type="i" direction="in"/>
      <arg type="u" direction="out"/>
    </method>
    <method name="GetCapabilities"><arg type="as" direction="out"/></method>
    <method name="CloseNotification"><arg type="u" direction="in"/></method>
    <method name="GetServerInformation">
      <arg type="s" direction="out"/><arg type="s" direction="out"/>
      <arg type="s" direction="out"/><arg type="s" direction="out"/>
    </method>
    <signal name="ActionInvoked"><arg type="u"/><arg type="s"/></signal>
    <signal name="NotificationClosed"><arg type="u"/><arg type="u"/></signal>
  </interface>
  <interface name="org.pyshell.Test">
    <method name="Click"><arg type="u" direction="in"/><arg type="s" direction="in"/></method>
  </interface>
</node>
"""
PATH = "/org/freedesktop/Notifications"
IFACE = "org.freedesktop.Notifications"


def main(record: str) -> None:
    counter = [0]

    def call(bus: Any, sender: str, path: str, iface: str, method: str, params: Any,
             invocation: Any) -> None:
        if method == "Notify":
            app, _replaces, icon, title, body, actions, hints, timeout = params.unpack()
            counter[0] += 1
            with open(record, "a") as fh:
                fh.write(json.dumps({"id": counter[0], "app": app, "icon": icon, "title": title,
                                     "body": body, "actions": actions,
                                     "hints": sorted(hints)}) + "\n")
            invocation.return_value(GLib.Variant("(u)", (counter[0],)))
        elif method == "GetCapabilities":
            invocation.return_value(GLib.Variant("(as)", (["actions", "body"],)))
        elif method == "GetServerInformation":
            invocation.return_value(GLib.Variant("(ssss)", ("stand-in", "pyshell", "1", "1.2")))
        elif method == "CloseNotification":
            invocation.return_value(None)
        elif method == "Click":
            number, action = params.unpack()
            bus.emit_signal(None, PATH, IFACE, "ActionInvoked", GLib.Variant("(us)",
                                                                            (number, action)))
            bus.emit_signal(None, PATH, IFACE, "NotificationClosed", GLib.Variant("(uu)",
                                                                                 (number, 2)))
            invocation.return_value(None)

    def acquired(bus: Any, name: str) -> None:
        info = Gio.DBusNodeInfo.new_for_xml(XML)
        for interface in info.interfaces:
            bus.register_object(PATH, interface, call, None, None)

    def owned(bus: Any, name: str) -> None:
        print("READY", os.environ["DBUS_SESSION_BUS_ADDRESS"], flush=True)

    Gio.bus_own_name(Gio.BusType.SESSION, IFACE, Gio.BusNameOwnerFlags.NONE, acquired, owned,
                     None)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main(sys.argv[1])

"""Desktop notifications on Linux: the freedesktop notification service
(``org.freedesktop.Notifications``) on the user's session bus, through Gio's D-Bus client.

Gio (PyGObject, Debian's python3-gi) is GLib's I/O library, not a toolkit: it loads no GTK
and sits beside Qt in one process. The bus is the one ``$DBUS_SESSION_BUS_ADDRESS`` names
(else ``$XDG_RUNTIME_DIR/bus``); Gio's own search is not used, since it may start a bus
of its own. The service's ``ActionInvoked`` signals (a click on a notification or one of
its buttons) arrive on a thread of the notifier's own, with its own GLib main loop, and
go to ``on_action`` for the notifications this app sent.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

BUS_NAME = "org.freedesktop.Notifications"
OBJECT_PATH = "/org/freedesktop/Notifications"
INTERFACE = "org.freedesktop.Notifications"
CALL_TIMEOUT_MS = 5000
OnAction = Callable[[int, str], None]  # (notification id, action key)


class NotificationsUnavailable(Exception):
    """No session bus, or no notification service on it: one line saying which."""


def session_bus_address(env: dict[str, str] | None = None) -> str | None:
    env = dict(os.environ) if env is None else env
    if env.get("DBUS_SESSION_BUS_ADDRESS"):
        return env["DBUS_SESSION_BUS_ADDRESS"]
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime and (Path(runtime) / "bus").exists():
        return f"unix:path={Path(runtime) / 'bus'}"
    return None


class Notifier:
    """One app's notifications: sent with ``notify``, clicks to ``on_action``."""

    def __init__(self, app_name: str, on_action: OnAction) -> None:
        self.app_name, self._on_action = app_name, on_action
        self._lock = threading.Lock()
        self._bus: Any = None
        self._loop: Any = None
        # Ids of this app's notifications: the service numbers those of every app. Kept
        # (a few bytes each): some services say a notification closed before its click.
        self._sent: set[int] = set()

    def notify(self, title: str, body: str, icon: str | None,
               actions: Sequence[tuple[str, str]]) -> int:
        """Show one notification (blocking: call it off the event loop); its id."""
        bus = self._connect()
        from gi.repository import Gio, GLib

        flat = [part for pair in actions for part in pair]
        args = GLib.Variant("(susssasa{sv}i)",
                            (self.app_name, 0, icon or "", title, body, flat, {}, -1))
        try:
            reply = bus.call_sync(BUS_NAME, OBJECT_PATH, INTERFACE, "Notify", args,
                                  GLib.VariantType("(u)"), Gio.DBusCallFlags.NONE,
                                  CALL_TIMEOUT_MS, None)
        except GLib.Error as exc:
            raise NotificationsUnavailable(
                f"no notification service answers on the session bus ({BUS_NAME}: "
                f"{exc.message})") from None
        number = int(reply.unpack()[0])
        with self._lock:
            self._sent.add(number)
        return number

    def close(self) -> None:
        with self._lock:
            loop, self._loop = self._loop, None
            bus, self._bus = self._bus, None
        if loop is not None:
            loop.quit()
        if bus is not None:
            bus.close_sync(None)

    def _connect(self) -> Any:
        with self._lock:
            if self._bus is not None:
                return self._bus
        address = session_bus_address()
        if address is None:
            raise NotificationsUnavailable("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is "
                                           "not set), so no desktop notifications")
        try:
            from gi.repository import Gio, GLib
        except ImportError as exc:
            raise NotificationsUnavailable(f"PyGObject is missing ({exc}); install Debian's "
                                           "python3-gi for desktop notifications") from None
        ready = threading.Event()
        failed: list[str] = []
        thread = threading.Thread(target=self._listen, args=(Gio, GLib, address, ready, failed),
                                  name="pyshell-notifications", daemon=True)
        thread.start()
        ready.wait(CALL_TIMEOUT_MS / 1000)
        with self._lock:
            if self._bus is None:
                reason = failed[0] if failed else "it did not answer"
                raise NotificationsUnavailable(f"cannot reach the D-Bus session bus at "
                                               f"{address} ({reason})")
            return self._bus

    def _listen(self, gio: Any, glib: Any, address: str, ready: threading.Event,
                failed: list[str]) -> None:
        """The notifier's thread: connect, subscribe to clicks, run their main loop."""
        context = glib.MainContext.new()
        context.push_thread_default()  # signal callbacks are dispatched on this thread
        try:
            flags = (gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
                     | gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)
            bus = gio.DBusConnection.new_for_address_sync(address, flags, None, None)
        except glib.Error as exc:
            failed.append(exc.message)
            ready.set()
            return
        bus.signal_subscribe(BUS_NAME, INTERFACE, "ActionInvoked", OBJECT_PATH, None,
                             gio.DBusSignalFlags.NONE, self._action_invoked)
        loop = glib.MainLoop.new(context, False)
        with self._lock:
            self._bus, self._loop = bus, loop
        ready.set()
        loop.run()

    def _action_invoked(self, _bus: Any, _sender: str, _path: str, _iface: str, _signal: str,
                        params: Any) -> None:
        number, action = params.unpack()
        with self._lock:
            ours = number in self._sent
        if ours:
            self._on_action(int(number), str(action))

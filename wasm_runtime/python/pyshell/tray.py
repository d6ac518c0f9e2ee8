"""An icon in the desktop's tray, with a menu, for apps that live beside the user's work.

    from pyshell import tray
    from pyshell.menus import Item, Menu

    async def main():
        await tray.show(Menu("", Item("New note", new_note), Item(role="quit")),
                        tooltip="Notes", icon="icon.png", on_activate=show_notes)

Declared in ``pyproject.toml``, and checked on the host:

    [tool.pyshell.permissions]
    tray = true

The menu is a ``pyshell.menus.Menu`` (its label is not shown): items, checks, radios,
separators and submenus run their handlers like the menu bar's; ``Item(role="quit")``
quits the app the normal way (``app.on_close``, ``app.on_quit``). ``icon`` is a .png or
.svg file of the app's ``ui/`` folder. ``on_activate()`` runs when the user clicks the
icon itself. While the icon is shown the app keeps running when the user closes its
window (``keep_running=False`` to quit as usual): the window is hidden, and a click on
the icon shows it again. Undeclared, ``show`` raises ``PermissionError``; it returns
False (and says so once in the terminal) when the desktop has no tray to show it in.
On Linux the icon is a StatusNotifierItem on the session bus, the protocol of
AppIndicator, KDE and most panels (GNOME shows it with the AppIndicator extension).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable

from . import hostcall, menus

Activate = Callable[[], "Awaitable[None] | None"]
_on_activate: Activate | None = None


async def show(menu: menus.Menu | None = None, *, tooltip: str = "", icon: str | None = None,
               on_activate: Activate | None = None, keep_running: bool = True) -> bool:
    """Show the tray icon, or change it; True once a tray shows it."""
    global _on_activate
    if not isinstance(tooltip, str):
        raise TypeError(f"the tray's tooltip is a str, not {type(tooltip).__name__}")
    if on_activate is not None and not callable(on_activate):
        raise TypeError(f"on_activate is a function, not {type(on_activate).__name__}")
    answer = await hostcall.ask("tray", {"op": "show", "tooltip": tooltip, "icon": icon,
                                         "keep_running": bool(keep_running)})
    menus.set_tray(menu)
    _on_activate = on_activate
    return bool(answer["shown"])


async def hide() -> None:
    """Take the icon away (the app quits with its window again)."""
    global _on_activate
    await hostcall.ask("tray", {"op": "hide"})
    menus.set_tray(None)
    _on_activate = None


async def activated() -> None:
    """The user clicked the icon (called by the runtime)."""
    if _on_activate is not None:
        result = _on_activate()
        if inspect.isawaitable(result):
            await result


def reset() -> None:
    global _on_activate
    _on_activate = None

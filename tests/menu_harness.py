"""Drive an app's native menus in a real pywebview window: the engine's own activation, the
keyboard accelerator (xdotool), the state Python sets, a screenshot of a menu open, quit.

Run as ``python menu_harness.py APP_DIR ENGINE SCREENSHOT CONTEXT_SCREENSHOT``: it launches the app the way
``pyshell dev`` does and, from the ``on_started`` callback, works through the app that
tests/test_menus_window.py writes. Prints one JSON line of findings; the last step is the
menu's Quit, which closes the window the normal way (the app's on_quit prints).
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from window_harness import wait_until_ready

from kit.waits import poll
from pyshell import engines, launcher

OUT = "document.querySelector('#out').textContent"


def on_gui(engine: engines.Engine, func: Callable[[], Any]) -> Any:
    """``func()`` run on the toolkit's GUI thread; its result here."""
    answer: queue.Queue[tuple[bool, Any]] = queue.Queue()

    def run() -> None:
        try:
            answer.put((True, func()))
        except Exception as exc:  # noqa: BLE001 - raised again in the harness's thread
            answer.put((False, exc))

    engine.on_gui_thread(run)
    ok, value = answer.get(timeout=30)
    if not ok:
        raise value
    return value


class QtMenus:
    def __init__(self, window: Any) -> None:
        self.window = window

    @property
    def native(self) -> Any:
        return self.window.native

    def item(self, item_id: str) -> Any:
        from PySide6.QtGui import QAction

        return self.native.menuBar().findChild(QAction, item_id)

    def activate(self, item_id: str) -> None:
        self.item(item_id).trigger()

    def state(self, item_id: str) -> list[bool]:
        action = self.item(item_id)
        return [action.isEnabled(), action.isChecked()]

    def label(self, item_id: str) -> str:
        return str(self.item(item_id).text())

    def first_menu_at(self) -> tuple[int, int]:
        menubar = self.native.menuBar()
        centre = menubar.actionGeometry(menubar.actions()[0]).center()
        point = menubar.mapToGlobal(centre)
        return point.x(), point.y()

    def focus(self) -> int:
        self.native.activateWindow()
        return int(self.native.winId())

    def view_origin(self) -> tuple[int, int]:
        from PySide6.QtCore import QPoint

        point = self.native.webview.mapToGlobal(QPoint(0, 0))
        return point.x(), point.y()

    def popup(self) -> Any:
        from PySide6.QtWidgets import QApplication

        return QApplication.activePopupWidget()

    def activate_in_popup(self, item_id: str) -> None:
        from PySide6.QtGui import QAction

        menu = self.popup()
        action = menu.findChild(QAction, item_id)
        menu.hide()
        action.trigger()


class GtkMenus:
    def __init__(self, window: Any) -> None:
        self.window = window

    @property
    def native(self) -> Any:
        return self.window.native

    def items(self) -> list[Any]:
        found: list[Any] = []

        def walk(shell: Any) -> None:
            for child in shell.get_children():
                found.append(child)
                submenu = child.get_submenu() if hasattr(child, "get_submenu") else None
                if submenu is not None:
                    walk(submenu)

        walk(self.native._pyshell_menu[1])
        return found

    def item(self, item_id: str) -> Any:
        return next(i for i in self.items() if i.get_name() == item_id)

    def activate(self, item_id: str) -> None:
        self.item(item_id).activate()

    def state(self, item_id: str) -> list[bool]:
        item = self.item(item_id)
        return [item.get_sensitive(), bool(getattr(item, "get_active", lambda: False)())]

    def label(self, item_id: str) -> str:
        return str(self.item(item_id).get_label())

    def first_menu_at(self) -> tuple[int, int]:
        first = self.native._pyshell_menu[1].get_children()[0]
        _, x, y = first.get_window().get_origin()
        box = first.get_allocation()
        return x + box.x + box.width // 2, y + box.y + box.height // 2

    def focus(self) -> int:
        self.native.present()
        return int(self.native.get_window().get_xid())

    def view_origin(self) -> tuple[int, int]:
        from webview.platforms import gtk

        view = gtk.BrowserView.instances[self.window.uid].webview
        x, y = view.translate_coordinates(self.native, 0, 0)
        _, left, top = self.native.get_window().get_origin()
        return left + x, top + y

    def popup(self) -> Any:
        menu = getattr(self.native, "_pyshell_popup", None)
        return menu if menu is not None and menu.get_visible() else None

    def activate_in_popup(self, item_id: str) -> None:
        menu = self.popup()
        item = next(i for i in menu.get_children() if i.get_name() == item_id)
        menu.popdown()
        item.activate()


def xdotool(*args: str) -> None:
    subprocess.run(["xdotool", *args], check=True, timeout=30)


def drive(window: Any, engine: engines.Engine, app_dir: str, shot: str,
          context_shot: str) -> None:
    menus = (QtMenus if engine.name == "qt" else GtkMenus)(window)
    gui = lambda f: on_gui(engine, f)  # noqa: E731
    found: dict[str, object] = {}

    def wait_out(text: str) -> object:
        poll(lambda: window.run_js(OUT) == text, 30)
        return window.run_js(OUT)

    def state(item_id: str) -> list[bool]:
        return list(gui(lambda: menus.state(item_id)))

    try:
        found["state"] = wait_until_ready(window)
        poll(lambda: _exists(gui, menus, "save"), 30)
        found["save_before"] = state("save")  # declared disabled
        # The engine's own activation: Python enables Save and unchecks Wrap.
        gui(lambda: menus.activate("enable"))
        found["out_enable"] = wait_out("enabled")
        poll(lambda: state("save") == [True, False], 10)
        found["save_after"] = state("save")
        found["wrap_after"] = state("wrap")
        # A check item clicked natively: its handler sees the new state.
        gui(lambda: menus.activate("wrap"))
        found["out_wrap"] = wait_out("wrap True")
        # A radio item: the group's other item is unchecked, in Python and natively.
        gui(lambda: menus.activate("dark"))
        found["out_dark"] = wait_out("theme dark, light checked: False")
        found["light_native"] = state("light")
        # The accelerator, pressed while a field in the page has the keyboard focus.
        window.run_js("document.querySelector('#text').focus(), 1")
        wid = gui(menus.focus)
        xdotool("windowfocus", "--sync", str(wid))
        time.sleep(0.3)  # no event tells that the toolkit took the focus
        xdotool("key", "ctrl+s")
        found["out_accel"] = wait_out("saved 1")
        found["typed_s"] = window.run_js("document.querySelector('#text').value")
        # A role: the web view's own Select All, on the focused field.
        gui(lambda: menus.activate("select-all"))
        found["selected"] = poll(lambda: window.run_js(
            "document.querySelector('#text').selectionEnd"
            " - document.querySelector('#text').selectionStart"), 10)
        # The File menu open, on screen.
        x, y = gui(menus.first_menu_at)
        xdotool("mousemove", str(x), str(y), "click", "1")
        time.sleep(0.5)  # no signal for "painted"
        subprocess.run(["import", "-window", "root", shot], check=True, timeout=30)
        xdotool("key", "Escape")
        # A context menu: a real right-click on a list item in the page.
        right_click_first(window, menus, gui)
        found["context_open"] = bool(poll(lambda: gui(lambda: menus.popup() is not None), 15))
        time.sleep(0.5)  # no signal for "painted"
        subprocess.run(["import", "-window", "root", context_shot], check=True, timeout=30)
        gui(lambda: menus.activate_in_popup("delete"))
        found["out_context"] = wait_out("delete first 1 in main")
        second_window(window, engine, found, wait_out, state)
        # `pyshell dev`: the code changes, and the menu it declares replaces the old one.
        main = Path(app_dir, "app", "main.py")
        main.write_text(main.read_text().replace("Enable saving", "Allow saving")
                        .replace("(v1)", "(v2)"))
        found["label_after_reload"] = poll(
            lambda: gui(lambda: menus.label("enable")) == "Allow saving" and "Allow saving", 30)
    except BaseException:
        window.destroy()
        raise
    finally:
        print("FINDINGS " + json.dumps(found), flush=True)
    gui(lambda: menus.activate("quit"))  # the window's normal close, on_quit included


def right_click_first(window: Any, menus: Any, gui: Callable[[Callable[[], Any]], Any]) -> None:
    """A real right-click on the page's ``#first``."""
    left, top = gui(menus.view_origin)
    spot = window.run_js("(() => { const r = document.querySelector('#first')"
                         ".getBoundingClientRect(); return `${r.x + 10},${r.y + r.height / 2}`; })()")
    x, y = (round(float(n)) for n in spot.split(","))
    xdotool("mousemove", str(left + x), str(top + y), "click", "3")


def second_window(window: Any, engine: engines.Engine, found: dict[str, object],
                  wait_out: Callable[[str], object], state: Callable[[str], list[bool]]) -> None:
    """A window the app opens: its menu bar, a check clicked there, its accelerator."""
    import webview

    menus = (QtMenus if engine.name == "qt" else GtkMenus)(window)
    gui = lambda f: on_gui(engine, f)  # noqa: E731
    gui(lambda: menus.activate("new-window"))
    wait_out("opened")
    second = poll(lambda: next((w for w in webview.windows if w is not window
                                and w.events.shown.is_set()), None), 30)
    other = (QtMenus if engine.name == "qt" else GtkMenus)(second)
    poll(lambda: _exists(gui, other, "wrap"), 30)
    found["second_wrap"] = list(gui(lambda: other.state("wrap")))
    gui(lambda: other.activate("wrap"))
    found["out_second_wrap"] = wait_out("wrap False")
    found["main_wrap_after"] = poll(lambda: state("wrap") == [True, False] and state("wrap"), 10)
    wid = gui(other.focus)
    xdotool("windowfocus", "--sync", str(wid))
    time.sleep(0.3)  # no event tells that the toolkit took the focus
    xdotool("key", "ctrl+s")
    found["out_second_accel"] = wait_out("saved 2 in w1")
    right_click_first(second, other, gui)
    poll(lambda: gui(lambda: other.popup() is not None), 15)
    gui(lambda: other.activate_in_popup("delete"))
    found["second_context"] = wait_out("delete first 1 in w1")
    second.destroy()
    poll(lambda: second not in webview.windows, 30)
    wid = gui(menus.focus)  # the main window's accelerator works again
    xdotool("windowfocus", "--sync", str(wid))
    time.sleep(0.3)
    xdotool("key", "ctrl+s")
    found["out_accel_back"] = wait_out("saved 3 in main")


def _exists(gui: Callable[[Callable[[], Any]], Any], menus: Any, item_id: str) -> bool:
    try:
        return bool(gui(lambda: menus.item(item_id) is not None))
    except (StopIteration, AttributeError):
        return False


if __name__ == "__main__":
    app_dir, gui_name, screenshot, context_screenshot = sys.argv[1:5]
    chosen = engines.get(gui_name)
    sys.exit(launcher.run(app_dir, gui=gui_name, dev=True, on_started=lambda w: drive(
        w, chosen, app_dir, screenshot, context_screenshot)))

"""Close the window of an app that has a tray icon, in a real pywebview window under Xvfb:
the window hides and the app runs on; the icon's Activate shows it again; the tray menu's
Quit quits. The harness plays the panel itself, over D-Bus (``kit.panel``).

Run as ``python tray_harness.py APP_DIR ENGINE RECORD`` on the private bus of
tests/tray_watcher.py (RECORD: its registrations). Prints one JSON line of findings, then
clicks Quit.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from menu_harness import on_gui
from window_harness import wait_until_ready

from kit.panel import Panel
from kit.waits import poll
from pyshell import engines, launcher
from pyshell.notifier import session_bus_address


def visible(engine: engines.Engine, window: Any) -> bool:
    native = window.native
    return bool(on_gui(engine, native.isVisible if engine.name == "qt" else native.get_visible))


def drive(window: Any, engine: engines.Engine, record: str) -> None:
    import webview

    found: dict[str, object] = {}
    panel = Panel(str(session_bus_address()), Path(record))
    try:
        found["state"] = wait_until_ready(window)
        poll(lambda: window.run_js("document.querySelector('#out').textContent") == "ready", 30)
        found["visible_before"] = visible(engine, window)
        window.destroy()  # the user's close
        poll(lambda: not visible(engine, window), 15)
        found["visible_after_close"] = visible(engine, window)
        time.sleep(0.5)  # no event says the app did not quit
        found["windows_after_close"] = len(webview.windows)
        panel.activate()
        found["visible_after_activate"] = poll(lambda: visible(engine, window), 15)
    finally:
        print("FINDINGS " + json.dumps(found), flush=True)
    panel.click("Quit")


if __name__ == "__main__":
    app_dir, gui_name, record_file = sys.argv[1:4]
    chosen = engines.get(gui_name)
    sys.exit(launcher.run(app_dir, gui=gui_name,
                          on_started=lambda w: drive(w, chosen, record_file)))

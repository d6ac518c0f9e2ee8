"""Drive an app that opens a second window, in real pywebview windows under Xvfb.

Run as ``python windows_harness.py APP_DIR ENGINE SCREENSHOT``: it launches the app the
way ``pyshell run`` does and, from the ``on_started`` callback, clicks through the app that
tests/test_windows_window.py writes, reading both windows' pages through pywebview. Prints
one JSON line of findings; the last step closes the main window, which must close the
other one and end the process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

from window_harness import wait_until_ready

from kit.waits import poll
from pyshell import launcher


def text(window: Any, selector: str) -> str:
    found: str = window.run_js(f"document.querySelector({json.dumps(selector)})?.textContent ?? ''")
    return found


def wait_text(window: Any, selector: str, expected: str, seconds: float = 30) -> str:
    poll(lambda: text(window, selector) == expected, seconds, 0.05)
    return text(window, selector)


def maximized(window: Any) -> bool:
    native = window.native
    return bool(native.isMaximized() if hasattr(native, "isMaximized") else
                native.is_maximized())


def click(window: Any, selector: str) -> None:
    window.run_js(f"document.querySelector({json.dumps(selector)}).click(), 1")


def drive(main: Any, shot: str) -> None:
    import webview

    found: dict[str, object] = {}
    try:
        found["state"] = wait_until_ready(main)
        started = time.monotonic()
        click(main, "#open")
        poll(lambda: len(webview.windows) == 2, 30, 0.02)
        second = webview.windows[1]
        found["second_shown"] = wait_text(second, "#shown", "count 0")
        found["open_ms"] = round((time.monotonic() - started) * 1000)
        found["second_has_worker"] = second.run_js("typeof window.pyshellHandles")
        found["second_state"] = second.run_js("document.documentElement.dataset.pyshell")
        found["read"] = wait_text(main, "#read", "read preset")
        found["listed"] = wait_text(main, "#listed", "main,w1")
        found["title"] = poll(lambda: second.title == "Settings 2" and second.title, 30)
        found["resized"] = wait_text(main, "#size", "w1 520x360")
        # An event in the second window runs the one Python, whose state both windows share.
        click(second, "#inc")
        found["second_after"] = wait_text(second, "#shown", "count 1 from w1")
        found["main_after"] = wait_text(main, "#out", "main sees 1")
        click(main, "#bump")  # the main window changes the same state...
        click(second, "#inc")  # ...and the second window's handler sees it
        found["second_after_bump"] = wait_text(second, "#shown", "count 12 from w1")
        found["field_typed"] = second.run_js(
            "document.querySelector('#field').value = 'typed', "
            "document.querySelector('#field').dispatchEvent(new Event('input', {bubbles: true})), 1")
        found["input_seen"] = wait_text(main, "#typed", "typed in w1: typed")
        click(main, "#focus")
        poll(lambda: text(main, "#focused").endswith("w1"), 15)
        found["focused"] = text(main, "#focused")
        found["maximized_after_focus"] = maximized(second)
        click(main, "#bad")
        found["bad_page"] = wait_text(
            main, "#error", "ValueError: there is no page 'nope.html' in the app's ui/ folder")
        time.sleep(0.3)  # no event says both windows are painted
        subprocess.run(["import", "-window", "root", shot], check=True, timeout=30)
        # The user closes the second window: its on_close handler vetoes the first time.
        second.destroy()
        asked = wait_text(main, "#asked", "asked 1")
        time.sleep(0.5)  # no event says a close did not happen
        found["vetoed"] = [asked, len(webview.windows)]
        # Python closes the second window: it hears "closed", and its writes go nowhere.
        click(main, "#close")
        found["closed"] = wait_text(main, "#closed", "closed w1 (left: main)")
        found["asked_after_close"] = text(main, "#asked")
        found["windows_after_close"] = poll(lambda: len(webview.windows) == 1 and 1, 30)
        # The user's close of the main window closes the others too.
        click(main, "#open")
        poll(lambda: len(webview.windows) == 2, 30, 0.02)
        wait_text(webview.windows[1], "#shown", "count 12")
        found["reopened_id"] = wait_text(main, "#listed", "main,w2")
        reopened = webview.windows[1]
        found["reopened_size"] = poll(lambda: [reopened.width, reopened.height] == [520, 360]
                                      and [reopened.width, reopened.height], 15)
    except BaseException:
        print("FINDINGS " + json.dumps(found), flush=True)
        for window in list(webview.windows):
            window.destroy()
        raise
    print("FINDINGS " + json.dumps(found), flush=True)
    main.destroy()


if __name__ == "__main__":
    app_dir, gui_name, screenshot = sys.argv[1:4]
    sys.exit(launcher.run(app_dir, gui=gui_name, on_started=lambda w: drive(w, screenshot)))

"""Close a real pywebview window the way a user's SIGTERM or Ctrl-C does, mid-handler.

Run as ``python window_close_harness.py APP_DIR ENGINE``: it launches the app the way
``pyshell run`` does (same launcher, server, window code and SignalStop) and, from the
``on_started`` callback, clicks the app's #save button (a slow save) and sends this
process SIGTERM at once, twice: the app's on_close vetoes the first close and lets the
second through. Prints one JSON line of findings before the second close.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time

from window_harness import wait_until_ready

from kit.waits import poll
from pyshell import launcher

OUT = "document.querySelector('#out').textContent"
BUSY = "document.documentElement.dataset.pyshellBusy || ''"


def wait_for(window, script: str, value: object, seconds: float = 30) -> object:
    """What ``script`` gives once it gives ``value`` (or when ``seconds`` ran out)."""
    poll(lambda: window.run_js(script) == value, seconds)
    return window.run_js(script)


def lines(path: str) -> int:
    try:
        with open(path) as f:
            return len(f.read().splitlines())
    except FileNotFoundError:
        return 0


def click_and_close(window, data: str, n: int) -> dict[str, object]:
    window.run_js("document.querySelector('#save').click(); 1")
    busy = window.run_js(BUSY)  # the click's handler is under way...
    os.kill(os.getpid(), signal.SIGTERM)  # ...and the user closes the app
    return {f"busy_{n}": busy, f"lines_at_close_{n}": lines(os.path.join(data, f"save-{n}.txt"))}


def drive(window, data: str) -> None:
    findings: dict[str, object] = {}
    try:
        findings["state"] = wait_until_ready(window)
        findings.update(click_and_close(window, data, 1))
        findings["out_after_veto"] = wait_for(window, OUT, "kept open")
        findings["lines_after_veto_1"] = lines(os.path.join(data, "save-1.txt"))
        findings["quit_after_veto"] = os.path.exists(os.path.join(data, "quit.txt"))
        time.sleep(0.5)  # the test: a while after the veto, the window is still there
        findings["still_open"] = window.run_js("1 + 1") == 2
    finally:
        print("FINDINGS " + json.dumps(findings), flush=True)
    click_and_close(window, data, 2)


if __name__ == "__main__":
    app_dir, engine, data_dir = sys.argv[1:4]
    sys.exit(launcher.run(app_dir, gui=engine, on_started=lambda w: drive(w, data_dir)))

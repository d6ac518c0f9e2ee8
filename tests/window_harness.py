"""Drive the template app in a real pywebview window through pywebview's own API.

Run as ``python window_harness.py APP_DIR ENGINE SCREENSHOT``: it launches the app the
way ``pyshell run`` does (same launcher, server, token and window code) but passes an
``on_started`` callback, which only a Python caller can do; a normal ``pyshell run`` has
no such hook. Prints one JSON line of findings, then closes the window.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from kit.waits import poll
from pyshell import launcher

STATE = "document.documentElement.dataset.pyshell || ''"


def wait_until_ready(window, seconds: float = 120) -> str:
    """The page's boot state once it is ready or failed (or when ``seconds`` ran out)."""
    poll(lambda: window.run_js(STATE) in ("ready", "error"), seconds, 0.1)
    state: str = window.run_js(STATE)
    return state


def drive(window, screenshot: str) -> None:
    findings: dict[str, object] = {}
    try:
        findings["state"] = wait_until_ready(window)
        findings["tasks_before"] = window.run_js("document.querySelectorAll('#list .task').length")
        findings["shared_array_buffer"] = window.run_js("typeof SharedArrayBuffer")
        findings["isolated"] = window.run_js("self.crossOriginIsolated")
        findings["token_in_dom"] = window.run_js(
            "!!document.querySelector('meta[name=pyshell-token]')")
        window.run_js("document.querySelector('#new-title').value = 'Added in the window';"
                           "document.querySelector('#new-task').requestSubmit(); 1")
        poll(lambda: window.run_js("document.querySelectorAll('#list .task').length") == 4, 30,
             0.1)
        findings["tasks_after"] = window.run_js("document.querySelectorAll('#list .task').length")
        findings["last_title"] = window.run_js(
            "document.querySelector('#list .task:last-child .title')?.textContent")
        time.sleep(0.3)  # no signal for "painted": a few frames for the window to show the DOM
        subprocess.run(["import", "-window", "root", screenshot], check=True, timeout=30)
    finally:
        print("FINDINGS " + json.dumps(findings), flush=True)
        window.destroy()


if __name__ == "__main__":
    app_dir, engine, shot = sys.argv[1:4]
    sys.exit(launcher.run(app_dir, gui=engine, on_started=lambda w: drive(w, shot)))

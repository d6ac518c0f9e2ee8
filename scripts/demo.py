"""The demo: `pyshell new` the template app once, then `pyshell run` it.

With a display, the window stays until you close it. Without one (a server, CI), the app
runs under Xvfb; once Python has rendered it, a screenshot is saved and the window closes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from pyshell import launcher, scaffold

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / ".demo" / "tasks"
SHOT = ROOT / "test-artifacts" / "demo.png"


def main() -> int:
    if not (APP / "pyproject.toml").is_file():
        scaffold.create("tasks", target=APP)
        print(f"demo: created {APP} with `pyshell new`")
    gui = sys.argv[1] if len(sys.argv) > 1 else None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return launcher.run(APP, gui=gui)
    return _headless(gui)


def _headless(gui: str | None) -> int:
    read, write = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24",
                             "-nolisten", "tcp"], pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as fh:
        os.environ["DISPLAY"] = ":" + fh.readline().strip()
    try:
        return launcher.run(APP, gui=gui, on_started=_screenshot_and_close)
    finally:
        xvfb.terminate()


def _screenshot_and_close(window) -> None:
    try:
        deadline = time.monotonic() + 120
        state = ""
        while state not in ("ready", "error") and time.monotonic() < deadline:
            time.sleep(0.1)
            state = window.run_js("document.documentElement.dataset.pyshell || ''")
        time.sleep(0.5)
        SHOT.parent.mkdir(exist_ok=True)
        subprocess.run(["import", "-window", "root", str(SHOT)], check=True)
        print(f"demo: the app is {state}; no display, so a screenshot is in {SHOT}")
    finally:
        window.destroy()


if __name__ == "__main__":
    sys.exit(main())

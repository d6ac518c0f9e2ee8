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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the tests' Xvfb and window harness

from window_harness import wait_until_ready  # noqa: E402

from kit import display  # noqa: E402
from pyshell import launcher, scaffold  # noqa: E402

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
    with display.xvfb() as name:
        os.environ["DISPLAY"] = name
        return launcher.run(APP, gui=gui, on_started=_screenshot_and_close)


def _screenshot_and_close(window) -> None:
    try:
        state = wait_until_ready(window)
        time.sleep(0.5)  # no signal for "painted": a few frames for the window to show the DOM
        SHOT.parent.mkdir(exist_ok=True)
        subprocess.run(["import", "-window", "root", str(SHOT)], check=True)
        print(f"demo: the app is {state}; no display, so a screenshot is in {SHOT}")
    finally:
        window.destroy()


if __name__ == "__main__":
    sys.exit(main())

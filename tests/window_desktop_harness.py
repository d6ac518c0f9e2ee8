"""The desktop around a real pywebview window: clipboard, a confirm box, the window's place.

Run as ``python window_desktop_harness.py APP_DIR ENGINE STEPS``: it launches the app the
way ``pyshell run`` does (same launcher, server and window code) and, from ``on_started``,
drives it with the app's buttons (the app is tests/test_desktop_window.py's DESKTOP_APP)
and the X tools a user's other programs would use: xclip for the clipboard, xdotool for
keys. STEPS (comma-separated) picks what runs: ``clipboard``, ``boxes`` (confirm, prompt, message), ``links`` (clicks
two links with the mouse), ``place`` (moves and resizes the window before closing it). Prints one JSON line of findings, then closes
the window as the user would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from window_harness import wait_until_ready

from kit.waits import poll
from pyshell import launcher

OUT = "document.querySelector('#out').textContent"


def click(window, button: str) -> None:
    window.run_js(f"document.querySelector('#out').textContent = '';"
                  f"document.querySelector('#{button}').click(); 1")


def answer(window) -> str:
    poll(lambda: window.run_js(OUT) != "", 30)
    result: str = window.run_js(OUT)
    return result


def xclip_out(*args: str) -> str:
    return subprocess.run(["xclip", "-selection", "clipboard", "-o", *args],
                          capture_output=True, text=True, timeout=10).stdout


def xclip_in(text: str) -> None:
    """xclip stays in the background serving the selection: no pipes for it to hold."""
    subprocess.run(["xclip", "-selection", "clipboard", "-i"], input=text.encode(),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)


def clipboard(window) -> dict[str, object]:
    found: dict[str, object] = {}
    click(window, "copy")
    found["copy"] = answer(window)
    found["xclip_text"] = xclip_out()
    found["xclip_html"] = xclip_out("-t", "text/html")
    xclip_in("set by xclip")
    time.sleep(0.2)  # xclip forks to serve the selection: let it take ownership
    click(window, "paste")
    found["paste"] = json.loads(answer(window))
    return found


def windows_titled(title: str) -> set[str]:
    """X windows (ids) named ``title``, mapped on screen."""
    proc = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", f"^{title}$"],
                          capture_output=True, text=True, timeout=10)
    return set(proc.stdout.split())


def press_in_box(window, button: str, key: str, title: str, main: set[str]) -> dict[str, object]:
    """Click ``button``, whose handler opens a box; answer it with ``key``. The box must
    carry the app's title (the main window has it too: the box is the new one)."""
    click(window, button)
    poll(lambda: windows_titled(title) - main, 30)
    boxes = sorted(windows_titled(title) - main)
    if boxes:
        subprocess.run(["xdotool", "windowfocus", "--sync", boxes[0]], timeout=10)
        subprocess.run(["xdotool", "key", key], timeout=10)
    return {f"boxes_{button}_{key}": len(boxes), f"answer_{button}_{key}": answer(window)}


def boxes(window, title: str) -> dict[str, object]:
    """The app's confirm box answered with Return and with Escape, its prompt accepted
    with its default, its message dismissed."""
    main = windows_titled(title)
    found: dict[str, object] = {}
    for button, key in (("ask", "Return"), ("ask", "Escape"), ("name", "Return"),
                        ("tell", "Return")):
        found.update(press_in_box(window, button, key, title, main))
    return found


def mouse_click(window, selector: str, title: str) -> None:
    """A real click (X events, not a script) in the middle of ``selector``."""
    x, y = json.loads(window.run_js(
        f"JSON.stringify((r => [Math.round(r.x + r.width / 2), Math.round(r.y + r.height / 2)])"
        f"(document.querySelector('{selector}').getBoundingClientRect()))"))
    main = sorted(windows_titled(title))[0]
    subprocess.run(["xdotool", "mousemove", "--window", main, str(x), str(y), "click", "1"],
                   timeout=10)


def links(window, title: str) -> dict[str, object]:
    """Click a declared link and an undeclared one; where is the window afterwards?"""
    mouse_click(window, "#declared", title)
    mouse_click(window, "#undeclared", title)
    time.sleep(2)  # the test: a while for a navigation to land, if it could
    return {"url_after_links": window.get_current_url()}


def drive(window, steps: list[str]) -> None:
    findings: dict[str, object] = {}
    try:
        findings["state"] = wait_until_ready(window)
        findings["start"] = [window.width, window.height, window.x, window.y]
        if "clipboard" in steps:
            findings.update(clipboard(window))
        if "boxes" in steps:
            findings.update(boxes(window, "Desktop probe"))
        if "links" in steps:
            findings.update(links(window, "Desktop probe"))
        if "place" in steps:
            window.resize(700, 500)
            window.move(120, 90)
            poll(lambda: (window.width, window.height, window.x, window.y) == (700, 500, 120, 90),
                 10)
            findings["moved"] = [window.width, window.height, window.x, window.y]
            # Saved once the moves settle, before any close (a killed app keeps its place).
            state = Path(os.environ["XDG_STATE_HOME"], "desktop-probe", "window.json")
            findings["saved_before_close"] = poll(lambda: state.is_file() and json.loads(
                state.read_text()).get("x") == 120 and json.loads(state.read_text()), 10)
    finally:
        print("FINDINGS " + json.dumps(findings), flush=True)
        window.destroy()


if __name__ == "__main__":
    app_dir, engine, steps = sys.argv[1:4]
    sys.exit(launcher.run(app_dir, gui=engine,
                          on_started=lambda w: drive(w, steps.split(","))))

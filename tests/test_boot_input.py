"""What the user does while the app is still starting is not lost: clicks, keys, typing and
a submit made before main() returned reach the app's handlers afterwards, in order, and
typed text survives main()'s first render. In Chromium, and with real typing (xdotool) in
real QtWebEngine and WebKitGTK windows."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from kit.apps import open_app, write_app
from kit.procs import PYSHELL
from kit.waits import wait_until

# main() takes its time (as an app loading its data does); the handlers exist from import.
SLOW_START = '''
import time
from pyshell import dom

events = []

@dom.on("submit", "#new")
def add(event):
    events.append("submit " + event.form["title"])
    dom.select("#list").html = "".join(f"<li>{e}</li>" for e in events)
    dom.select("#title").value = ""

@dom.on("click", "#more")
def more(event):
    events.append("click")

@dom.on("keydown", keys=["mod+k"])
def shortcut(event):
    events.append("mod+k")

async def main():
    time.sleep(3)
    dom.select("#form-area").html = (
        '<form id="new"><input id="title" name="title"><button>Add</button></form>'
        '<button id="more" type="button">More</button><textarea id="note"></textarea>')
    print("main sees", repr(await dom.select("#note").get("value")))
'''

UI = '''<!doctype html><html><head><meta charset="utf-8"><title>t</title></head><body>
<div id="form-area"><form id="new"><input id="title" name="title" autofocus>
<button>Add</button></form><button id="more" type="button">More</button>
<textarea id="note"></textarea></div>
<ul id="list"></ul></body></html>'''


@pytest.mark.page
def test_input_before_main_returns_reaches_the_handlers_after(tmp_path: Path,
                                                              pyshell_browser) -> None:
    app = write_app(tmp_path / "slow", SLOW_START, "snapshot = false\n", ui=UI)
    with open_app(pyshell_browser, app, wait=None) as opened:
        page = opened.page
        page.locator("#title").click()
        page.keyboard.type("first task")
        page.keyboard.press("Enter")
        page.locator("#more").click()
        page.keyboard.press("Control+k")
        page.locator("#note").click()
        page.keyboard.type("typed, not submitted")
        # All of it happened before main() returned, or the test proves nothing.
        assert page.evaluate("document.documentElement.dataset.pyshell") == "booting"
        expect(page.locator("html")).to_have_attribute("data-pyshell", "ready", timeout=90_000)
        expect(page.locator("#list li")).to_have_text(["submit first task"])
        expect(page.locator("#title")).to_have_value("")  # the handler's, after the submit
        expect(page.locator("#note")).to_have_value("typed, not submitted")  # the user's
        page.locator("#more").click()
        page.locator("#title").fill("later")
        page.locator("#title").press("Enter")
        expect(page.locator("#list li")).to_have_text(
            ["submit first task", "click", "mod+k", "click", "submit later"])
        assert ("stdout", "main sees 'typed, not submitted'") in opened.logs


TITLE = "Boot Input"
MAIN = SLOW_START.replace("time.sleep(3)", "time.sleep(4)") + '''
    print("main returned")

@dom.on("submit", "#new")
def added(event):
    print("added", repr(event.form["title"]))
'''


def xdotool(display: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["xdotool", *args], env={"DISPLAY": display, "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=30)


@pytest.mark.window
@pytest.mark.parametrize("engine", ["qt", "gtk"])
def test_typing_during_start_up_is_kept(engine: str, tmp_path: Path, xvfb: str) -> None:
    app = write_app(tmp_path / "typing", MAIN,
                    f'snapshot = false\n[tool.pyshell.window]\ntitle = "{TITLE}"\n', ui=UI)
    out = tmp_path / "out.txt"
    env = dict(os.environ, DISPLAY=xvfb, XDG_DATA_HOME=str(tmp_path / "xdg-data"))
    with out.open("w") as sink:
        proc = subprocess.Popen([*PYSHELL, "run", str(app), "--gui", engine], env=env,
                                stdout=sink, stderr=subprocess.STDOUT, text=True)
    try:
        wait_until(lambda: xdotool(xvfb, "search", "--onlyvisible", "--name", TITLE).stdout,
                   90, "the window on screen", 0.1)
        window = xdotool(xvfb, "search", "--onlyvisible", "--name", TITLE).stdout.split()[0]
        # The page's input takes focus (autofocus) once the page has loaded, which takes a
        # moment after the window shows; Python needs seconds more, and main() sleeps 4 s.
        xdotool(xvfb, "windowfocus", "--sync", window)
        time.sleep(2)
        typed = xdotool(xvfb, "type", "--delay", "20", "first task")
        assert typed.returncode == 0, typed.stderr
        xdotool(xvfb, "key", "Return")
        assert "main returned" not in out.read_text(), "typed too late to test anything"
        wait_until(lambda: "added 'first task'" in out.read_text(), 90,
                   "the submitted text in the app's handler", 0.2)
        assert "main sees ''" in out.read_text()  # (the note field: untouched)
        lines = out.read_text().splitlines()
        assert lines.index(next(ln for ln in lines if "main returned" in ln)) < lines.index(
            next(ln for ln in lines if "added 'first task'" in ln))
    finally:
        proc.terminate()
        proc.wait(timeout=60)

"""The desktop around the page in real pywebview windows under Xvfb, on Qt and GTK: the
clipboard against the real X selection (xclip), a native confirm box answered with keys
and links clicked with the mouse (xdotool; the user's browser is a stub that records what
it was given), and the window's size and place kept between launches."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kit.apps import write_app
from kit.procs import findings

pytestmark = pytest.mark.window
HARNESS = Path(__file__).with_name("window_desktop_harness.py")

DESKTOP_APP = '''
import json

from pyshell import clipboard, dialogs, dom


def main():
    dom.select("#out").text = ""


@dom.on("click", "#copy")
async def copy(event):
    await clipboard.write_html("<b>from python</b> &amp; more")
    dom.select("#out").text = "copied"


@dom.on("click", "#paste")
async def paste(event):
    found = {"text": await clipboard.read_text(), "html": await clipboard.read_html()}
    dom.select("#out").text = json.dumps(found)


@dom.on("click", "#ask")
async def ask(event):
    dom.select("#out").text = "yes" if await dialogs.confirm("Go on?") else "no"


@dom.on("click", "#name")
async def name(event):
    dom.select("#out").text = repr(await dialogs.prompt("Name of the list?", "Groceries"))


@dom.on("click", "#tell")
async def tell(event):
    await dialogs.message("Saved.")
    dom.select("#out").text = "told"
'''
DESKTOP_UI = ("<!doctype html><html><head><title>Desktop probe</title></head><body>"
              "<button id=copy>Copy</button><button id=paste>Paste</button>"
              "<button id=ask>Ask</button><button id=name>Name</button>"
              "<button id=tell>Tell</button><pre id=out></pre>"
              "<p><a id=declared href='https://docs.example/help?q=1'>help</a> "
              "<a id=undeclared href='https://elsewhere.example/'>elsewhere</a></p>"
              "</body></html>")


def desktop_app(root: Path, window_toml: str = "") -> Path:
    return write_app(root, DESKTOP_APP, name="desktop-probe", ui=DESKTOP_UI,
                     extra_toml='[tool.pyshell.window]\ntitle = "Desktop probe"\n'
                                f'{window_toml}[tool.pyshell.permissions]\n'
                                'clipboard = "read-write"\n'
                                'open-urls = ["https://docs.example/*"]\n')


def launch(app: Path, engine: str, steps: str, xvfb: str, home: Path) -> dict[str, Any]:
    """One launch; its findings, plus what the stub browser was given and pyshell's own
    terminal lines."""
    opened = home / f"browser-{engine}.txt"
    browser = home / "browser"
    browser.write_text('#!/bin/sh\nprintf "%s\\n" "$1" >> "$PYSHELL_TEST_OPENED"\n')
    browser.chmod(0o755)
    env = dict(os.environ, DISPLAY=xvfb, XDG_STATE_HOME=str(home / "state"),
               XDG_DATA_HOME=str(home / "data"), BROWSER=str(browser),
               PYSHELL_TEST_OPENED=str(opened))
    proc = subprocess.run([sys.executable, str(HARNESS), str(app), engine, steps], env=env,
                          capture_output=True, text=True, timeout=180)
    found = findings(proc)
    assert found["state"] == "ready", proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    found["opened"] = opened.read_text().splitlines() if opened.exists() else []
    found["said"] = [ln for ln in proc.stderr.splitlines() if ln.startswith("pyshell: refused")]
    return found


@pytest.fixture(scope="module")
def launches(xvfb: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The app on Qt, then on GTK, each driven through every step; the same user (state
    folder), so the GTK window opens where the Qt one was left. Before them, the state of
    a window last seen on a screen that is gone (right of this 1280x800 one)."""
    home = tmp_path_factory.mktemp("desktop")
    app = desktop_app(home / "app")
    state = home / "state" / "desktop-probe" / "window.json"
    state.parent.mkdir(parents=True)
    state.write_text(json.dumps({"width": 700, "height": 500, "x": 2000, "y": 90,
                                 "maximized": False}))
    found = {engine: launch(app, engine, "clipboard,boxes,links,place", xvfb, home)
             for engine in ("qt", "gtk")}
    found["saved"] = json.loads((home / "state" / "desktop-probe" / "window.json").read_text())
    return found


@pytest.mark.parametrize("engine", ["qt", "gtk"])
def test_clipboard_against_the_x_selection(engine: str, launches: dict[str, Any]) -> None:
    found = launches[engine]
    # Python wrote both flavours; another X client reads each.
    assert found["copy"] == "copied"
    assert found["xclip_text"] == "from python & more"
    assert found["xclip_html"] == "<b>from python</b> &amp; more"
    # Another X client set plain text; Python reads it, and no HTML.
    assert found["paste"] == {"text": "set by xclip", "html": None}


@pytest.mark.parametrize("engine", ["qt", "gtk"])
def test_dialog_boxes_have_the_apps_title_and_answer_keys(engine: str,
                                                         launches: dict[str, Any]) -> None:
    found = launches[engine]
    assert found["boxes_ask_Return"] == 1 and found["answer_ask_Return"] == "yes"
    assert found["boxes_ask_Escape"] == 1 and found["answer_ask_Escape"] == "no"
    assert found["boxes_name_Return"] == 1 and found["answer_name_Return"] == "'Groceries'"
    assert found["boxes_tell_Return"] == 1 and found["answer_tell_Return"] == "told"


@pytest.mark.parametrize("engine", ["qt", "gtk"])
def test_clicked_links_go_to_the_browser_only_if_declared(engine: str,
                                                          launches: dict[str, Any]) -> None:
    found = launches[engine]
    assert found["opened"] == ["https://docs.example/help?q=1"]
    assert found["said"] == ["pyshell: refused a clicked link to https://elsewhere.example/ "
                             "(not in [tool.pyshell.permissions] open-urls)"]
    assert found["url_after_links"].startswith("http://127.0.0.1:")  # still on the app


def test_the_window_reopens_where_it_was_left(launches: dict[str, Any]) -> None:
    assert launches["qt"]["start"] == [700, 500, 580, 90]  # moved onto the screen there is
    assert launches["qt"]["moved"] == [700, 500, 120, 90]
    assert launches["qt"]["saved_before_close"] == {"width": 700, "height": 500, "x": 120,
                                                     "y": 90, "maximized": False}
    assert launches["gtk"]["start"] == [700, 500, 120, 90]  # the next launch, restored
    assert launches["saved"] == {"width": 700, "height": 500, "x": 120, "y": 90,
                                 "maximized": False}

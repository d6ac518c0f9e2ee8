"""Several windows, one Python: a second window opened by the app's Python, in real
pywebview windows under Xvfb on QtWebEngine and WebKitGTK. Its page runs no interpreter;
its writes, reads and events go through the main page's worker, so state is shared."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_window import assert_real_picture

from kit.apps import write_app
from kit.procs import findings

pytestmark = pytest.mark.window
HARNESS = Path(__file__).with_name("windows_harness.py")

APP = '''
from pyshell import dom, windows

state = {"count": 0, "asked": 0, "opened": 0}


def main():
    dom.select("#out").text = "ready"


@dom.on("click", "#open")
async def open_settings(event):
    win = await windows.open("settings.html", title="Settings", width=400, height=300)
    win.select("#shown").text = f"count {state['count']}"

    @win.on("click", "#inc")
    def inc(e):
        state["count"] += 1
        win.select("#shown").text = f"count {state['count']} from {e.window}"
        dom.select("#out").text = f"main sees {state['count']}"

    @win.on_close
    async def asked():
        state["asked"] += 1
        dom.select("#asked").text = f"asked {state['asked']}"
        return state["asked"] > 1  # the user's first close is vetoed

    @win.on("input", "#field")
    def typed(e):
        dom.select("#typed").text = f"typed in {e.window}: {e.value}"

    value = await win.select("#field").get("value")
    dom.select("#read").text = f"read {value}"
    dom.select("#listed").text = ",".join(w["id"] for w in await windows.placement())
    await win.set_title("Settings 2")
    state["opened"] += 1
    if state["opened"] == 1:  # the next window of this page opens at this size by itself
        await win.resize(520, 360)


@dom.on("click", "#focus")
async def focus_second(event):
    await windows.all()[1].maximize()
    await windows.main.focus()
    await windows.all()[1].focus()  # to the front, and still maximized


focus_log = []


@windows.on("focused")
def focused(event):
    focus_log.append(event.window.id)
    dom.select("#focused").text = "focused " + " ".join(focus_log)


@dom.on("click", "#bump")
def bump(event):
    state["count"] += 10


@dom.on("click", "#bad")
async def bad(event):
    try:
        await windows.open("nope.html")
    except ValueError as exc:
        dom.select("#error").text = f"ValueError: {exc}"


@dom.on("click", "#close")
async def close_others(event):
    for window in windows.all():
        if window is not windows.main:
            await window.close()


@windows.on("closed")
def closed(event):
    left = ",".join(w.id for w in windows.all())
    dom.select("#closed").text = f"closed {event.window.id} (left: {left})"


@windows.on("resized")
def resized(event):
    if event.window is not windows.main:
        dom.select("#size").text = f"{event.window.id} {event.width}x{event.height}"
'''

UI = ('<!doctype html><html><head><title>main</title></head><body><h1>Main</h1>'
      + "".join(f'<button id="{b}">{b}</button>' for b in ("open", "focus", "bump", "bad", "close"))
      + "".join(f'<p id="{p}"></p>' for p in ("out", "read", "listed", "size", "typed", "error",
                                              "closed", "focused", "asked"))
      + '</body></html>')
SETTINGS = ('<!doctype html><html><head><title>settings</title>'
            '<style>body{background:#fde68a;font:20px sans-serif}</style></head><body>'
            '<h1>Settings</h1><p id="shown">static</p><button id="inc">inc</button>'
            '<input id="field" value="preset"></body></html>')


@pytest.mark.parametrize("engine", ["qt", "gtk"])
def test_a_second_window_runs_on_the_one_python(engine: str, tmp_path: Path, xvfb: str,
                                                artifacts: Path) -> None:
    app_dir = write_app(tmp_path / "two", APP, ui=UI, name="two",
                        files={"ui/settings.html": SETTINGS})
    shot = artifacts / f"windows-two-{engine}.png"
    shot.unlink(missing_ok=True)
    env = dict(os.environ, DISPLAY=xvfb, XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_STATE_HOME=str(tmp_path / "state"))
    proc = subprocess.run([sys.executable, str(HARNESS), str(app_dir), engine, str(shot)],
                          env=env, capture_output=True, text=True, timeout=300)
    found = findings(proc)
    assert found["state"] == "ready"
    assert found["second_shown"] == "count 0"  # Python wrote into the second window
    assert found["second_has_worker"] == "number"  # loader.mjs runs there...
    assert found["second_state"] == "ready"  # ...with the relay in the worker's place
    assert found["read"] == "read preset"  # a read of the second window's live DOM
    assert found["listed"] == "main,w1"
    assert found["title"] == "Settings 2"
    assert found["resized"] == "w1 520x360"  # the host's resize, heard as an event
    assert found["second_after"] == "count 1 from w1"  # its click ran the one Python
    assert found["main_after"] == "main sees 1"  # which wrote to both windows
    assert found["second_after_bump"] == "count 12 from w1"  # one state for both
    assert found["input_seen"] == "typed in w1: typed"
    assert found["focused"].endswith(" w1")  # focus(), heard back from the page
    if engine == "qt":  # (GTK asks a window manager to maximize; Xvfb runs none)
        assert found["maximized_after_focus"] is True
    assert found["bad_page"].startswith("ValueError: there is no page 'nope.html'")
    assert found["vetoed"] == ["asked 1", 2]  # on_close said no: the window stayed
    assert found["closed"] == "closed w1 (left: main)"  # Python's close() is not asked
    assert found["windows_after_close"] == 1 and found["asked_after_close"] == "asked 1"
    assert found["reopened_id"] == "main,w2"
    assert found["reopened_size"] == [520, 360]  # asked for 400x300: kept from the last one
    assert_real_picture(shot)

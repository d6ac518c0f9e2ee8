"""Native menus in real pywebview windows under Xvfb, on QtWebEngine and WebKitGTK: items
run the app's Python through the engine's own activation and through their keyboard
accelerator, state set in Python shows in the native widgets, roles run natively."""

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
HARNESS = Path(__file__).with_name("menu_harness.py")

MENU_APP = '''
from pyshell import app, dom, menus, windows
from pyshell.menus import Check, Item, Menu, Radio, Separator

saves = 0


def save(click):
    global saves
    saves += 1
    dom.select("#out").text = f"saved {saves} in {click.window}"


async def new_window():
    await windows.open("second.html", title="second", width=500, height=300)
    dom.select("#out").text = "opened"


def enable(click):
    menus.item("save").enabled = True
    menus.item("wrap").checked = False
    dom.select("#out").text = "enabled"


def wrap(click):
    dom.select("#out").text = f"wrap {click.checked}"


async def theme(click):
    light = menus.item("light").checked
    dom.select("#out").text = f"theme {click.item.id}, light checked: {light}"


menus.bar(
    Menu("File",
         Item("Save", save, id="save", accel="mod+s", enabled=False),
         Item("Enable saving", enable, id="enable"),
         Item("New window", new_window, id="new-window"),
         Separator(),
         Item(role="quit", id="quit")),
    Menu("Edit", Item(role="select-all", id="select-all"), Item(role="copy"),
         Item(role="paste")),
    Menu("View",
         Check("Word wrap", wrap, id="wrap", checked=True),
         Menu("Theme", Radio("Light", theme, id="light", group="t", checked=True),
              Radio("Dark", theme, id="dark", group="t"))),
)


def delete(click):
    dom.select("#out").text = (f"delete {click.target.target_id} {click.target.data['n']}"
                               f" in {click.window}")


menus.context("#items li", Menu("", Item("Delete", delete, id="delete")))


@app.on_quit
def bye():
    print("on_quit ran (v1)")


def main():
    dom.select("#out").text = "ready"
'''

UI = ('<!doctype html><html><head><title>menus</title></head><body>'
      '<main style="margin-left:420px"><h1>Menus</h1><textarea id="text">hello</textarea>'
      '<p id="out">static</p><ul id="items"><li id="first" data-n="1">First</li></ul>'
      '</main></body></html>')


@pytest.mark.parametrize("engine", ["qt", "gtk"])
def test_menus_in_a_window(engine: str, tmp_path: Path, xvfb: str, artifacts: Path) -> None:
    app_dir = write_app(tmp_path / "menus", MENU_APP, ui=UI, name="menus")
    (app_dir / "ui" / "second.html").write_text(
        '<!doctype html><html><head><title>second</title></head><body><p>second</p>'
        '<ul id="items"><li id="first" data-n="1">First</li></ul></body></html>')
    shot = artifacts / f"menu-open-{engine}.png"
    context_shot = artifacts / f"menu-context-{engine}.png"
    for old in (shot, context_shot):
        old.unlink(missing_ok=True)
    env = dict(os.environ, DISPLAY=xvfb, XDG_DATA_HOME=str(tmp_path / "data"))
    proc = subprocess.run([sys.executable, str(HARNESS), str(app_dir), engine, str(shot),
                           str(context_shot)],
                          env=env, capture_output=True, text=True, timeout=300)
    found = findings(proc)
    assert found["state"] == "ready", proc.stderr[-3000:]
    assert found["save_before"] == [False, False]  # declared disabled
    assert found["out_enable"] == "enabled"  # the engine's activation ran Python...
    assert found["save_after"] == [True, False]  # ...whose changes show natively
    assert found["wrap_after"] == [True, False]
    assert found["out_wrap"] == "wrap True"  # a click checks it, and Python knows
    assert found["out_dark"] == "theme dark, light checked: False"
    assert found["light_native"] == [True, False]
    assert found["out_accel"] == "saved 1 in main", proc.stderr[-3000:]  # ctrl+s in a field
    assert found["typed_s"] == "hello"  # the accelerator did not type into the page
    assert found["selected"] == len("hello")  # the select-all role ran in the web view
    assert found["context_open"] is True  # a right-click in the page opened it natively
    assert found["out_context"] == "delete first 1 in main"  # it knows what was clicked
    # A window the app opened shows the same menu bar, with the check marks as they are...
    assert found["second_wrap"] == [True, True]
    assert found["out_second_wrap"] == "wrap False"  # ...a click there runs the handler...
    assert found["main_wrap_after"] == [True, False]  # ...and shows in the main window too
    assert found["out_second_accel"] == "saved 2 in w1"  # its accelerator: it knows where
    assert found["second_context"] == "delete first 1 in w1"  # its context menus too
    assert found["out_accel_back"] == "saved 3 in main"  # closed: the main window's again
    assert found["label_after_reload"] == "Allow saving"  # pyshell dev: the new menu
    assert "on_quit ran (v2)" in proc.stdout + proc.stderr  # quit: the normal close
    assert_real_picture(shot)
    assert_not_blank(context_shot)  # a plain page and a one-item menu: a small PNG


def assert_not_blank(path: Path) -> None:
    spread = subprocess.run(["convert", str(path), "-format", "%[fx:standard_deviation]", "info:"],
                            capture_output=True, text=True, check=True).stdout
    assert float(spread) > 0.05, f"{path} looks blank ({spread})"

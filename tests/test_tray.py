"""The app's tray icon: a real StatusNotifierItem and dbusmenu on a private session bus
(``dbus-run-session``), with a stand-in tray of the tests' own (tests/tray_watcher.py: the
desktop is the edge). The tests play the panel with ordinary D-Bus calls: they read the
icon's properties and its menu, and click them; the app's Python runs in Chromium and in
real Qt and GTK windows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_notifications import session_bus, stop

from kit import REPO
from kit.apps import write_app
from kit.panel import Panel
from kit.procs import findings
from kit.waits import poll
from pyshell import config, permissions
from pyshell.menumodel import parse_model
from pyshell.trayicon import MENU_PATH, TrayIcon

WATCHER = REPO / "tests" / "tray_watcher.py"
NOTIFICATIONS_ONLY = REPO / "tests" / "notification_server.py"  # a bus with no tray on it


@pytest.fixture
def panel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Panel]:
    record = tmp_path / "registered.jsonl"
    proc, address = session_bus([sys.executable, str(WATCHER), str(record)])
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
    yield Panel(address, record)
    stop(proc)


MODEL = {"tray": [
    {"kind": "item", "id": "open", "label": "Open notes"},
    {"kind": "separator"},
    {"kind": "check", "id": "wrap", "label": "Word wrap", "checked": True},
    {"kind": "submenu", "label": "Theme", "items": [
        {"kind": "radio", "id": "light", "label": "Light", "group": "t", "checked": True},
        {"kind": "radio", "id": "dark", "label": "Dark", "group": "t"}]},
    {"kind": "item", "id": "off", "label": "Archived", "enabled": False},
    {"kind": "item", "id": "quit", "label": "Quit", "role": "quit"}]}


def test_the_icon_and_its_menu_as_a_panel_sees_them(panel: Panel, tmp_path: Path) -> None:
    clicks: list[tuple[str, bool]] = []
    activations: list[int] = []
    said: list[str] = []
    icon_file = tmp_path / "ui" / "tray.png"
    icon_file.parent.mkdir()
    icon_file.write_bytes(b"\x89PNG\r\n\x1a\n")
    icon = TrayIcon("notes", lambda e, c: clicks.append((e.id, c)),
                    lambda: activations.append(1), said.append)
    assert icon.show(icon_file, "Notes: 3 open") is True
    icon.set_entries(parse_model(MODEL).tray)
    assert panel.service == f"org.kde.StatusNotifierItem-{os.getpid()}-1"
    props = panel.props()
    assert props["ToolTip"][2] == "Notes: 3 open" and props["Id"] == "notes"
    assert (props["IconName"], props["IconThemePath"]) == ("tray", str(icon_file.parent))
    assert props["Menu"] == MENU_PATH and props["Status"] == "Active"
    menu = panel.menu()
    assert [e.get("label", e.get("type")) for e in menu] == [
        "Open notes", "separator", "Word wrap", "Theme", "Archived", "Quit"]
    assert menu[2]["toggle-type"] == "checkmark" and menu[2]["toggle-state"] == 1
    assert menu[3]["children-display"] == "submenu"
    assert [(c["label"], c["toggle-type"], c["toggle-state"]) for c in menu[3]["children"]] == [
        ("Light", "radio", 1), ("Dark", "radio", 0)]
    assert menu[4]["enabled"] is False
    panel.click("Open notes")
    panel.click("Word wrap")  # unchecks it
    panel.click("Dark")  # checks it, and unchecks Light
    panel.click("Archived")  # disabled: nothing
    poll(lambda: len(clicks) == 3, 10)
    assert clicks == [("open", False), ("wrap", False), ("dark", True)]
    after = panel.menu()
    assert after[2]["toggle-state"] == 0
    assert [c["toggle-state"] for c in after[3]["children"]] == [0, 1]
    panel.activate()
    poll(lambda: activations == [1], 10)
    icon.show(None, "Notes: 2 open")  # changed in place
    assert panel.props()["ToolTip"][2] == "Notes: 2 open"
    assert panel.props()["IconName"] == "application-x-executable"
    icon.hide()
    assert poll(lambda: not panel.owned(panel.service), 10)
    assert said == []


def test_no_tray_on_the_desktop_is_said_once_and_no_error(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    proc, address = session_bus([sys.executable, str(NOTIFICATIONS_ONLY),
                                 str(tmp_path / "n.jsonl")])
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
    said: list[str] = []
    try:
        icon = TrayIcon("notes", lambda e, c: None, lambda: None, said.append)
        assert icon.show(None, "") is False
        assert icon.show(None, "") is False
    finally:
        stop(proc)
    assert said == ["pyshell: the app's tray icon is not shown: the desktop has no tray "
                    "(no StatusNotifierWatcher on the session bus)"]


def test_the_declaration_is_read_and_summarised(tmp_path: Path) -> None:
    app = config.load(write_app(tmp_path / "t", extra_toml="[tool.pyshell.permissions]\n"
                                                          "tray = true\n"))
    assert app.tray and "  shows  an icon in the desktop's tray" in permissions.summary(app)
    assert not config.load(write_app(tmp_path / "u")).tray


# ---- the app's Python ------------------------------------------------------------------------------
APP = '''
from pyshell import dom, menus, tray
from pyshell.menus import Check, Item, Menu


def note(text):
    dom.select("#out").text = text


async def main():
    try:
        shown = await tray.show(
            Menu("", Item("Open notes", lambda: note("opened")),
                 Check("Word wrap", lambda click: note(f"wrap {click.checked}"))),
            tooltip="Notes", icon="tray.png", on_activate=lambda: note("activated"))
    except PermissionError as exc:
        note(f"PermissionError: {exc}")
        return
    try:
        await tray.show(icon="../pyproject.toml")
    except ValueError as exc:
        note(f"shown {shown}; ValueError: {exc}")
'''


@pytest.mark.page
@pytest.mark.parametrize("declared", [True, False])
def test_the_apps_python_runs_from_the_tray(panel: Panel, tmp_path: Path, pyshell_browser: Any,
                                            declared: bool) -> None:
    from playwright.sync_api import expect

    from kit.apps import open_app

    toml = "[tool.pyshell.permissions]\ntray = true\n" if declared else ""
    app = write_app(tmp_path / "app", APP, toml, files={"ui/tray.png": "png"})
    with open_app(pyshell_browser, app, {"appdata": tmp_path / "appdata"}) as opened:
        out = opened.page.locator("#out")
        if not declared:
            expect(out).to_have_text("PermissionError: the app may not show a tray icon; add "
                                     "[tool.pyshell.permissions] tray = true")
            assert panel.registered() == []
            return
        expect(out).to_have_text("shown True; ValueError: the tray icon is a .png or .svg "
                                 "file of the app's ui/ folder, not '../pyproject.toml'")
        poll(lambda: "Open notes" in json.dumps(panel.menu()), 10)
        panel.click("Open notes")
        expect(out).to_have_text("opened")
        panel.click("Word wrap")
        expect(out).to_have_text("wrap True")
        panel.activate()
        expect(out).to_have_text("activated")


KEEP_APP = '''
from pyshell import app, dom, tray
from pyshell.menus import Item, Menu


@app.on_quit
def bye():
    print("on_quit ran")


async def main():
    await tray.show(Menu("", Item(role="quit")), tooltip="Keeps running")
    dom.select("#out").text = "ready"
'''
HARNESS = Path(__file__).with_name("tray_harness.py")


@pytest.mark.window
@pytest.mark.parametrize("engine", ["qt", "gtk"])
def test_with_a_tray_icon_closing_the_window_hides_it(engine: str, panel: Panel,
                                                      tmp_path: Path, xvfb: str) -> None:
    """The user's close hides the window and the app runs on; a click on the icon shows it
    again; the tray menu's Quit quits the normal way (on_quit)."""
    app_dir = write_app(tmp_path / "keep", KEEP_APP, "[tool.pyshell.permissions]\ntray = true\n",
                        name="keep")
    env = dict(os.environ, DISPLAY=xvfb, XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_STATE_HOME=str(tmp_path / "state"))
    proc = subprocess.run([sys.executable, str(HARNESS), str(app_dir), engine,
                           str(panel.record)], env=env, capture_output=True, text=True,
                          timeout=300)
    found = findings(proc)
    assert found["state"] == "ready"
    assert found["visible_before"] is True
    assert found["visible_after_close"] is False  # hidden, not closed...
    assert found["windows_after_close"] == 1  # ...and the app runs on
    assert found["visible_after_activate"] is True
    assert "on_quit ran" in proc.stdout + proc.stderr  # the tray's Quit: the normal close

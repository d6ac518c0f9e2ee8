"""Native menus without a window: the worker's API (pyshell.menus, on the host with a
recording bridge), the model the host checks (menumodel), the route, and dev reloads.
The native widgets themselves are driven in tests/test_menus_window.py."""

from __future__ import annotations

import json
import re
import sys
import types
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from kit.apps import host_package, write_app
from kit.loops import run
from pyshell import bootstrap, config, dom, menumodel, menus
from pyshell.engines.gtk import gtk_accelerator
from pyshell.engines.qt import qt_shortcut
from pyshell.menumodel import MenuError, parse_accel, parse_model
from pyshell.menus import Check, Item, Menu, Radio, Separator
from pyshell.routes.menus import Menus
from pyshell.testing import app_server
from pyshell.transport import RecordingTransport


@pytest.fixture
def bridge(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """What the worker would send the host, decoded; the menus start empty."""
    sent: list[dict[str, Any]] = []
    fake = types.ModuleType("_pyshell_js")
    fake.menu = lambda text: sent.append(json.loads(text))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "_pyshell_js", fake)
    dom.use_transport(RecordingTransport())
    menus.reset()
    yield sent
    menus.reset()
    dom.use_transport(None)


def model(sent: list[dict[str, Any]]) -> menumodel.MenuModel:
    """The last model sent, as the host reads it (its checks included)."""
    return parse_model([s for s in sent if "model" in s][-1]["model"])


def declare() -> list[str]:
    clicks: list[str] = []

    def save() -> None:
        clicks.append("save")

    async def wrap(click: menus.Click) -> None:
        clicks.append(f"wrap {click.checked}")

    menus.bar(
        Menu("File", Item("Save", save, id="save", accel="mod+s", enabled=False), Separator(),
             Item(role="quit")),
        Menu("View", Check("Wrap", wrap, id="wrap", checked=True),
             Menu("Theme", Radio("Light", id="light", group="t", checked=True),
                  Radio("Dark", lambda c: clicks.append(c.item.id), id="dark", group="t"))))
    return clicks


def test_what_python_declares_is_what_the_host_builds(bridge: list[dict[str, Any]]) -> None:
    declare()
    menus.send()
    bar = model(bridge).bar
    assert [m.label for m in bar] == ["File", "View"]
    save, separator, quit_ = bar[0].items
    assert (save.id, save.enabled, save.accel) == ("save", False, menumodel.Accel("s", primary=True))
    assert separator.kind == "separator"
    assert (quit_.role, quit_.label, quit_.accel) == ("quit", "Quit", parse_accel("mod+q"))
    theme = bar[1].items[1]
    assert [(e.kind, e.id, e.checked, e.group) for e in theme.items] == [
        ("radio", "light", True, "t"), ("radio", "dark", False, "t")]


def test_clicks_run_handlers_and_state_changes_are_sent(bridge: list[dict[str, Any]]) -> None:
    clicks = declare()
    run(menus.dispatch("save", False))
    run(menus.dispatch("wrap", False))  # the native check mark went off
    run(menus.dispatch("dark", True))
    assert clicks == ["save", "wrap False", "dark"]
    assert menus.item("wrap").checked is False
    assert menus.item("light").checked is False  # its group's other item was clicked
    menus.item("save").enabled = True
    menus.item("light").checked = True  # and back: dark goes off
    menus.send()
    found = model(bridge)
    assert found.find("save").enabled is True  # type: ignore[union-attr]
    assert found.find("light").checked and not found.find("dark").checked  # type: ignore[union-attr]
    run(menus.dispatch("no-such-item", False))  # a click from an older menu: nothing


@pytest.mark.parametrize(("declaration", "message"), [
    (lambda: Item(role="print"), "unknown menu role 'print'; use one of quit, about"),
    (lambda: Item("Save", accel="mod+sve"), "unknown key 'sve' in menu accelerator 'mod+sve'"),
    (lambda: Item("Save", accel="cmd+s"), "unknown modifier 'cmd' in menu accelerator 'cmd+s'"),
    (lambda: Item("Save", accel=""), "a menu accelerator is a string such as 'mod+s', not ''"),
    (lambda: Item("Next", accel="shift+n"),
     "menu accelerator 'shift+n' would take that key from every text field in the page"),
    (lambda: Item(), "a menu item needs a label (or a role)"),
    (lambda: Item(role="quit", on=print), "the 'quit' role runs natively: give on= or role="),
    (lambda: menus.bar(Menu("A", Item("x", id="x")), Menu("B", Item("y", id="x"))),
     "two menu items have id='x'"),
    (lambda: menus.item("nope"), "no menu item has id='nope'"),
])
def test_mistakes_are_one_line_at_declaration(bridge: list[dict[str, Any]], declaration: Any,
                                              message: str) -> None:
    with pytest.raises((ValueError, KeyError)) as caught:
        declaration()
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_the_host_checks_the_model_again() -> None:
    good = {"kind": "item", "id": "a", "label": "A"}
    with pytest.raises(MenuError, match=re.escape("unknown menu role 'format-disk'")):
        parse_model({"bar": [{"kind": "submenu", "label": "F",
                              "items": [{**good, "role": "format-disk"}]}]})
    with pytest.raises(MenuError, match=re.escape(
            "context menu 'x': unknown key 'hyper' in menu accelerator 'ctrl+hyper'")):
        parse_model({"context": {"x": [{**good, "accel": "ctrl+hyper"}]}})
    with pytest.raises(MenuError, match=re.escape("the menu bar holds menus, not a item")):
        parse_model({"bar": [good]})
    with pytest.raises(MenuError, match=re.escape("two menu items have the id 'a'")):
        parse_model({"context": {"x": [good], "y": [good]}})
    with pytest.raises(MenuError, match=re.escape("menu accelerator 'delete' would take")):
        parse_model({"context": {"x": [{**good, "accel": "delete"}]}})
    with pytest.raises(MenuError, match=re.escape("enabled is true or false, not 'yes'")):
        parse_model({"context": {"x": [{**good, "enabled": "yes"}]}})
    with pytest.raises(MenuError, match=re.escape("at most 2000 entries")):
        parse_model({"context": {"x": [{"kind": "separator"}] * 2001}})


def test_worker_and_host_know_the_same_keys_and_roles() -> None:
    assert menus.MODIFIERS == menumodel.MODIFIERS
    assert menus.NAMED_KEYS == menumodel.NAMED_KEYS
    assert menus.FUNCTION_KEYS == menumodel.FUNCTION_KEYS
    assert menus.PUNCTUATION == menumodel.PUNCTUATION
    assert menus.KEY_NAMES == menumodel.KEY_NAMES
    assert set(menumodel.KEY_NAMES.values()) == set(menumodel.PUNCTUATION)
    assert set(menus.ROLES) == set(menumodel.ROLES)


@pytest.mark.parametrize(("accel", "qt", "gtk"), [
    ("mod+s", "Ctrl+S", "<Primary>s"),
    ("mod+shift+z", "Ctrl+Shift+Z", "<Primary><Shift>z"),
    ("alt+enter", "Alt+Return", "<Alt>Return"),
    ("f5", "F5", "F5"),
    ("ctrl+,", "Ctrl+,", "<Control>comma"),
    ("mod+comma", "Ctrl+,", "<Primary>comma"),  # a punctuation key by its name
    ("mod+shift+BracketLeft", "Ctrl+Shift+[", "<Primary><Shift>bracketleft"),
    ("mod++", "Ctrl++", "<Primary>plus"),
])
def test_accelerators_in_each_toolkits_spelling(accel: str, qt: str, gtk: str) -> None:
    parsed = parse_accel(accel)
    assert menus.check_accel(accel) == accel
    assert (qt_shortcut(parsed), gtk_accelerator(parsed)) == (qt, gtk)


MENU_APP = '''
from pyshell import dom, menus
from pyshell.menus import Item, Menu

def save():
    dom.select("#out").text = "{version} saved"

{declaration}
'''
BAR = 'menus.bar(Menu("File", Item("{label}", save, id="save")))'
CONTEXT = 'menus.context("#list li", Menu("", Item("Delete", save, id="delete")))'


def test_dev_reload_replaces_the_menus(bridge: list[dict[str, Any]], tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    page = RecordingTransport()
    source = MENU_APP.format(version="v1", declaration=BAR.format(label="Save") + "\n" + CONTEXT)
    main = host_package(tmp_path, monkeypatch, "menuapp", source)
    try:
        assert run(bootstrap.start("menuapp.main", page))
        assert model(bridge).find("save").label == "Save"  # type: ignore[union-attr]
        assert ["listen", "pyshell.menus:context.<locals>.open_context_menu:contextmenu:#list li",
                "contextmenu", "#list li", [], True, None] in page.ops
        # The bar declared anew: the new one replaces the old, its handler the new code.
        main.write_text(MENU_APP.format(version="v2", declaration=BAR.format(label="Keep")))
        assert run(bootstrap.reload(["menuapp.main"])) is True
        menus.send()
        found = model(bridge)
        assert found.find("save").label == "Keep"  # type: ignore[union-attr]
        assert found.context == {}  # no longer declared: gone, and its listener with it
        assert ["unlisten", "pyshell.menus:context.<locals>.open_context_menu:contextmenu:"
                "#list li"] in page.ops
        run(bootstrap.menu_click("save", False))
        assert ["set", {"sel": "#out"}, "textContent", "v2 saved"] in page.ops
        # A reload that fails keeps the menus; one without any declaration removes them.
        main.write_text("raise RuntimeError('half')\n")
        assert run(bootstrap.reload(["menuapp.main"])) is False
        assert menus.item("save").label == "Keep"
        main.write_text(MENU_APP.format(version="v3", declaration=""))
        assert run(bootstrap.reload(["menuapp.main"])) is True
        menus.send()
        assert model(bridge).bar == ()
    finally:
        for name in ("menuapp.main", "menuapp"):
            sys.modules.pop(name, None)


def test_a_failing_handler_is_shown(bridge: list[dict[str, Any]]) -> None:
    page = RecordingTransport()
    dom.use_transport(page)

    def broken() -> None:
        raise RuntimeError("menu broke")

    menus.bar(Menu("File", Item("Broken", broken, id="broken")))
    run(bootstrap.menu_click("broken", False))
    assert "RuntimeError: menu broke" in page.errors[0]


class FakeEngine:
    name = "qt"
    menus = True

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def set_menu(self, window: Any, bar: Any, on_click: Any) -> None:
        self.calls.append(("set_menu", bar))

    def popup_menu(self, window: Any, entries: Any, on_click: Any) -> None:
        self.calls.append(("popup", entries))

    def edit(self, window: Any, role: str) -> None:
        self.calls.append(("edit", role))

    def about(self, window: Any, title: str, text: str) -> None:
        self.calls.append(("about", (title, text)))


class FakeWindow:
    def __init__(self) -> None:
        self.scripts: list[str] = []

    def run_js(self, script: str) -> None:
        self.scripts.append(script)


def test_roles_run_natively_and_other_clicks_go_to_the_page() -> None:
    said: list[str] = []
    quits: list[bool] = []
    host = Menus(said.append, ("Notes", "Notes 1.0"), lambda: quits.append(True))
    engine, window = FakeEngine(), FakeWindow()
    host.attach(engine, window)  # type: ignore[arg-type]
    host.show(parse_model({}))  # an app without menus: nothing is built
    assert engine.calls == []
    host.show(parse_model({"bar": [{"kind": "submenu", "label": "F", "items": [
        {"kind": "item", "id": "q", "role": "quit"}, {"kind": "item", "id": "c", "role": "copy"},
        {"kind": "item", "id": "a", "role": "about"},
        {"kind": "check", "id": "w", "label": "Wrap"}]}]}))
    built = [call for call in engine.calls if call[0] == "set_menu"]
    unchecked = host.model
    for entry in host.model.bar[0].items:
        host.clicked(entry, True)
    assert host.model.find("w") == replace(unchecked.find("w"), checked=True)
    host.show(host.model)  # the app's Python agrees with the click: nothing to build
    assert len([call for call in engine.calls if call[0] == "set_menu"]) == len(built)
    host.show(unchecked)  # its handler unchecked it again: built with that
    assert len([call for call in engine.calls if call[0] == "set_menu"]) == len(built) + 1
    assert quits == [True]
    assert ("edit", "copy") in engine.calls and ("about", ("Notes", "Notes 1.0")) in engine.calls
    from kit.waits import wait_until

    wait_until(lambda: window.scripts, 5, "the page told")
    assert window.scripts == ["document.dispatchEvent(new CustomEvent('pyshell:menu', "
                              "{detail: {\"item\": \"w\", \"checked\": true}})), true"]
    assert said == []


def test_the_route_refuses_bad_models_and_browser_mode_says_so_once(
        tmp_path: Path, pyshell_folders: dict[str, Path]) -> None:
    app = config.load(write_app(tmp_path / "m", name="m"))
    logs: list[tuple[str, str]] = []
    with app_server(app, pyshell_folders, log=lambda s, t: logs.append((s, t))) as server:
        def post(body: object) -> tuple[int, Any]:
            request = urllib.request.Request(
                server.url + "_pyshell/api/menu", data=json.dumps(body).encode(),
                headers={**server.credentials(), "content-type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    return response.status, json.loads(response.read())
            except urllib.error.HTTPError as err:
                return err.code, None

        assert post({"model": {"bar": [], "context": {}}}) == (200, {"ok": True})
        assert logs == []  # no menus, nothing to say
        assert post({"model": {"bar": [{"kind": "submenu", "label": "F", "items": [
            {"kind": "item", "id": "x", "label": "X", "role": "reboot"}]}]}}) == (
            200, {"error": "menu 'F': unknown menu role 'reboot'; use quit, about, undo, "
                           "redo, cut, copy, paste, select-all"})
        menu = {"bar": [{"kind": "submenu", "label": "F",
                         "items": [{"kind": "item", "id": "x", "label": "X"}]}]}
        assert post({"model": menu}) == (200, {"ok": True})
        assert post({"model": menu}) == (200, {"ok": True})
        assert logs == [("stderr", "pyshell: the app's menus are not shown: there is no "
                                   "window (--browser)")]
        assert post({"popup": "nope"}) == (200, {"error": "no context menu 'nope' was declared"})
        assert post(["junk"])[0] == 400


def test_every_window_shows_the_menu_bar_and_says_where_it_was_clicked() -> None:
    host = Menus(lambda line: None, ("Notes", "Notes 1.0"), lambda: None)
    engine, main, second = FakeEngine(), FakeWindow(), FakeWindow()
    built_in: list[Any] = []
    engine.set_menu = lambda window, bar, on_click: built_in.append(window)  # type: ignore[method-assign]
    host.attach(engine, main)  # type: ignore[arg-type]
    host.window_changed("w1", second)  # shown before the app declared menus: none yet
    assert built_in == []
    host.show(parse_model({"bar": [{"kind": "submenu", "label": "V", "items": [
        {"kind": "item", "id": "s", "label": "Save"},
        {"kind": "radio", "id": "a", "label": "A", "group": "g", "checked": True},
        {"kind": "radio", "id": "b", "label": "B", "group": "g"}]}]}))
    assert built_in == [main, second]
    third = FakeWindow()
    host.window_changed("w2", third)  # a window shown later gets the bar as it is
    assert built_in[2:] == [third]
    save, _, b = host.model.bar[0].items
    host.clicked(b, True, "w1")  # its own marks moved; the other windows are built again
    assert built_in[3:] == [main, third]
    assert [e.checked for e in host.model.bar[0].items] == [False, False, True]
    host.clicked(save, False, "w2")  # the page of the window it was clicked in is told
    from kit.waits import wait_until

    wait_until(lambda: third.scripts and second.scripts, 5, "the windows' pages told")
    assert main.scripts == []
    assert ['"item": "b"' in second.scripts[0], '"item": "s"' in third.scripts[0]] == [True, True]
    host.window_changed("w1", None)  # closed: no longer built
    host.show(parse_model({}))
    assert built_in[5:] == [main, third]


def test_a_check_in_a_context_menu_builds_no_menu_bar() -> None:
    host = Menus(lambda line: None, ("Notes", "Notes 1.0"), lambda: None)
    engine, main, second = FakeEngine(), FakeWindow(), FakeWindow()
    host.attach(engine, main)  # type: ignore[arg-type]
    host.window_changed("w1", second)
    host.show(parse_model({
        "bar": [{"kind": "submenu", "label": "V", "items": [
            {"kind": "check", "id": "wrap", "label": "Wrap"}]}],
        "context": {"cell": [{"kind": "check", "id": "bold", "label": "Bold"}]}}))
    bars = [call for call in engine.calls if call[0] == "set_menu"]
    assert len(bars) == 2
    host.popup("cell", "w1")
    host.clicked(host.model.context["cell"][0], True, "w1", in_bar=False)
    assert host.model.context["cell"][0].checked
    assert [call for call in engine.calls if call[0] == "set_menu"] == bars  # none again
    host.clicked(host.model.bar[0].items[0], True, "w1")  # in a bar: the other one is built
    assert [call[0] for call in engine.calls[-1:]] == ["set_menu"]
    assert len([call for call in engine.calls if call[0] == "set_menu"]) == 3


def test_context_menus_listen_in_every_windows_page(bridge: list[dict[str, Any]],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A context menu is declared once and opens in the page of every window, those open
    then and those opened later; the right-click's window goes with the popup request."""
    from pyshell import windows

    page = RecordingTransport()
    dom.use_transport(page)
    monkeypatch.setitem(windows._open, "w1", windows.Window("w1"))
    menus.context("#list li", Menu("", Item("Delete", lambda: None, id="delete")))
    opener = "pyshell.menus:context.<locals>.open_context_menu:contextmenu:#list li"
    dom.flush()
    assert ["listen", opener, "contextmenu", "#list li", [], True, None] in page.ops
    sent_to = {w: [op for batch in b for op in batch] for w, b in page.window_batches.items()}
    assert ["listen", f"{opener}@w1", "contextmenu", "#list li", [], True, None] in sent_to["w1"]
    menus._window_opened("w2")  # opened later: what windows.open runs once it is ready
    dom.flush()
    assert ["listen", f"{opener}@w2", "contextmenu", "#list li", [], True, None] in [
        op for batch in page.window_batches["w2"] for op in batch]
    run(dom._handlers[f"{opener}@w2"](dom.Event(type="contextmenu", window="w2")))
    assert bridge[-1] == {"popup": "#list li", "window": "w2"}
    menus.context("#list li", None)  # removed: from every page
    dom.flush()
    assert ["unlisten", f"{opener}@w1"] in [op for b in page.window_batches["w1"] for op in b]
    assert ["unlisten", opener] in page.ops

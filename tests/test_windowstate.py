"""The window's size and place between launches: the saved file, read back whatever it
holds, and fitted to the screens of the day. The real window's round trip is
tests/test_desktop_window.py's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kit.apps import write_app
from pyshell import config, windowstate
from pyshell.errors import PyshellError
from pyshell.windowstate import Area, Placement

SCREEN = [Area(0, 0, 1280, 800)]
TWO_SCREENS = [Area(0, 0, 1280, 800), Area(1280, 0, 1920, 1080)]


def test_saved_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "state" / "app" / "window.json"
    windowstate.save(path, Placement(700, 500, 120, 90, maximized=True))
    assert windowstate.load(path) == Placement(700, 500, 120, 90, maximized=True)


@pytest.mark.parametrize("text", ["", "{", "[]", '{"width": 700}', '{"width": "700", '
                                  '"height": 500, "x": 0, "y": 0}', "\udcff",
                                  '{"width": 7, "height": 5, "x": 0, "y": 0, "maximized": 1}'])
def test_a_damaged_file_is_no_placement(tmp_path: Path, text: str) -> None:
    path = tmp_path / "window.json"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    assert windowstate.load(path) is None
    assert windowstate.load(tmp_path / "missing.json") is None


@pytest.mark.parametrize(("saved", "screens", "fitted"), [
    # on screen: kept as it was
    (Placement(700, 500, 120, 90), SCREEN, Placement(700, 500, 120, 90)),
    # its monitor is gone: moved onto the one there is
    (Placement(700, 500, 2000, 300), SCREEN, Placement(700, 500, 580, 300)),
    # larger than the screen: shrunk to it, at its corner
    (Placement(3000, 2000, -50, -50), SCREEN, Placement(1280, 800, 0, 0)),
    # but never below the minimum size
    (Placement(100, 100, 10, 10), SCREEN, Placement(360, 320, 10, 10)),
    # mostly on the second screen: stays there
    (Placement(800, 600, 1200, 100), TWO_SCREENS, Placement(800, 600, 1280, 100)),
])
def test_fitted_to_the_screens(saved: Placement, screens: list[Area], fitted: Placement
                               ) -> None:
    assert windowstate.fit(saved, screens, (360, 320)) == fitted


def test_remember_is_on_unless_turned_off(tmp_path: Path) -> None:
    def load(window_toml: str) -> config.AppConfig:
        return config.load(write_app(tmp_path / "r", extra_toml="[tool.pyshell.window]\n"
                                     + window_toml, name="r"))

    assert load("").window.remember is True
    assert load("remember = false\n").window.remember is False
    with pytest.raises(PyshellError, match="remember must be true or false"):
        load('remember = "no"\n')


class Event:
    """pywebview's window event, as the tracker uses it: handlers added with +=."""

    def __init__(self) -> None:
        self.handlers: list[Any] = []

    def __iadd__(self, handler: Any) -> Event:
        self.handlers.append(handler)
        return self

    def set(self, *args: Any) -> None:
        for handler in self.handlers:
            handler(*args)


class Events:
    def __init__(self) -> None:
        self.resized, self.moved, self.maximized = Event(), Event(), Event()
        self.restored, self.closed = Event(), Event()


def test_a_maximized_window_keeps_the_place_it_restores_to(tmp_path: Path) -> None:
    path = tmp_path / "window.json"
    window = type("Window", (), {"events": Events()})()
    windowstate.Tracker(path, Placement(960, 720)).attach(window)
    window.events.moved.set(120, 90)
    window.events.resized.set(700, 500)
    window.events.maximized.set()
    window.events.resized.set(1280, 800)  # the maximized size: not the one to restore
    window.events.moved.set(0, 0)
    window.events.closed.set()
    assert windowstate.load(path) == Placement(700, 500, 120, 90, maximized=True)
    window.events.restored.set()
    window.events.resized.set(800, 600)
    window.events.closed.set()
    assert windowstate.load(path) == Placement(800, 600, 120, 90, maximized=False)

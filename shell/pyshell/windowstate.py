"""The window reopens where the user left it: size, place and maximized state, per app.

Kept in the app's state folder (``~/.local/state/APP/window.json`` on Linux, platformdirs'
``user_state_path``), outside every folder the app itself is granted: it is pyshell's, not
the app's. Written a second after the window stops moving and when it closes; read at
the next launch and fitted to the screens there are now (a monitor may have gone). A
missing or damaged file means the configured size, without a word: losing a window's
place is no reason to stop an app.
``[tool.pyshell.window] remember = false`` turns it off. The windows the app opens
(``windowmanager``) are kept the same way, one file per page they show, unless the app
opens one with ``remember=False``.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

FILE_NAME = "window.json"


@dataclass(frozen=True)
class Placement:
    """Where the window is: its outer size and top-left corner, in screen pixels."""

    width: int
    height: int
    x: int | None = None  # None: where the toolkit puts a new window
    y: int | None = None
    maximized: bool = False


@dataclass(frozen=True)
class Area:
    """One screen's rectangle."""

    x: int
    y: int
    width: int
    height: int


def state_file(app_name: str, page: str | None = None) -> Path:
    """The main window's file, or (``page``) that of the app's windows showing ``page``."""
    import platformdirs

    name = FILE_NAME if page is None else "window-" + page.replace("/", "--") + ".json"
    return platformdirs.user_state_path(app_name, appauthor=False) / name


def load(path: Path) -> Placement | None:
    """The saved placement, or None if there is none or it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        placement = Placement(**data)
    except (OSError, ValueError, TypeError):
        return None
    numbers = (placement.width, placement.height, placement.x, placement.y)
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in numbers) or \
            not isinstance(placement.maximized, bool):
        return None
    return placement


def save(path: Path, placement: Placement) -> None:
    """Replace the file whole (a crash mid-write leaves the old one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(asdict(placement)), encoding="utf-8")
    os.replace(partial, path)


def fit(placement: Placement, screens: Sequence[Area], min_size: tuple[int, int]) -> Placement:
    """``placement`` moved and shrunk to lie on one of ``screens``: the one that holds most
    of it (else the first). The size stays at least ``min_size``."""
    if not screens or placement.x is None or placement.y is None:
        return placement
    x, y = placement.x, placement.y
    screen = max(screens, key=lambda s: _overlap(s, x, y, placement.width, placement.height))
    width = max(min(placement.width, screen.width), min_size[0])
    height = max(min(placement.height, screen.height), min_size[1])
    x = min(max(x, screen.x), screen.x + screen.width - width)
    y = min(max(y, screen.y), screen.y + screen.height - height)
    return replace(placement, width=width, height=height, x=x, y=y)


def _overlap(screen: Area, x: int, y: int, width: int, height: int) -> int:
    across = min(x + width, screen.x + screen.width) - max(x, screen.x)
    down = min(y + height, screen.y + screen.height) - max(y, screen.y)
    return max(across, 0) * max(down, 0)


class Tracker:
    """Follows a pywebview window's resizes, moves and maximizing; saves once they settle
    (``SETTLE`` seconds without another, so a drag is one write; a process killed later
    keeps its place) and on close.

    While maximized, the size and place it would restore to are kept, not the maximized
    ones, so the next launch maximizes a window that un-maximizes to the right place."""

    SETTLE = 1.0

    def __init__(self, path: Path, start: Placement) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self.placement = start

    def attach(self, window: Any) -> None:
        events = window.events
        events.resized += self._resized
        events.moved += self._moved
        events.maximized += lambda: self._update(maximized=True)
        events.restored += lambda: self._update(maximized=False)
        events.closed += self.save

    def save(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            try:
                save(self._path, self.placement)
            except OSError:
                pass  # a read-only home: the next launch uses the configured size

    def _resized(self, width: int, height: int) -> None:
        self._update(width=width, height=height)

    def _moved(self, x: int, y: int) -> None:
        self._update(x=x, y=y)

    def _update(self, **changes: Any) -> None:
        with self._lock:
            if self.placement.maximized and "maximized" not in changes:
                return
            self.placement = replace(self.placement, **changes)
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(self.SETTLE, self.save)
            self._timer.daemon = True
            self._timer.start()

"""Which webview engines this machine can run, behind one interface (`Engine`).

Two families on Linux: ``qt`` (PySide6's QtWebEngine, Chromium-based, from PyPI) and
``gtk`` (WebKitGTK through Debian's python3-gi, the WebKit family of macOS's WKWebView).
On Windows and macOS the system's own webview. Adding an engine is a module with an
`Engine` subclass and one line in ``ENGINES`` (or ``NATIVE``).
"""

from __future__ import annotations

import sys

from ..errors import PyshellError
from .base import Engine, EngineStatus, Navigation
from .gtk import Gtk
from .qt import Qt
from .system import System

__all__ = ["ENGINES", "Engine", "EngineStatus", "Navigation", "choose", "get"]

# In order of preference: Qt boots Pyodide faster than WebKitGTK.
ENGINES: dict[str, Engine] = {engine.name: engine for engine in (Qt(), Gtk())}
# The one choice on Windows and macOS: the system webview.
NATIVE: dict[str, Engine] = {"win32": System("edgechromium"), "darwin": System("cocoa")}


def get(name: str) -> Engine:
    """The engine called ``name`` (as ``--gui`` spells it)."""
    if name not in ENGINES:
        raise PyshellError(f"unknown --gui {name!r}; choose one of {', '.join(ENGINES)}")
    return ENGINES[name]


def choose(requested: str | None) -> Engine:
    """The engine to use: the one asked for, else the first installed in ``ENGINES``."""
    if requested is None and sys.platform in NATIVE:
        return NATIVE[sys.platform]
    if requested is not None:
        engine = get(requested)
        if not engine.installed():
            raise PyshellError(f"the {requested} engine is not installed: "
                               f"{engine.install_hint}; `pyshell doctor` tells more")
        return engine
    for engine in ENGINES.values():
        if engine.installed():
            return engine
    hints = ", or ".join(engine.install_hint for engine in ENGINES.values())
    raise PyshellError(f"no webview engine found: {hints}; `pyshell doctor` tells more")

"""Which webview engines this machine can run, and what each one is missing.

Two families on Linux: ``qt`` (PySide6's QtWebEngine, Chromium-based, from PyPI) and
``gtk`` (WebKitGTK through Debian's python3-gi, the WebKit family of macOS's WKWebView).
"""

from __future__ import annotations

import ctypes
import importlib.util
import subprocess
import sys
from dataclasses import dataclass

from .errors import PyshellError

ENGINES = ("qt", "gtk")

# Shared libraries QtWebEngine's xcb platform loads lazily, with their Debian packages.
_QT_LIBS = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libnss3.so": "libnss3",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
}
_PROBES = {
    "qt": "import qtpy, PySide6.QtWebEngineWidgets; import PySide6; print(PySide6.__version__)",
    "gtk": ("import gi; gi.require_version('Gtk', '3.0'); gi.require_version('WebKit2', '4.1'); "
            "from gi.repository import WebKit2; "
            "print('.'.join(map(str, (WebKit2.get_major_version(), WebKit2.get_minor_version(), "
            "WebKit2.get_micro_version()))))"),
}
_INSTALL_HINT = {
    "qt": "pip install 'pyshell[qt]' (PySide6 + qtpy)",
    "gtk": "apt-get install python3-gi gir1.2-webkit2-4.1 and use a venv made with "
           "--system-site-packages",
}


@dataclass(frozen=True)
class EngineStatus:
    name: str
    usable: bool
    version: str = ""
    missing: tuple[str, ...] = ()


def probe(engine: str) -> EngineStatus:
    """Import the engine in a child process (Qt and GTK must not meet in one process)."""
    proc = subprocess.run([sys.executable, "-c", _PROBES[engine]], capture_output=True,
                          text=True, timeout=60)
    missing: list[str] = []
    if proc.returncode != 0:
        reason = (proc.stderr.strip().splitlines() or ["import failed"])[-1]
        missing.append(f"{_INSTALL_HINT[engine]} ({reason})")
    if engine == "qt":
        missing += [f"Debian package {pkg} ({lib})" for lib, pkg in _QT_LIBS.items()
                    if not _loadable(lib)]
    return EngineStatus(engine, not missing, proc.stdout.strip(), tuple(missing))


def installed(engine: str) -> bool:
    """A cheap check with no imports, used to pick the default engine at launch."""
    if engine == "qt":
        return all(importlib.util.find_spec(m) for m in ("PySide6", "qtpy"))
    return importlib.util.find_spec("gi") is not None


# On Windows and macOS the system's own webview: WebView2 and WKWebView (pywebview's names).
NATIVE = {"win32": "edgechromium", "darwin": "cocoa"}


def choose(requested: str | None) -> str:
    """The engine to use: the one asked for, else Qt (faster Pyodide boot), else GTK.

    On Windows and macOS there is one choice, the system webview.
    """
    if requested is None and sys.platform in NATIVE:
        return NATIVE[sys.platform]
    if requested is not None:
        if requested not in ENGINES:
            raise PyshellError(f"unknown --gui {requested!r}; choose one of {', '.join(ENGINES)}")
        if not installed(requested):
            raise PyshellError(f"the {requested} engine is not installed: "
                               f"{_INSTALL_HINT[requested]}; `pyshell doctor` tells more")
        return requested
    for engine in ENGINES:
        if installed(engine):
            return engine
    raise PyshellError("no webview engine found: " + _INSTALL_HINT["qt"] + ", or "
                       + _INSTALL_HINT["gtk"] + "; `pyshell doctor` tells more")


def _loadable(lib: str) -> bool:
    try:
        ctypes.CDLL(lib)
    except OSError:
        return False
    return True

"""QtWebEngine through PySide6 (Chromium inside): pip-installable, the fastest Pyodide boot."""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .base import Engine, Navigation

# Shared libraries QtWebEngine's xcb platform loads lazily, with their Debian packages.
LIBRARIES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libnss3.so": "libnss3",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
}


class Qt(Engine):
    name = "qt"
    modules = ("PySide6", "qtpy")
    probe_code = ("import qtpy, PySide6.QtWebEngineWidgets; import PySide6; "
                  "print(PySide6.__version__)")
    install_hint = "pip install 'pyshell[qt]' (PySide6 + qtpy)"

    def environment(self, env: Mapping[str, str]) -> dict[str, str]:
        wanted = {"QT_API": "pyside6",
                  # No phoning home (an installed app works offline), no Chromium log spam.
                  "QTWEBENGINE_CHROMIUM_FLAGS": "--disable-background-networking --log-level=3"}
        if env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
            wanted["QT_QPA_PLATFORM"] = "xcb"
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            # Chromium's sandbox refuses to run as root; a root session has no sandbox to lose.
            wanted["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
        return wanted

    def missing(self) -> list[str]:
        return [f"Debian package {pkg} ({lib})" for lib, pkg in LIBRARIES.items()
                if not _loadable(lib)]

    def guard_navigation(self, navigation: Navigation) -> None:
        """QtWebEngine asks the page before every navigation: refuse any off the app's
        origin. pywebview's page classes are patched (not subclassed: their constructors
        name their own class) before the window exists, so its page and its new-window
        handler use them."""
        from webview.platforms import qt

        clicked_type = qt.QWebPage.NavigationType.NavigationTypeLinkClicked

        def accept_navigation(page: Any, url: Any, kind: Any, is_main_frame: bool) -> bool:
            target = url.toString()
            if not is_main_frame or navigation.allows(target):
                return True
            navigation.left(target, kind == clicked_type)
            return False

        def accept_new_window(handler: Any, url: Any, kind: Any, is_main_frame: bool) -> bool:
            navigation.left(url.toString(), True)  # a new window is always the user's doing
            return False

        qt.BrowserView.WebPage.acceptNavigationRequest = accept_navigation
        qt.BrowserView.NavigationHandler.acceptNavigationRequest = accept_new_window


    def watch_drops(self, on_drop: Callable[[list[Path]], None]) -> None:
        """QWebEngineView hears the drag and drop: pywebview's view class is patched (as
        for navigation) so that local files are accepted and go to ``on_drop``; other drags
        (text, links) stay the page's."""
        from webview.platforms import qt

        view = qt.BrowserView.WebView
        enter, move, drop = view.dragEnterEvent, view.dragMoveEvent, view.dropEvent

        def local_files(event: Any) -> list[Path]:
            urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
            return [Path(url.toLocalFile()) for url in urls if url.isLocalFile()]

        def on_enter(widget: Any, event: Any) -> None:
            if local_files(event):
                event.acceptProposedAction()
                return
            enter(widget, event)

        def on_move(widget: Any, event: Any) -> None:
            if local_files(event):
                event.acceptProposedAction()
                return
            move(widget, event)

        def on_dropped(widget: Any, event: Any) -> None:
            paths = local_files(event)
            if not paths:
                drop(widget, event)
                return
            event.acceptProposedAction()
            on_drop(paths)

        view.dragEnterEvent, view.dragMoveEvent, view.dropEvent = on_enter, on_move, on_dropped


def _loadable(lib: str) -> bool:
    try:
        ctypes.CDLL(lib)
    except OSError:
        return False
    return True

"""QtWebEngine through PySide6 (Chromium inside): pip-installable, the fastest Pyodide boot."""

from __future__ import annotations

import ctypes
import os
from collections.abc import Mapping
from typing import Any

from ..clipboardservice import Contents
from .base import KEEP_ALERT, Engine, Navigation, Post, on_gui_thread

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


    def title_dialogs(self, title: str) -> None:
        """QWebEnginePage's JavaScript boxes, overridden on pywebview's page class (patched
        like its navigation, see ``guard_navigation``) with message boxes of our own."""
        from PySide6.QtWidgets import QInputDialog, QMessageBox
        from webview.platforms import qt

        buttons = QMessageBox.StandardButton

        def alert(page: Any, origin: Any, text: str) -> None:
            QMessageBox.information(page.parent(), title, text)

        def confirm(page: Any, origin: Any, text: str) -> bool:
            answer = QMessageBox.question(page.parent(), title, text,
                                          buttons.Ok | buttons.Cancel, buttons.Ok)
            return bool(answer == buttons.Ok)

        def prompt(page: Any, origin: Any, text: str, default: str) -> tuple[bool, str]:
            value, ok = QInputDialog.getText(page.parent(), title, text, text=default)
            return bool(ok), str(value)

        original = qt.BrowserView.WebPage.__init__

        def init(page: Any, *args: Any, **kwargs: Any) -> None:
            original(page, *args, **kwargs)
            page.scripts().insert(_document_start_script(KEEP_ALERT))

        qt.BrowserView.WebPage.__init__ = init
        qt.BrowserView.WebPage.javaScriptAlert = alert
        qt.BrowserView.WebPage.javaScriptConfirm = confirm
        qt.BrowserView.WebPage.javaScriptPrompt = prompt

    def clipboard(self, window: Any) -> QtClipboard:
        return QtClipboard(_gui_thread_poster())


class QtClipboard:
    """QClipboard, touched only on Qt's GUI thread."""

    def __init__(self, post: Post) -> None:
        self._post = post

    def read(self) -> Contents:
        def read() -> Contents:
            from PySide6.QtGui import QGuiApplication

            data = QGuiApplication.clipboard().mimeData()
            if data is None:
                return Contents("")
            return Contents(data.text(), data.html() if data.hasHtml() else None)

        return on_gui_thread(self._post, read)

    def write(self, contents: Contents) -> None:
        def write() -> None:
            from PySide6.QtCore import QMimeData
            from PySide6.QtGui import QGuiApplication

            data = QMimeData()
            data.setText(contents.text)
            if contents.html is not None:
                data.setHtml(contents.html)
            QGuiApplication.clipboard().setMimeData(data)

        on_gui_thread(self._post, write)


def _document_start_script(source: str) -> Any:
    """A script QtWebEngine runs in the page's own world before the page's scripts."""
    from PySide6.QtWebEngineCore import QWebEngineScript

    script = QWebEngineScript()
    script.setSourceCode(source)
    script.setInjectionPoint(QWebEngineScript.InjectionPoint.DocumentCreation)
    script.setWorldId(QWebEngineScript.ScriptWorldId.MainWorld)
    script.setRunsOnSubFrames(False)
    return script


def _gui_thread_poster() -> Post:
    """A QObject made here, on the main thread, whose queued signal runs each job posted
    from another thread in Qt's event loop there."""
    from PySide6.QtCore import QObject, Qt, Signal, Slot

    class Poster(QObject):
        posted = Signal(object)

        @Slot(object)
        def run(self, job: Any) -> None:
            job()

    poster = Poster()
    poster.posted.connect(poster.run, Qt.ConnectionType.QueuedConnection)

    def post(job: Any) -> None:  # keeps the poster alive as long as the clipboard
        poster.posted.emit(job)

    return post


def _loadable(lib: str) -> bool:
    try:
        ctypes.CDLL(lib)
    except OSError:
        return False
    return True

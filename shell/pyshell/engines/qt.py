"""QtWebEngine through PySide6 (Chromium inside): pip-installable, the fastest Pyodide boot."""

from __future__ import annotations

import ctypes
import functools
import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..clipboardservice import Contents
from ..menumodel import Accel, Entry
from .base import KEEP_ALERT, Engine, Navigation, OnMenuClick, Post, call_on_gui_thread

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
                  "QTWEBENGINE_CHROMIUM_FLAGS": "--disable-background-networking --log-level=3",
                  # The page's console is not echoed as "js: ...": pyshell already says the
                  # app's output and tracebacks, and every one came out twice.
                  "QT_LOGGING_RULES": "js=false"}
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

    # ---- native menus: a QMenuBar on pywebview's QMainWindow, QActions with shortcuts ----
    menus = True

    def set_menu(self, window: Any, bar: tuple[Entry, ...], on_click: OnMenuClick) -> None:
        def build() -> None:
            from PySide6.QtWidgets import QMenuBar

            main = window.native  # pywebview's BrowserView, a QMainWindow
            menubar = QMenuBar(main)
            menubar.setNativeMenuBar(False)
            for entry in bar:
                _fill(menubar.addMenu(_qt_label(entry.label)), entry.items, on_click)
            main.setMenuBar(menubar)  # the old one is deleted, its shortcuts with it
            menubar.setVisible(bool(bar))
            _keys_to_active_window(main)

        self.on_gui_thread(build)

    def popup_menu(self, window: Any, entries: tuple[Entry, ...], on_click: OnMenuClick) -> None:
        def show() -> None:
            from PySide6.QtGui import QCursor
            from PySide6.QtWidgets import QMenu

            menu = QMenu(window.native)
            _fill(menu, entries, on_click, shortcuts=False)
            menu.aboutToHide.connect(menu.deleteLater)
            menu.popup(QCursor.pos())

        self.on_gui_thread(show)

    def edit(self, window: Any, role: str) -> None:
        def run() -> None:
            from PySide6.QtWebEngineCore import QWebEnginePage

            action = getattr(QWebEnginePage.WebAction, _QT_EDIT[role])
            window.native.webview.page().triggerAction(action)

        self.on_gui_thread(run)

    def about(self, window: Any, title: str, text: str) -> None:
        def show() -> None:
            from PySide6.QtWidgets import QMessageBox

            QMessageBox.about(window.native, title, text)

        self.on_gui_thread(show)

    def on_gui_thread(self, func: Callable[[], None]) -> None:
        _invoker().call.emit(func)


    def bring_to_front(self, window: Any) -> None:
        """Raised and activated, un-minimised but still maximized if it was (pywebview's
        ``restore`` shows it normal)."""
        def front() -> None:
            from PySide6.QtCore import Qt as QtFlags

            native = window.native
            native.setWindowState(native.windowState() & ~QtFlags.WindowState.WindowMinimized)
            native.show()
            native.raise_()
            native.activateWindow()

        self.on_gui_thread(front)

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
        return QtClipboard(self.on_gui_thread)


_QT_EDIT = {"undo": "Undo", "redo": "Redo", "cut": "Cut", "copy": "Copy", "paste": "Paste",
            "select-all": "SelectAll"}
# Accelerator key names as QKeySequence spells them (letters, digits and punctuation as is).
_QT_KEYS = {"enter": "Return", "escape": "Esc", "tab": "Tab", "space": "Space",
            "backspace": "Backspace", "delete": "Del", "insert": "Ins", "home": "Home",
            "end": "End", "pageup": "PgUp", "pagedown": "PgDown", "up": "Up", "down": "Down",
            "left": "Left", "right": "Right", "plus": "+"}


def qt_shortcut(accel: Accel) -> str:
    """``Accel`` as QKeySequence text. Qt's Ctrl is the Command key on macOS: the primary
    modifier there too; an explicit ``ctrl`` is Qt's Meta on macOS, as Qt maps it."""
    mods = [name for name, on in (("Ctrl", accel.primary or accel.ctrl), ("Alt", accel.alt),
                                  ("Shift", accel.shift), ("Meta", accel.meta)) if on]
    key = _QT_KEYS.get(accel.key) or accel.key.upper()
    return "+".join([*mods, key])


def _qt_label(label: str) -> str:
    return label.replace("&", "&&")  # a single & would make a mnemonic


def _fill(menu: Any, entries: tuple[Entry, ...], on_click: OnMenuClick, *,
          shortcuts: bool = True) -> None:
    """Add ``entries`` to a QMenu (submenus recursively); radio items of one group in one
    menu are exclusive. Each action is named by its entry's id (tests find it by it).
    ``shortcuts``: False for a context menu, whose accelerators the menu bar's would clash
    with."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QAction, QActionGroup, QKeySequence

    groups: dict[str, Any] = {}
    for entry in entries:
        if entry.kind == "separator":
            menu.addSeparator()
            continue
        if entry.kind == "submenu":
            _fill(menu.addMenu(_qt_label(entry.label)), entry.items, on_click,
                  shortcuts=shortcuts)
            continue
        action = QAction(_qt_label(entry.label), menu)
        action.setObjectName(entry.id)
        action.setEnabled(entry.enabled)
        if entry.kind in ("check", "radio"):
            action.setCheckable(True)
            action.setChecked(entry.checked)
        if entry.kind == "radio":
            if entry.group not in groups:
                groups[entry.group] = QActionGroup(menu)
                groups[entry.group].setExclusive(True)
            groups[entry.group].addAction(action)
        if entry.accel is not None and shortcuts:  # a context menu's would be ambiguous
            action.setShortcut(QKeySequence(qt_shortcut(entry.accel)))
            action.setProperty(_KEYS, qt_shortcut(entry.accel))
            # Heard while the web view has the focus too (QtWebEngine takes key events);
            # only the active window's menu bar has its keys (_keys_to_active_window).
            action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        action.triggered.connect(functools.partial(_triggered, on_click, entry, action))
        menu.addAction(action)


_KEYS = "pyshellKeys"  # an action's accelerator, kept while another window has the keys
_menu_windows: list[Any] = []  # the windows with a menu bar of the app's (GUI thread only)


def _keys_to_active_window(window: Any) -> None:
    """Every window of the app shows its menu bar, and application-wide accelerators would
    all fire at once (Qt then runs none: "ambiguous"): only the active window's keep their
    keys, moved along as the focus moves between windows. Called as ``window`` gets one."""
    from PySide6.QtGui import QGuiApplication

    if window not in _menu_windows:
        if not _menu_windows:
            app = QGuiApplication.instance()
            assert isinstance(app, QGuiApplication)  # the window exists
            app.focusWindowChanged.connect(_move_keys)
        _menu_windows.append(window)
        window.destroyed.connect(lambda: _menu_windows.remove(window))
    _move_keys()


def _move_keys(*_: object) -> None:
    from PySide6.QtGui import QAction, QKeySequence
    from PySide6.QtWidgets import QApplication

    active = QApplication.activeWindow()
    keyed = active if active in _menu_windows else _menu_windows[0] if _menu_windows else None
    for window in _menu_windows:
        for action in window.menuBar().findChildren(QAction):
            keys = action.property(_KEYS)
            if keys:
                action.setShortcut(QKeySequence(keys if window is keyed else ""))


def _triggered(on_click: OnMenuClick, entry: Entry, action: Any, *args: object) -> None:
    if entry.kind == "radio" and not action.isChecked():
        return
    on_click(entry, bool(action.isChecked()))


_invoker_lock = threading.Lock()
_invoker_object: Any = None


def _invoker() -> Any:
    """A QObject living on the GUI thread whose signal, emitted from any thread, runs the
    function it carries there (a queued connection)."""
    global _invoker_object
    with _invoker_lock:
        if _invoker_object is None:
            from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal

            class Invoker(QObject):
                call = Signal(object)

                def run(self, func: Callable[[], None]) -> None:
                    func()

            app = QCoreApplication.instance()
            assert app is not None, "the Qt application is not running yet"
            invoker = Invoker()
            invoker.moveToThread(app.thread())
            invoker.call.connect(invoker.run, Qt.ConnectionType.QueuedConnection)
            _invoker_object = invoker
        return _invoker_object


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

        return call_on_gui_thread(self._post, read)

    def write(self, contents: Contents) -> None:
        def write() -> None:
            from PySide6.QtCore import QMimeData
            from PySide6.QtGui import QGuiApplication

            data = QMimeData()
            data.setText(contents.text)
            if contents.html is not None:
                data.setHtml(contents.html)
            QGuiApplication.clipboard().setMimeData(data)

        call_on_gui_thread(self._post, write)


def _document_start_script(source: str) -> Any:
    """A script QtWebEngine runs in the page's own world before the page's scripts."""
    from PySide6.QtWebEngineCore import QWebEngineScript

    script = QWebEngineScript()
    script.setSourceCode(source)
    script.setInjectionPoint(QWebEngineScript.InjectionPoint.DocumentCreation)
    script.setWorldId(QWebEngineScript.ScriptWorldId.MainWorld)
    script.setRunsOnSubFrames(False)
    return script


def _loadable(lib: str) -> bool:
    try:
        ctypes.CDLL(lib)
    except OSError:
        return False
    return True

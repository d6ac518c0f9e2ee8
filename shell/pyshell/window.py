"""The native window: pywebview on the chosen engine, pointed at the app server.

Engine-specific process settings must be in the environment before the toolkit starts,
so ``prepare_environment`` runs before pywebview is imported.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .config import WindowConfig
from .errors import PyshellError
from .urls import same_origin

OnStarted = Callable[[Any], None]


@dataclass(frozen=True)
class Navigation:
    """Where the window may go: only ``origin`` (the app server). Any other destination
    is refused in the engine and reported to ``left(url, clicked)``, which may open a
    clicked link in the user's browser instead."""

    origin: str
    left: Callable[[str, bool], None]

    def allows(self, url: str) -> bool:
        return same_origin(url, self.origin)


def prepare_environment(engine: str, env: dict[str, str] | None = None) -> dict[str, str]:
    """Set what each engine needs before it loads; returns what was set."""
    env = os.environ if env is None else env
    wanted: dict[str, str] = {}
    if engine == "qt":
        wanted["QT_API"] = "pyside6"
        if env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
            wanted["QT_QPA_PLATFORM"] = "xcb"
        # No phoning home (an installed app works offline) and no Chromium log spam.
        wanted["QTWEBENGINE_CHROMIUM_FLAGS"] = "--disable-background-networking --log-level=3"
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            # Chromium's sandbox refuses to run as root; a root session has no sandbox to lose.
            wanted["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
    elif engine == "gtk":
        # WebKitGTK only exposes SharedArrayBuffer with this switch (COOP/COEP are not enough).
        wanted["JSC_useSharedArrayBuffer"] = "1"
        # JSC's top-tier compiler competes with Pyodide's boot for 2 cores; measured 4.8 s -> 2.8 s.
        wanted["JSC_thresholdForOMGOptimizeAfterWarmUp"] = "5000000"
        # No GPU under Xvfb or in VMs: the DMA-BUF renderer would show a blank window.
        wanted["WEBKIT_DISABLE_DMABUF_RENDERER"] = "1"
    applied = {k: v for k, v in wanted.items() if k not in env}
    env.update(applied)
    return applied


def open_window(url: str, settings: WindowConfig, engine: str, stop: SignalStop, *,
                on_started: OnStarted | None = None, on_created: OnStarted | None = None,
                debug: bool = False, navigation: Navigation | None = None) -> None:
    """Show the window and block until it is closed or ``stop`` fires (Ctrl-C, SIGTERM).

    ``navigation``: keep the window on the app (``pyshell run`` always passes it)."""
    prepare_environment(engine)
    try:
        import webview
    except ImportError as exc:
        raise PyshellError(f"pywebview is not installed ({exc}); pip install pywebview") from None
    if navigation is not None:
        # pywebview would hand target=_blank links to the system browser, unchecked.
        webview.settings["OPEN_EXTERNAL_LINKS_IN_BROWSER"] = False
        GUARDS.get(engine, lambda nav: None)(navigation)
    window = webview.create_window(
        settings.title, url, width=settings.width, height=settings.height,
        min_size=(settings.min_width, settings.min_height), resizable=settings.resizable,
        fullscreen=settings.fullscreen, background_color=settings.background,
    )
    if on_created is not None:
        on_created(window)
    if not stop.attach(window.destroy):
        return
    try:
        webview.start(on_started, (window,) if on_started else None, gui=engine, debug=debug,
                      private_mode=True)
    except Exception as exc:  # the toolkit could not start: name the engine, not a traceback
        raise PyshellError(f"the {engine} webview failed to start: {exc}; "
                           "`pyshell doctor` lists what is missing") from None


def _guard_qt(navigation: Navigation) -> None:
    """QtWebEngine asks the page before every navigation: refuse any off the app's origin.

    pywebview's page classes are patched (not subclassed: their constructors name their
    own class) before the window exists, so its page and its new-window handler use them.
    """
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


def _guard_gtk(navigation: Navigation) -> None:
    """WebKitGTK's decide-policy signal: ignore every navigation off the app's origin and
    every new window; pywebview's own handler sees the rest."""
    from webview.platforms import gtk

    webkit = gtk.webkit
    original = gtk.BrowserView.on_navigation

    def on_navigation(view: Any, webview: Any, decision: Any, decision_type: Any) -> bool:
        if isinstance(decision, webkit.NavigationPolicyDecision):
            action = decision.get_navigation_action()
            target = action.get_request().get_uri()
            new_window = decision_type == webkit.PolicyDecisionType.NEW_WINDOW_ACTION
            if new_window or not navigation.allows(target):
                decision.ignore()
                clicked = action.get_navigation_type() == webkit.NavigationType.LINK_CLICKED
                navigation.left(target, clicked or new_window)
                return True
        return bool(original(view, webview, decision, decision_type))

    gtk.BrowserView.on_navigation = on_navigation


GUARDS: dict[str, Callable[[Navigation], None]] = {"qt": _guard_qt, "gtk": _guard_gtk}


class SignalStop:
    """Turn Ctrl-C and SIGTERM into a clean close, even while a C event loop runs.

    Python signal handlers never run while Qt or GTK sits in its C main loop, so the
    signals are blocked in every thread and received by one thread with ``sigwait``.
    Create it before any other thread starts so that all of them inherit the mask.
    """

    def __init__(self) -> None:
        self.requested = threading.Event()
        self._lock = threading.Lock()
        self._action: Callable[[], None] | None = None
        signals = {signal.SIGINT, signal.SIGTERM}
        signal.pthread_sigmask(signal.SIG_BLOCK, signals)
        threading.Thread(target=self._wait, args=(signals,), name="pyshell-signals",
                         daemon=True).start()

    def attach(self, action: Callable[[], None]) -> bool:
        """Run ``action`` on the next signal; False if a signal already came."""
        with self._lock:
            self._action = action
            return not self.requested.is_set()

    def wait(self) -> None:
        self.requested.wait()

    def _wait(self, signals: set[signal.Signals]) -> None:
        signal.sigwait(signals)
        with self._lock:
            self.requested.set()
            action = self._action
        if action is not None:
            action()
        signal.sigwait(signals)  # a second Ctrl-C while closing: leave at once
        os._exit(0)

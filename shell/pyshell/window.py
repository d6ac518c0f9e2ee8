"""The native window: pywebview on the chosen engine, pointed at the app server.

Engine-specific process settings must be in the environment before the toolkit starts,
so ``prepare_environment`` runs before pywebview is imported. What differs between
engines is theirs to say (``engines``); this module only drives the `Engine` interface.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any

from .config import WindowConfig
from .engines import Engine, Navigation
from .errors import PyshellError
from .lifecycle import Closer

OnStarted = Callable[[Any], None]


def prepare_environment(engine: Engine,
                        env: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """Set what ``engine`` needs before it loads (unless already set); returns what was set."""
    env = os.environ if env is None else env
    applied = {k: v for k, v in engine.environment(env).items() if k not in env}
    env.update(applied)
    return applied


def open_window(url: str, settings: WindowConfig, engine: Engine, stop: SignalStop, *,
                on_started: OnStarted | None = None, on_created: OnStarted | None = None,
                debug: bool = False, navigation: Navigation | None = None,
                closer: Closer | None = None,
                on_drop: Callable[[list[Path]], None] | None = None) -> None:
    """Show the window and block until it is closed or ``stop`` fires (Ctrl-C, SIGTERM).

    ``navigation``: keep the window on the app (``pyshell run`` always passes it).
    ``closer``: every close (``stop`` too) asks the app's page first (``pyshell run``
    always passes it); without one the window closes at once. ``on_drop``: files dropped
    on the window (the engine's drag and drop)."""
    prepare_environment(engine)
    try:
        import webview
    except ImportError as exc:
        raise PyshellError(f"pywebview is not installed ({exc}); pip install pywebview") from None
    if navigation is not None:
        # pywebview would hand target=_blank links to the system browser, unchecked.
        webview.settings["OPEN_EXTERNAL_LINKS_IN_BROWSER"] = False
        engine.guard_navigation(navigation)
    if on_drop is not None:
        engine.watch_drops(on_drop)
    window = engine.create_window(
        settings.title, url, width=settings.width, height=settings.height,
        min_size=(settings.min_width, settings.min_height), resizable=settings.resizable,
        fullscreen=settings.fullscreen, background_color=settings.background,
    )
    if on_created is not None:
        on_created(window)
    if closer is not None:
        closer.attach(window)
        close = closer.request
    else:
        def close() -> bool:
            window.destroy()
            return True
    if not stop.attach(close):
        return
    try:
        engine.start(on_started, window, debug=debug)
    except Exception as exc:  # the toolkit could not start: name the engine, not a traceback
        raise PyshellError(f"the {engine.name} webview failed to start: {exc}; "
                           "`pyshell doctor` lists what is missing") from None


class SignalStop:
    """Turn Ctrl-C and SIGTERM into a clean close, even while a C event loop runs.

    Python signal handlers never run while Qt or GTK sits in its C main loop, so the
    signals are blocked in every thread and received by one thread with ``sigwait``.
    Create it before any other thread starts so that all of them inherit the mask.
    """

    def __init__(self) -> None:
        self.requested = threading.Event()
        self._lock = threading.Lock()
        self._action: Callable[[], bool] | None = None
        signals = {signal.SIGINT, signal.SIGTERM}
        signal.pthread_sigmask(signal.SIG_BLOCK, signals)
        threading.Thread(target=self._wait, args=(signals,), name="pyshell-signals",
                         daemon=True).start()

    def attach(self, action: Callable[[], bool]) -> bool:
        """Run ``action`` on each signal; False if a signal already came. ``action`` returns
        False when a close it started is still under way: then the process leaves at once."""
        with self._lock:
            self._action = action
            return not self.requested.is_set()

    def wait(self) -> None:
        self.requested.wait()

    def _wait(self, signals: set[signal.Signals]) -> None:
        while True:
            signal.sigwait(signals)
            with self._lock:
                again = self.requested.is_set()
                self.requested.set()
                action = self._action
            # A second Ctrl-C while closing: leave at once. After a close the app vetoed,
            # the next one asks again.
            if (action is None and again) or (action is not None and not action()):
                os._exit(0)

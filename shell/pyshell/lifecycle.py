"""Closing the window without cutting the app's Python short.

A close (the window's close button, Ctrl-C, SIGTERM) is cancelled and turned into a
request to the page: it waits until no event handler or timer run is under way, runs the
app's ``on_close`` handlers (which may veto) and ``on_quit`` handlers, and answers on the
``closed`` route (``routes.lifecycle``). The window closes on that answer, or when the
quit budget runs out, whichever comes first. See docs/protocol.md, "Closing the window".

Only pywebview's window API is used (``events.closing``, ``run_js``, ``destroy``),
the same on every engine.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

# Heard by loader.mjs, which takes it from there.
ASK_PAGE = "document.dispatchEvent(new CustomEvent('pyshell:close')), true"


class Closer:
    """The window's close, asked of the page first; one per window."""

    def __init__(self, budget: float, say: Callable[[str], None]) -> None:
        self.budget, self._say = budget, say
        self._lock = threading.Lock()
        self._window: Any = None
        self._timer: threading.Timer | None = None  # set while the page is asked
        self._closing = False  # the close is decided: let it through
        # While true, the user's close of the window hides it instead (the app has a tray
        # icon to bring it back); Ctrl-C, SIGTERM and a quit still close.
        self.hide_instead: Callable[[], bool] = lambda: False

    def attach(self, window: Any) -> None:
        """Hear ``window``'s closes (a pywebview window, before it is shown)."""
        self._window = window
        window.events.closing += self._on_closing

    def request(self) -> bool:
        """Ask the page to close (Ctrl-C, SIGTERM, the close button). False when a close
        is already under way (the caller may then leave at once)."""
        with self._lock:
            if self._closing or self._timer is not None:
                return False
            if self._window is None:
                return False
            self._timer = threading.Timer(self.budget, self._out_of_time)
            self._timer.daemon = True
            self._timer.start()
        # Not on the caller's thread: pywebview runs ``closing`` handlers on the GUI
        # thread, and run_js from there would wait for that same thread.
        threading.Thread(target=self._ask_page, name="pyshell-close", daemon=True).start()
        return True

    def answer(self, close: bool) -> None:
        """The page's answer (``routes.lifecycle``): close now, or the app vetoed."""
        with self._lock:
            if self._timer is None:
                return  # not asked (or already out of time)
            self._timer.cancel()
            self._timer = None
        if close:
            self._close_now()

    def _on_closing(self) -> bool:
        """pywebview's ``closing`` event (on the GUI thread): False cancels the close."""
        with self._lock:
            if self._closing:
                return True
        if self.hide_instead():
            # Not on the GUI thread, which pywebview's hide() waits for.
            threading.Thread(target=self._window.hide, name="pyshell-hide", daemon=True).start()
            return False
        self.request()
        return False

    def _ask_page(self) -> None:
        try:
            # run_js, not evaluate_js: evaluate_js wraps the script in eval(), which the
            # app's Content-Security-Policy rightly refuses.
            self._window.run_js(ASK_PAGE)
        except Exception:  # noqa: BLE001 - a page that cannot be asked is not waited for
            self._close_now()

    def _out_of_time(self) -> None:
        with self._lock:
            if self._timer is None:
                return
            self._timer = None
        self._say(f"pyshell: the app did not finish closing within its quit budget of "
                  f"{self.budget:g} s ([tool.pyshell.window] quit-budget); closing anyway")
        self._close_now()

    def _close_now(self) -> None:
        with self._lock:
            if self._closing:
                return
            self._closing = True
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        self._window.destroy()

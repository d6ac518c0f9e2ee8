"""What pyshell needs of a webview engine, and the pywebview plumbing they share.

An engine is the toolkit that draws the app's window (QtWebEngine, WebKitGTK, the
system's WebView2 or WKWebView). Everything pyshell knows about one lives in its own
module of this package; the window, the launcher and the doctor only talk to `Engine`.
Menus are methods here (``set_menu``, ``popup_menu``...), each engine building them with
its toolkit's own widgets; tray icons and notifications will follow the same way.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..clipboardservice import SystemClipboard
from ..errors import stderr_line
from ..menumodel import Entry
from ..urls import same_origin
from ..windowstate import Area

if TYPE_CHECKING:
    from webview.guilib import GUIType

# Run in the page before anything else: pywebview replaces window.alert (once the page has
# loaded) with a box of its own that neither waits for the user nor carries the app's title;
# made read-only, the engine's own stays (pywebview's assignment is then a silent no-op).
KEEP_ALERT = ('Object.defineProperty(window, "alert", '
              '{value: window.alert, writable: false, configurable: false});')

T = TypeVar("T")
# Runs a callable later on the toolkit's GUI thread (each engine has its own way).
Post = Callable[[Callable[[], None]], None]


@dataclass(frozen=True)
class Navigation:
    """Where the window may go: only ``origin`` (the app server). Any other destination
    is refused in the engine and reported to ``left(url, clicked)``, which may open a
    clicked link in the user's browser instead."""

    origin: str
    left: Callable[[str, bool], None]

    def allows(self, url: str) -> bool:
        return same_origin(url, self.origin)


# A native menu entry was clicked (or its accelerator pressed): the entry, and for check
# and radio items whether it is checked now. Called on the toolkit's GUI thread.
OnMenuClick = Callable[[Entry, bool], None]
# The webview's own editing commands, by menu role.
EDIT_ROLES = ("undo", "redo", "cut", "copy", "paste", "select-all")


@dataclass(frozen=True)
class EngineStatus:
    """What `pyshell doctor` reports of an engine on this machine."""

    name: str
    usable: bool
    version: str = ""
    missing: tuple[str, ...] = ()


class Engine:
    """One webview engine, driven through pywebview (``name`` is pywebview's ``gui``).

    Subclasses say what their toolkit needs; the defaults suit an engine with nothing
    to set up (the system webviews of Windows and macOS).
    """

    name: GUIType  # set by each engine: pywebview loads the toolkit by this name
    modules: tuple[str, ...] = ()  # importable when the engine is installed
    probe_code: str = ""  # Python that imports the engine and prints its version
    install_hint: str = ""

    def environment(self, env: Mapping[str, str]) -> dict[str, str]:
        """Process settings the toolkit reads when it loads, given the current ``env``."""
        return {}

    def installed(self) -> bool:
        """A cheap check with no imports, used to pick the default engine at launch."""
        return all(importlib.util.find_spec(m) for m in self.modules)

    def missing(self) -> list[str]:
        """What the system lacks beyond the Python modules (shared libraries...)."""
        return []

    def probe(self) -> EngineStatus:
        """Import the engine in a child process (Qt and GTK must not meet in one process)."""
        proc = subprocess.run([sys.executable, "-c", self.probe_code], capture_output=True,
                              text=True, timeout=60)
        missing: list[str] = []
        if proc.returncode != 0:
            reason = stderr_line(proc.stderr, "import failed")
            missing.append(f"{self.install_hint} ({reason})")
        missing += self.missing()
        return EngineStatus(self.name, not missing, proc.stdout.strip(), tuple(missing))

    def guard_navigation(self, navigation: Navigation) -> None:
        """Make the engine refuse every navigation ``navigation`` does not allow. Called
        before the window exists."""

    def watch_drops(self, on_drop: Callable[[list[Path]], None]) -> None:
        """Hand files and folders dropped on the window to ``on_drop`` (instead of the
        page, which would try to navigate to them). Called before the window exists; an
        engine without it leaves drops to the page."""

    def bring_to_front(self, window: Any) -> None:
        """Show ``window`` above the others, un-minimised (a later launch of the app).
        pywebview's ``restore`` raises and activates the window on Qt and GTK."""
        window.restore()
    def title_dialogs(self, title: str) -> None:
        """Show the page's alert, confirm and prompt boxes titled ``title`` (the app's
        name, not the engine's "JavaScript - http://127.0.0.1:..."), each waiting for the
        user (see ``KEEP_ALERT``). Called before the window exists."""

    def clipboard(self, window: Any) -> SystemClipboard | None:
        """The system clipboard, used through ``window``'s toolkit (called on the main
        thread once the window is made); None: this engine offers none to the app."""
        return None

    def screens(self) -> list[Area]:
        """The screens there are now, through the toolkit (before the window is made)."""
        from webview.guilib import initialize

        return [Area(s.x, s.y, s.width, s.height)
                for s in initialize(self.name).get_screens()]

    def create_window(self, title: str, url: str, **options: Any) -> Any:
        import webview

        return webview.create_window(title, url, **options)

    def start(self, on_started: Callable[[Any], None] | None, window: Any, *,
              debug: bool) -> None:
        """Run the toolkit's loop until the last window closes; ``debug``: devtools."""
        import webview

        webview.start(on_started, (window,) if on_started else None, gui=self.name,
                      debug=debug, private_mode=True)

    # ---- native menus (engines that have none leave ``menus`` False) --------------------
    menus = False

    def set_menu(self, window: Any, bar: tuple[Entry, ...], on_click: OnMenuClick) -> None:
        """Give ``window`` this menu bar in place of the one it has (an empty ``bar``: none),
        with its accelerators working wherever the focus is in the window. Any thread."""
        raise NotImplementedError

    def popup_menu(self, window: Any, entries: tuple[Entry, ...], on_click: OnMenuClick) -> None:
        """Show a context menu of ``entries`` at the mouse pointer. Any thread."""
        raise NotImplementedError

    def edit(self, window: Any, role: str) -> None:
        """Run one of the webview's editing commands (an ``EDIT_ROLES`` role). Any thread."""
        raise NotImplementedError

    def about(self, window: Any, title: str, text: str) -> None:
        """The toolkit's own about box for the app. Any thread."""
        raise NotImplementedError

    def on_gui_thread(self, func: Callable[[], None]) -> None:
        """Run ``func`` soon on the toolkit's GUI thread (widgets live there)."""
        raise NotImplementedError


def call_on_gui_thread(post: Post, job: Callable[[], T], timeout: float = 10) -> T:
    """Run ``job`` on the GUI thread through ``post`` (an engine's ``on_gui_thread``) and
    wait for its result (or its exception). Toolkit objects such as the clipboard may only
    be touched there."""
    done = threading.Event()
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append((True, job()))
        except Exception as exc:  # noqa: BLE001 - raised again on the caller's thread
            outcome.append((False, exc))
        finally:
            done.set()

    post(run)
    if not done.wait(timeout):
        raise OSError(f"the window did not answer within {timeout:g} s")
    ok, value = outcome[0]
    if not ok:
        raise value
    return value  # type: ignore[no-any-return]

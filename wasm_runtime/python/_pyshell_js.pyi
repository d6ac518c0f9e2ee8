"""The bridge that worker.mjs registers for pyshell's Python side (``registerJsModule``).

Only pyshell's own modules import it (``transport``, ``files``, ``shell``); there is no
such module outside the worker, hence this stub. Everything crosses as a string (JSON for
structures), so no JavaScript object outlives a call on the Python side.
tests/test_contract.py checks that these names are the bridge's.
"""

from collections.abc import Awaitable

def send(ops_json: str, window: str | None, /) -> None:
    """One batch of DOM operations, to the page (of ``window``: one the app opened)."""

def request(op_json: str, window: str | None, /) -> Awaitable[str]:
    """A read of the live DOM (of ``window``'s page); resolves to its JSON answer."""

def tray(request_json: str, /) -> Awaitable[str]:
    """The tray icon through the host: JSON ``{"shown"}``, ``{"ok"}`` or ``{"error", ...}``."""

def windows(request_json: str, /) -> Awaitable[str]:
    """The app's windows through the host: JSON ``{"id"}``, ``{"windows"}``, ``{"ok"}`` or
    ``{"error"}``."""

def error(text: str, /) -> None:
    """Show an app traceback in the page (an empty text clears it)."""

def dialog(request_json: str, /) -> Awaitable[str]:
    """A native file dialog through the host; JSON ``{"picked"}`` or ``{"error"}``."""

def download(name: str, data: bytes, /) -> None:
    """Save ``data`` as a browser download named ``name`` (no native dialog here)."""

def openUrl(url: str, /) -> Awaitable[str]:
    """Ask the host to open a web address; JSON ``{"opened"}`` or ``{"error"}``."""

def notify(request_json: str, /) -> Awaitable[str]:
    """Ask the host to show a desktop notification; JSON ``{"id"}`` or ``{"error"}``."""
def menu(request_json: str, /) -> None:
    """The app's menus to the host: JSON ``{"model"}`` (build them) or ``{"popup"}`` (show a
    context menu); sent in order, an error is one line in the terminal."""
def clipboard(request_json: str, /) -> Awaitable[str]:
    """The system clipboard through the host: JSON ``{"text", "html"}``, ``{"ok"}`` or
    ``{"error", "permission"}``."""
def updateStatus() -> str:
    """JSON: the host's update status (``pyshell.updates.Status``), synchronously."""

def updateRestart() -> str:
    """JSON ``{"restarting": true}`` or ``{"error"}``: restart into a ready update."""

def updateCheck() -> Awaitable[str]:
    """JSON: the update status once the host has checked its update site."""

def timer(timer_id: int, delay_ms: float, /) -> None:
    """Run ``pyshell.bootstrap.run_timer(timer_id)`` once, ``delay_ms`` from now."""

def cancelTimer(timer_id: int, /) -> None:
    """Forget the scheduled run of this timer, if there is one."""

def grants() -> str:
    """JSON: every grant mounted now."""

def refused() -> str:
    """JSON: the declared grants this host cannot mount, and why."""

def fileUrl(grant: str, path: str, /) -> str:
    """JSON ``{"ok": url}`` for a file in a host grant, or ``{"error": "ENOENT"}``."""

def revokeFileUrls(urls: str, /) -> str:
    """For a JSON list of file URLs, JSON ``{"ok": [true, ...]}``: whether the host forgot
    each (``false``: it was not live)."""

def objectUrl(data: bytes, mime: str, /) -> str:
    """A ``blob:`` URL over a copy of ``data``, typed ``mime``."""

def revokeObjectUrl(url: str, /) -> None:
    """Let the engine free a ``blob:`` URL's bytes."""

def fetchBytes(url: str, /) -> Awaitable[JsBytes]:
    """The bytes at ``url``, fetched asynchronously; rejects with ``HTTP 404`` and such."""

def thumbnail(url: str, max_px: int, /) -> Awaitable[str]:
    """JSON ``{"url", "width", "height"}`` of a scaled copy of the image, or ``{"error"}``."""

def keptThumbnails(wanted: str, /) -> str:
    """For JSON ``[{"g", "p", "px"}]``, JSON ``[{"url", "bytes"} | {"make"} | null]``: the
    thumbnail kept of each file as it is now, else a new file URL to make one from (null:
    out of reach)."""

def thumbnailOf(data: bytes, mime: str, max_px: int, /) -> Awaitable[str]:
    """``thumbnail`` of bytes given (a file of the web build's browser storage)."""

class JsBytes:
    """A JavaScript Uint8Array as Pyodide hands it over."""

    def to_bytes(self) -> bytes: ...

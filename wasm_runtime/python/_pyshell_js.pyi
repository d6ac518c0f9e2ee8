"""The bridge that worker.mjs registers for pyshell's Python side (``registerJsModule``).

Only pyshell's own modules import it (``transport``, ``files``, ``shell``); there is no
such module outside the worker, hence this stub. Everything crosses as a string (JSON for
structures), so no JavaScript object outlives a call on the Python side.
tests/test_contract.py checks that these names are the bridge's.
"""

from collections.abc import Awaitable

def send(ops_json: str, /) -> None:
    """One batch of DOM operations, to the page."""

def request(op_json: str, /) -> Awaitable[str]:
    """A read of the live DOM; resolves to its JSON answer."""

def error(text: str, /) -> None:
    """Show an app traceback in the page (an empty text clears it)."""

def dialog(request_json: str, /) -> Awaitable[str]:
    """A native file dialog through the host; JSON ``{"picked"}`` or ``{"error"}``."""

def download(name: str, data: bytes, /) -> None:
    """Save ``data`` as a browser download named ``name`` (no native dialog here)."""

def openUrl(url: str, /) -> Awaitable[str]:
    """Ask the host to open a web address; JSON ``{"opened"}`` or ``{"error"}``."""

def timer(timer_id: int, delay_ms: float, /) -> None:
    """Run ``pyshell.bootstrap.run_timer(timer_id)`` once, ``delay_ms`` from now."""

def cancelTimer(timer_id: int, /) -> None:
    """Forget the scheduled run of this timer, if there is one."""

def grants() -> str:
    """JSON: every grant mounted now."""

def refused() -> str:
    """JSON: the declared grants this host cannot mount, and why."""

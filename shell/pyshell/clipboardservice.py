"""The system clipboard, as far as the app declared it: ``[tool.pyshell.permissions]
clipboard = "read" | "write" | "read-write"``.

The app's Python asks on the ``clipboard`` route (``routes.clipboard``); the check is
made here, on the host, so a page that skips pyshell's Python API gains nothing. The
clipboard itself is the window's engine's (``engines.Engine.clipboard``): without a window
(``pyshell run --browser``) there is none to use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

Action = Literal["read", "write"]


@dataclass(frozen=True)
class Contents:
    """What is on the clipboard: plain text, and the HTML flavour when there is one."""

    text: str
    html: str | None = None


class SystemClipboard(Protocol):
    """The engine's clipboard; both calls may be made from any thread."""

    def read(self) -> Contents: ...

    def write(self, contents: Contents) -> None: ...


class Clipboard:
    """The app's declared access, and the window's clipboard once there is a window."""

    def __init__(self, allowed: frozenset[str]) -> None:
        self.allowed = allowed
        self.system: SystemClipboard | None = None

    def read(self) -> Contents:
        return self._use("read").read()

    def write(self, contents: Contents) -> None:
        self._use("write").write(contents)

    def _use(self, action: Action) -> SystemClipboard:
        """PermissionError naming the declaration to add; LookupError without a window."""
        if action not in self.allowed:
            needed = "read-write" if self.allowed else action
            raise PermissionError(f"the app may not {action} the clipboard; add "
                                  f"[tool.pyshell.permissions] clipboard = \"{needed}\"")
        if self.system is None:
            raise LookupError("the clipboard needs the app's window (not available with "
                              "--browser)")
        return self.system

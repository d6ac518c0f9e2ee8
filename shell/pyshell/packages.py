"""The app's locked wheels, ready to serve: the lock's entries and the files they name.

The app server only serves them. Getting them ready is its caller's job, because that is
where the two kinds of launch differ: `pyshell run` and `pyshell dev` lock and fetch into
the user cache (``deps.service.prepare``, which may run pip), an installed app checks the
wheels it carries (``installed``). So the runtime never resolves or downloads anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .deps.lock import Lock


@dataclass(frozen=True)
class Packages:
    """The locked wheels of one app: lock entries plus the checked files, by file name."""

    lock: Lock | None = None
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.lock.packages] if self.lock else []

    def pyodide_lock(self) -> dict[str, Any]:
        """The lock as the page's Pyodide loads it (only asked for when there is one)."""
        assert self.lock is not None
        return self.lock.pyodide_lock()

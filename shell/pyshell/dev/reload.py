"""What a change means for the running app, and the channel that tells the page.

Messages (host -> page, JSON over the dev WebSocket; see docs/protocol.md):
``connected``; ``css-update`` {paths}; ``python-update`` {modules, files};
``full-reload`` {reason}. The page reports back ``reloaded`` {ok, ms} after applying one.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import terminal
from ..config import AppConfig


@dataclass(frozen=True)
class Update:
    kind: str                      # "css-update" | "python-update" | "full-reload"
    summary: str                   # what changed, for the terminal
    payload: dict[str, Any] = field(default_factory=dict)

    def message(self) -> str:
        return json.dumps({"type": self.kind, **self.payload})


def classify(app: AppConfig, changed: set[Path]) -> Update | None:
    """One update for one batch of changes; the strongest kind wins (reload > python > css)."""
    css: list[str] = []  # stylesheets to swap, relative to ui/
    modules: list[str] = []  # Python modules to re-run, with their new ``files`` by path
    files: dict[str, str] = {}
    other: list[str] = []  # anything else: the page reloads
    for path in sorted(changed):
        if path.is_relative_to(app.ui_dir):
            name = path.relative_to(app.ui_dir).as_posix()
            (css if path.suffix == ".css" and path.exists() else other).append(name)
            continue
        package = next((p for p in app.packages if path.is_relative_to(app.root / p)), None)
        if package and path.suffix == ".py":
            rel = path.relative_to(app.root)
            if path.exists():
                files[rel.as_posix()] = path.read_text(encoding="utf-8", errors="replace")
                modules.append(module_name(rel))
            else:
                other.append(rel.as_posix())
        elif path.relative_to(app.root).as_posix() == "pyproject.toml" or package:
            other.append(path.relative_to(app.root).as_posix())
    if other:
        return Update("full-reload", ", ".join(other), {"reason": ", ".join(other)})
    if modules:
        return Update("python-update", ", ".join(files), {"modules": modules, "files": files})
    if css:
        return Update("css-update", ", ".join(css), {"paths": css})
    return None


def module_name(rel: Path) -> str:
    parts = list(rel.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


class Hub:
    """Connected dev clients; ``broadcast`` is safe to call from the watcher's thread.

    The terminal gets one line per update: what changed, what was done and how long it
    took, printed when the page reports back (``report``).
    """

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[str]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sent: deque[str] = deque(maxlen=16)  # summaries of updates not yet reported

    def subscribe(self) -> asyncio.Queue[str]:
        self._loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str] = asyncio.Queue()
        self._queues.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[str]) -> None:
        self._queues.discard(queue)

    @property
    def clients(self) -> int:
        return len(self._queues)

    def broadcast(self, message: str) -> None:
        loop = self._loop
        if loop is None:
            return
        for queue in list(self._queues):
            loop.call_soon_threadsafe(queue.put_nowait, message)

    def announce(self, update: Update) -> None:
        """Send ``update`` to the page; its line is printed when the page has applied it."""
        if not self.clients:
            _say(f"{update.summary} changed -> {update.kind} (no window is open to update)")
            return
        self._sent.append(update.summary)
        self.broadcast(update.message())

    def report(self, report: dict[str, Any]) -> None:
        """The page's answer to an update (or its start), as the update's one line."""
        what = f"{self._sent.popleft()} changed -> " if self._sent else ""
        ms = f"{float(report.get('ms', 0)):.0f} ms"
        if report.get("kind") == "boot":
            self._sent.clear()  # a new page: nothing sent to the old one will be reported
            _say(f"{what}page loaded, Python ready at {ms}" if report.get("ok") else
                 f"{what}page loaded; the app's entry point failed (its error is in the window)")
            return
        state = "done" if report.get("ok") else "failed (the app's error is shown in the window)"
        kind = terminal.safe(str(report.get("kind", "?")))  # the page's word: no escapes
        _say(f"{what}{kind} update {state} in {ms}")


def _say(line: str) -> None:
    print(f"pyshell dev: {line}", file=sys.stderr, flush=True)


def forward(app: AppConfig, hub: Hub) -> Callable[[set[Path]], None]:
    """The watcher's callback: classify a batch, say it in the terminal, tell the page."""

    def on_change(changed: set[Path]) -> None:
        update = classify(app, changed)
        if update is not None:
            hub.announce(update)

    return on_change

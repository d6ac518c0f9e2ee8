"""File changes from watchdog, filtered and debounced into one batch per save.

Editors save in different ways (write in place; write a temp file and rename it over;
delete then create; several writes in a row). All of them produce a burst of events within
a few milliseconds, so events are collected until the folder has been quiet for
``DEBOUNCE`` seconds and delivered as one set of changed paths: one save, one update.
25 ms covers every pattern above (tests/test_dev.py checks each, including 20 writes in a
row) and is most of a CSS swap's latency, so it is kept as short as that allows.

A file created and then renamed over another (or deleted) within one batch is a temporary
file, whatever its name (``sed -i`` writes ``sedXXXXXX``): only its destination changed.

A busy machine can still split one save's events across two quiet periods (watchdog hands
them over late), which would send the page the same update twice. So a path goes out only if
it is not as it was when it last went out: its mtime, size and content together. A new save
of the same text has a new mtime and still reloads, as users expect of saving.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from collections.abc import Callable
from pathlib import Path, PurePath

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from ..bundle import skipped

DEBOUNCE = 0.025
# Beyond what no tree walk takes (``bundle.skipped``): build output and environments beside
# the code, and editors' and downloads' temporary files.
IGNORED_DIRS = {"env", "dist", "build"}
IGNORED_SUFFIXES = ("~", ".swp", ".swo", ".swx", ".tmp", ".bak", ".orig", ".crdownload", ".part")


def interesting(path: Path, root: Path) -> bool:
    """False for what no reload should follow: caches, VCS, venvs, build output, editor junk."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return False
    if not parts or skipped(PurePath(*parts)):
        return False
    if any(part in IGNORED_DIRS or part.endswith(".egg-info") for part in parts[:-1]):
        return False
    name = parts[-1]
    return not (name.startswith("#") or name.endswith(IGNORED_SUFFIXES) or name.endswith("#")
                or name == "4913")


class Watcher(FileSystemEventHandler):
    """Calls ``on_change(paths)`` once per quiet period after changes under ``root``."""

    def __init__(self, root: Path, on_change: Callable[[set[Path]], None]) -> None:
        self.root = root.resolve()
        self._on_change = on_change
        self._pending: set[Path] = set()
        self._fresh: set[Path] = set()  # created in this batch
        self._sent: dict[Path, State] = {}  # each path as it was when it last went out
        self._lock = threading.Lock()
        self._delivering = threading.Lock()  # batches go out one at a time, in order
        self._timer: threading.Timer | None = None
        self._observer = Observer()

    def start(self) -> None:
        self._observer.schedule(self, str(self.root), recursive=True)
        self._observer.start()

    def stop(self) -> None:
        self._observer.stop()
        self._observer.join(timeout=5)
        with self._lock:
            if self._timer:
                self._timer.cancel()

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write") or event.is_directory:
            return
        source = Path(str(event.src_path))
        paths = [source]
        if getattr(event, "dest_path", ""):
            paths.append(Path(str(event.dest_path)))
        with self._lock:
            if event.event_type == "created":
                self._fresh.add(source)
            elif event.event_type in ("moved", "deleted") and source in self._fresh:
                self._fresh.discard(source)  # a temporary file: it never was the app's
                self._pending.discard(source)
                paths.remove(source)
            paths = [p for p in paths if interesting(p, self.root)]
            if not paths:
                return
            self._pending.update(paths)
            if self._timer:
                self._timer.cancel()
            self._timer = threading.Timer(DEBOUNCE, self._flush)
            self._timer.daemon = True
            self._timer.start()

    def _flush(self) -> None:
        with self._lock:
            changed, self._pending = self._pending, set()
            self._fresh.clear()
            self._timer = None
        with self._delivering:
            changed = {path for path in changed if self._news(path)}
            if changed:
                self._on_change(changed)

    def _news(self, path: Path) -> bool:
        """Whether ``path`` differs from how it was last sent (and note how it is now)."""
        now = state(path)
        if path in self._sent and self._sent[path] == now:
            return False  # the rest of a save already sent
        self._sent[path] = now
        return True


State = tuple[int, int, bytes] | None


def state(path: Path) -> State:
    """A file's mtime, size and content digest; None when there is no regular file there."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO must not block the watcher
        with os.fdopen(fd, "rb") as fh:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                return None
            return info.st_mtime_ns, info.st_size, hashlib.file_digest(fh, "blake2b").digest()
    except OSError:
        return None

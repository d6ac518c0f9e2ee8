"""Word from long steps: say what is starting at once, then how long it has been going.

A download, a lock or a build can take minutes; silence for that long reads as a hang.
``Ticker`` prints one line when a step starts and, while it runs, a short line every
``every`` seconds, on stderr, where pyshell's other progress lines go."""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import TextIO


class Ticker:
    """``with Ticker("fetching Pyodide 314.0.7 with npm"):`` around a slow call."""

    def __init__(self, what: str, out: TextIO | None = None, every: float = 10.0) -> None:
        self.what = what
        self.out = out or sys.stderr
        self.every = every
        self.started = 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._tick, name="pyshell-progress", daemon=True)

    def __enter__(self) -> Ticker:
        self.started = time.monotonic()
        self._say(f"pyshell: {self.what}…")
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._done.set()
        self._thread.join()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def _tick(self) -> None:
        while not self._done.wait(self.every):
            self._say(f"pyshell: still {self.what} ({self.elapsed:.0f} s)")

    def _say(self, line: str) -> None:
        print(line, file=self.out, flush=True)

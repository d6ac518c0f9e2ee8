"""What the host has to tell the app's Python while it runs: files and URLs another launch
handed over (``instance``), clicks on its notifications (``notifications``), what
happens to its windows (``windowmanager``).

Any thread may ``put`` an event; the page collects them with one long-poll request at a
time on the ``host-events`` route (``routes.hostevents``), so events that come before the
page is ready wait for it. Each event is a JSON object with a ``kind``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

Event = dict[str, Any]


class HostEvents:
    """A queue of events for the page, filled from any thread, emptied on the server's loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[Event] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._closed = False

    def put(self, event: Event, *, replacing: Callable[[Event], bool] | None = None) -> None:
        """Queue ``event``; ``replacing``: drop the queued events it makes stale (a window's
        size while it is being dragged: only the latest is news)."""
        with self._lock:
            if replacing is not None:
                self._items = [e for e in self._items if not replacing(e)]
            self._items.append(event)
            loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            loop.call_soon_threadsafe(wake.set)

    async def take(self, timeout: float) -> list[Event]:
        """Every waiting event, or once one comes (at most ``timeout`` seconds); [] when
        none came or the server is stopping (a long poll must not hold up its stop)."""
        with self._lock:
            if self._wake is None:
                self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
            wake = self._wake
        wake.clear()
        if not self._pending():
            try:
                await asyncio.wait_for(wake.wait(), timeout)
            except TimeoutError:
                pass
        with self._lock:
            items, self._items = self._items, []
        return items

    def give_back(self, events: list[Event]) -> None:
        """Events taken for a page that left meanwhile (a reload): first in line again."""
        with self._lock:
            self._items[:0] = events

    def close(self) -> None:
        """The server stops: answer the waiting poll now."""
        with self._lock:
            self._closed = True
            loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)

    def _pending(self) -> bool:
        with self._lock:
            return bool(self._items) or self._closed

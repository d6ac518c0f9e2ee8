"""How DOM operations leave Python: the worker's bridge in Pyodide, a fake on the host.

The transport is the one seam between the API and its environment, so host-side unit
tests can record operations and answer queries without a browser.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, Protocol


class Transport(Protocol):
    def send(self, ops: list[list[Any]], window: str | None = None) -> None:
        """Deliver one batch of DOM operations, applied together in one frame, to the
        main window's page or (``window``) to the page of a window the app opened."""

    def request(self, op: list[Any], window: str | None = None) -> Awaitable[Any]:
        """Ask the live DOM something; resolves to the JSON-decoded answer."""

    def error(self, text: str) -> None:
        """Show an app error (a traceback) in the window."""

    def schedule(self, timer_id: int, delay_ms: float) -> None:
        """Run timer ``timer_id`` (``dom.run_timer``) once, ``delay_ms`` from now."""

    def cancel(self, timer_id: int) -> None:
        """Forget the run of ``timer_id`` that is scheduled, if one is."""


class WorkerTransport:
    """The real bridge: JSON strings through the module that worker.mjs registers."""

    def __init__(self) -> None:
        import _pyshell_js  # registered by worker.mjs (see _pyshell_js.pyi)

        self._js = _pyshell_js

    def send(self, ops: list[list[Any]], window: str | None = None) -> None:
        self._js.send(json.dumps(ops), window)

    async def request(self, op: list[Any], window: str | None = None) -> Any:
        return json.loads(await self._js.request(json.dumps(op), window))

    def error(self, text: str) -> None:
        self._js.error(text)

    def schedule(self, timer_id: int, delay_ms: float) -> None:
        self._js.timer(timer_id, delay_ms)

    def cancel(self, timer_id: int) -> None:
        self._js.cancelTimer(timer_id)


class RecordingTransport:
    """For host-side tests: keeps every batch; queries are answered by ``answer``.

    Timers are not run by themselves: ``timers`` maps each scheduled timer's id to its
    delay, and ``await pyshell.dom.run_timer(id)`` runs one as the page would. Batches for
    other windows' pages are kept apart, by window, in ``window_batches``."""

    def __init__(self, answer: Callable[[list[Any]], Any] | None = None) -> None:
        self.batches: list[list[list[Any]]] = []
        self.window_batches: dict[str, list[list[list[Any]]]] = {}
        self.errors: list[str] = []
        self.timers: dict[int, float] = {}
        self._answer = answer or (lambda op: None)

    @property
    def ops(self) -> list[list[Any]]:
        return [op for batch in self.batches for op in batch]

    def send(self, ops: list[list[Any]], window: str | None = None) -> None:
        kept = self.batches if window is None else self.window_batches.setdefault(window, [])
        kept.append(json.loads(json.dumps(ops)))

    async def request(self, op: list[Any], window: str | None = None) -> Any:
        return self._answer(op)

    def error(self, text: str) -> None:
        self.errors.append(text)

    def schedule(self, timer_id: int, delay_ms: float) -> None:
        self.timers[timer_id] = delay_ms

    def cancel(self, timer_id: int) -> None:
        self.timers.pop(timer_id, None)

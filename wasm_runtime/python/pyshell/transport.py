"""How DOM operations leave Python: the worker's bridge in Pyodide, a fake on the host.

The transport is the one seam between the API and its environment, so host-side unit
tests can record operations and answer queries without a browser.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, Protocol


class Transport(Protocol):
    def send(self, ops: list[list[Any]]) -> None:
        """Deliver one batch of DOM operations, applied together in one frame."""

    def request(self, op: list[Any]) -> Awaitable[Any]:
        """Ask the live DOM something; resolves to the JSON-decoded answer."""

    def error(self, text: str) -> None:
        """Show an app error (a traceback) in the window."""


class WorkerTransport:
    """The real bridge: JSON strings through the module that worker.mjs registers."""

    def __init__(self) -> None:
        import _pyshell_js  # registered by worker.mjs (see _pyshell_js.pyi)

        self._js = _pyshell_js

    def send(self, ops: list[list[Any]]) -> None:
        self._js.send(json.dumps(ops))

    async def request(self, op: list[Any]) -> Any:
        return json.loads(await self._js.request(json.dumps(op)))

    def error(self, text: str) -> None:
        self._js.error(text)


class RecordingTransport:
    """For host-side tests: keeps every batch; queries are answered by ``answer``."""

    def __init__(self, answer: Callable[[list[Any]], Any] | None = None) -> None:
        self.batches: list[list[list[Any]]] = []
        self.errors: list[str] = []
        self._answer = answer or (lambda op: None)

    @property
    def ops(self) -> list[list[Any]]:
        return [op for batch in self.batches for op in batch]

    def send(self, ops: list[list[Any]]) -> None:
        self.batches.append(json.loads(json.dumps(ops)))

    async def request(self, op: list[Any]) -> Any:
        return self._answer(op)

    def error(self, text: str) -> None:
        self.errors.append(text)

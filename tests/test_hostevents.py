"""The host's events for the page: filled from any thread, taken by one long poll."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pyshell.hostevents import HostEvents


def run(coro: Any) -> Any:
    """On a thread of its own: a Playwright test before may leave a loop running here."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def test_a_poll_waits_for_an_event_from_another_thread() -> None:
    events = HostEvents()

    async def poll() -> list[dict[str, object]]:
        threading.Timer(0.05, events.put, args=({"kind": "open", "n": 1},)).start()
        return await events.take(30)

    assert run(poll()) == [{"kind": "open", "n": 1}]


def test_waiting_events_come_at_once_and_in_order() -> None:
    events = HostEvents()
    events.put({"n": 2})
    events.give_back([{"n": 1}])  # taken for a page that left: first again
    events.put({"n": 3})
    assert run(events.take(30)) == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert run(events.take(0.01)) == []


def test_stopping_answers_the_waiting_poll() -> None:
    events = HostEvents()

    async def poll() -> list[dict[str, object]]:
        threading.Timer(0.05, events.close).start()
        return await events.take(30)

    assert run(poll()) == []

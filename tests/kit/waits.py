"""Waiting on a condition, not for a length of time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def poll(condition: Callable[[], T], timeout: float = 30, interval: float = 0.05) -> T:
    """Call ``condition`` until it returns something true, and return that; after ``timeout``
    seconds, its last (false) answer."""
    deadline = time.monotonic() + timeout
    while not (found := condition()) and time.monotonic() < deadline:
        time.sleep(interval)
    return found


def wait_until(condition: Callable[[], T], timeout: float = 30, what: str = "the condition",
               interval: float = 0.05) -> T:
    """``poll``, failing the test with ``what`` if ``timeout`` seconds pass first."""
    found = poll(condition, timeout, interval)
    if not found:
        raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {found!r})")
    return found

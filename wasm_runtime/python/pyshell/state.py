"""State that survives `pyshell dev` reloads: ``tasks = keep("tasks", TaskList)``.

A reloaded module runs its top level again, which would replace module globals with fresh
objects. ``keep`` returns the object made the first time instead, so the app's data stays
while its code changes. pyshell's own modules are never reloaded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

T = TypeVar("T")
_kept: dict[str, Any] = {}


def keep(name: str, factory: Callable[[], T]) -> T:
    """The object stored under ``name``, made with ``factory()`` the first time only."""
    if name not in _kept:
        _kept[name] = factory()
    return cast(T, _kept[name])  # stored by the first call, from a factory of T


def forget(name: str) -> None:
    _kept.pop(name, None)

"""What a dev reload keeps in step: the registrations made by the top level of app modules.

A reload re-runs the changed modules; whatever their top level registers again is kept, and
what it registered before and not this time (the code was deleted) is forgotten. Each
registry (``dom``, ``app``, ``menus``, ``windows``) names its registrations by a key, notes
each one with ``Tracker.note`` and says how to forget a key; ``bootstrap.reload`` drives
the rest through the same three calls on each of them.
"""

from __future__ import annotations

from collections.abc import Callable


class Tracker:
    """The keys one registry was given since a reload began."""

    def __init__(self, forget: Callable[[str], None]) -> None:
        self._forget = forget
        self._seen: set[str] | None = None  # None: no reload under way

    def note(self, key: str) -> None:
        if self._seen is not None:
            self._seen.add(key)

    def start(self) -> None:
        """A reload begins."""
        self._seen = set()

    def drop_untracked(self, previous: set[str]) -> None:
        """The reload ended: forget what was registered ``previous``ly and not again."""
        for key in previous - (self._seen or set()):
            self._forget(key)
        self._seen = None

"""An installed app's updates while it runs: the background check, its status, the restart.

``installed.main`` makes one only for an app whose ``[tool.pyshell.updates]`` names a
``url``; an app without one never gets here, so it never opens a connection. Once the
window is up, ``start`` checks in a background thread of the host if the last check
(remembered in the update folder) is at least ``check-every`` old; the app's Python may
ask for a check at any time (``check``), one check running at a time. ``status`` is what
``pyshell.updates.status()`` returns in the app. ``reached_entry`` is the page's word that
the app's entry point returned, which keeps the running version (``layout``).
``request_restart`` marks the process to start again once its window has closed the
usual way (``installed.main`` re-executes it), so the app's close handlers still run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

from ..config import UpdatesConfig
from . import service
from .layout import Layout

CHECKED_NAME = "last-check"  # in the update folder: when the last check started (epoch s)


@dataclass(frozen=True)
class Status:
    """What the app is told (``pyshell.updates.Status`` mirrors it)."""

    state: str  # current, checking, available, downloading, ready or failed
    current: str  # the running version
    version: str | None = None  # the version offered, downloading, ready or failed
    progress: float | None = None  # 0 to 1 while downloading
    reason: str | None = None  # one line: why it failed, or why a download stopped
    notes: str = ""  # the offered version's release notes

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Updater:
    """One running install's updates (see the module docstring)."""

    def __init__(self, updates: UpdatesConfig, layout: Layout, running: service.Running,
                 say: Callable[[str], None], notice: str | None = None,
                 failed: str | None = None) -> None:
        """``notice``/``failed``: this launch rolled back from ``failed``, and says so."""
        self.updates, self.layout, self.running, self._say = updates, layout, running, say
        self.restart_requested = False
        self._lock = threading.Lock()  # guards _status
        self._checking = threading.Lock()  # one check at a time
        self._status = Status("failed", running.version, failed, reason=notice) \
            if notice else Status("current", running.version)

    def status(self) -> Status:
        with self._lock:
            return self._status

    def start(self, window: object = None) -> None:
        """After the window is up: a check in the background, if one is due."""
        if self._due():
            self._set(Status("checking", self.running.version))  # said before it starts
            threading.Thread(target=self._check_quietly, name="pyshell-updates",
                             daemon=True).start()

    def check(self) -> Status:
        """Check the site now (after the check under way, if there is one)."""
        with self._checking:
            self._remember_check()
            self._set(Status("checking", self.running.version))
            outcome = service.check(self.updates, self.layout, self.running, self._progress)
            self._set(self._status_of(outcome))
            self._log(outcome)
            return self.status()

    def reached_entry(self) -> None:
        """The app's entry point returned: keep this version (waits while a check
        unpacks one)."""
        self.layout.reached_entry()

    def request_restart(self) -> str | None:
        """Restart into the ready version once the window closes; else why not."""
        status = self.status()
        if status.state != "ready":
            return f"no update is ready to restart into (the update status is {status.state})"
        self.restart_requested = True
        return None

    def _check_quietly(self) -> None:
        try:
            self.check()
        except Exception as exc:  # noqa: BLE001 - a background check never stops the app
            self._set(Status("failed", self.running.version, reason=str(exc)))
            self._say(f"pyshell: the update check failed: {exc}")

    def _due(self) -> bool:
        try:
            last = float((self.layout.root / CHECKED_NAME).read_text())
        except (OSError, ValueError):
            return True
        return not 0 <= time.time() - last < self.updates.check_every

    def _remember_check(self) -> None:
        self.layout.root.mkdir(parents=True, exist_ok=True)
        (self.layout.root / CHECKED_NAME).write_text(f"{time.time():.0f}\n")

    def _progress(self, version: str, have: int, total: int) -> None:
        self._set(Status("downloading", self.running.version, version,
                         have / total if total else 1.0))

    def _set(self, status: Status) -> None:
        with self._lock:
            self._status = status

    def _status_of(self, outcome: service.Outcome) -> Status:
        base = Status("current", self.running.version, outcome.version)
        if outcome.state == "ready":
            return replace(base, state="ready", notes=outcome.notes)
        if outcome.state == "refused":
            return replace(base, state="failed", reason=outcome.reason)
        if outcome.state == "unavailable":
            state = "available" if outcome.version else "failed"
            return replace(base, state=state, reason=outcome.reason)
        return replace(base, version=None)

    def _log(self, outcome: service.Outcome) -> None:
        if outcome.state == "ready":
            self._say(f"pyshell: update {outcome.version} is ready; it runs from the next "
                      "launch")
        elif outcome.state == "refused":
            self._say(f"pyshell: update refused: {outcome.reason}")
        elif outcome.state == "unavailable":
            self._say(f"pyshell: no update check this time: {outcome.reason}")

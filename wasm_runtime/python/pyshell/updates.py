"""The installed app's updates, as the host sees them: status, a check now, the restart.

An installed app that declares an update site in ``pyproject.toml``

    [tool.pyshell.updates]
    public-key = "..."          # written by `pyshell keys new`
    url = "https://downloads.example.org/notes"

is checked by the host in the background once its window is up; a verified update is
downloaded and applied at the next launch. The app's Python never contacts the site: it
asks the host what it knows, and can offer the user a restart:

    from pyshell import updates

    status = updates.status()
    if status.state == "ready":
        ...  # show "Update ready — restart", whose click calls updates.restart_to_update()

Under `pyshell run`, or without an update site, the state is ``"off"`` and nothing is
ever checked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from types import ModuleType
from typing import Any

STATES = ("off", "current", "checking", "available", "downloading", "ready", "failed")


@dataclass(frozen=True)
class Status:
    """Where the app's updates stand.

    ``state``: ``off`` (no update site, or not an installed app), ``current`` (nothing newer
    known), ``checking``, ``available`` (a newer version whose download stopped; it resumes
    at the next check), ``downloading`` (``progress`` from 0 to 1), ``ready`` (verified,
    runs from the next launch or ``restart_to_update()``), ``failed`` (``reason`` says why:
    a refused update, an unreachable site, or an update that did not start and was rolled
    back)."""

    state: str
    current: str | None = None  # the running version
    version: str | None = None  # the version offered, downloading, ready or failed
    progress: float | None = None
    reason: str | None = None
    notes: str = ""  # the release notes of ``version`` (Markdown)


def status() -> Status:
    """The host's update status now."""
    return _status(_js().updateStatus())


async def check() -> Status:
    """Check the update site now (the host does; one check at a time) and return the
    status after it: a found update is downloaded and verified before this returns."""
    return _status(await _js().updateCheck())


def restart_to_update() -> None:
    """Close the app the usual way (its ``on_close`` handlers run, and may keep it open)
    and start it again on the ready update. RuntimeError when no update is ready."""
    answer = json.loads(_js().updateRestart())
    if "error" in answer:
        raise RuntimeError(answer["error"])


def _status(text: str) -> Status:
    answer: dict[str, Any] = json.loads(text)
    if "error" in answer:
        raise RuntimeError(answer["error"])
    return Status(**{k: answer[k] for k in Status.__dataclass_fields__ if k in answer})


def _js() -> ModuleType:
    try:
        import _pyshell_js  # registered by worker.mjs (see _pyshell_js.pyi)
    except ImportError:
        raise RuntimeError("pyshell.updates works inside a pyshell app") from None
    return _pyshell_js

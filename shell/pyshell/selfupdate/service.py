"""One update check, on the host: feed, checks, downloads, unpacked and made ready.

``check`` is what an installed app runs in the background after its window is up: it
reads the signed feed from the declared site, refuses what ``feed.read`` refuses,
downloads the app layer (and the Pyodide runtime only when the feed's version of it
differs from the one running), unpacks them beside the running version and marks the
result ready for the next launch (``layout``). A version that was rolled back on this
computer is not fetched again: the next one is awaited. It never raises for a site that
cannot be reached or an update that is refused: the ``Outcome`` says what happened in one
line, for the log and for the app's update status.
"""

from __future__ import annotations

import shutil
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..config import UpdatesConfig
from . import download
from .feed import Feed, NothingNew, UpdateRefused, check_host, read
from .layout import Layout


@dataclass(frozen=True)
class Running:
    """What this launch runs: the app's package name, its version and bundle, and the
    pyshell and Pyodide versions of the install."""

    app: str
    version: str
    bundle: Path
    pyshell: str
    pyodide: str


@dataclass(frozen=True)
class Outcome:
    state: str  # "current", "ready", "unavailable" or "refused"
    version: str | None = None  # the version ready (or refused)
    reason: str | None = None  # one line, for "unavailable" and "refused"
    notes: str = ""  # the ready version's release notes


# (version, bytes so far, bytes in all): called with 0 once the feed is verified, then as
# the update's files arrive.
Progress = Callable[[str, int, int], None]


def check(updates: UpdatesConfig, layout: Layout, running: Running,
          progress: Progress | None = None) -> Outcome:
    """Check the site once; see the module docstring."""
    if updates.url is None:
        return Outcome("current")
    try:
        found = read(download.fetch_feed(updates.url), updates.public_key, running.app,
                     running.version, layout.state().seen)
    except NothingNew:
        return Outcome("current", running.version)
    except UpdateRefused as exc:
        return Outcome("refused", reason=str(exc))
    except download.UpdateUnavailable as exc:
        return Outcome("unavailable", reason=str(exc))
    layout.saw(found.version)
    if found.version == layout.state().failed:
        return Outcome("refused", found.version, f"update {found.version}: it did not start "
                       "on this computer and was rolled back; waiting for a newer version")
    try:
        check_host(found, running.pyshell)
        if layout.state().ready != found.version:
            _stage(updates.url, layout, running, found, progress)
    except UpdateRefused as exc:
        return Outcome("refused", found.version, str(exc))
    except download.UpdateUnavailable as exc:
        return Outcome("unavailable", found.version, str(exc))
    return Outcome("ready", found.version, notes=found.notes)


def _stage(url: str, layout: Layout, running: Running, found: Feed,
           progress: Progress | None) -> None:
    staging = layout.staging(found.version)
    entries = [found.file("app")]
    if found.pyodide != running.pyodide:
        entries.append(found.file("runtime"))
    total, done = sum(e.size for e in entries), 0
    if progress is not None:
        progress(found.version, 0, total)
    fetched = []
    for entry in entries:
        fetched.append(download.fetch_file(url, entry, staging,
                                           _overall(progress, found.version, done, total)))
        done += entry.size
    runtime = fetched[1] if len(fetched) > 1 else running.bundle / "runtime"
    with layout.lock:  # a clean-up must not remove the folder before it is made ready
        try:
            layout.unpack(found.version, fetched[0], runtime)
        except (ValueError, tarfile.TarError, EOFError) as exc:
            raise UpdateRefused(f"update {found.version}: its archive cannot be unpacked "
                                f"({exc})") from None
        layout.make_ready(found.version)
    shutil.rmtree(staging, ignore_errors=True)


def _overall(progress: Progress | None, version: str, before: int,
             total: int) -> download.Progress | None:
    """One file's progress as the whole update's (``before``: the bytes of earlier files)."""
    if progress is None:
        return None
    return lambda have, _size: progress(version, before + have, total)

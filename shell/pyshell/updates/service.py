"""One update check, on the host: feed, checks, downloads, unpacked and made ready.

``check`` is what an installed app runs in the background after its window is up: it
reads the signed feed from the declared site, refuses what ``feed.read`` refuses,
downloads the app layer (and the Pyodide runtime only when the feed's version of it
differs from the one running), unpacks them beside the running version and marks the
result ready for the next launch (``layout``). It never raises for a site that cannot be
reached or an update that is refused: the ``Outcome`` says what happened in one line,
for the log and for the app's update status.
"""

from __future__ import annotations

import shutil
import tarfile
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


def check(updates: UpdatesConfig, layout: Layout, running: Running,
          progress: download.Progress | None = None) -> Outcome:
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
           progress: download.Progress | None) -> None:
    staging = layout.staging(found.version)
    app = download.fetch_file(url, found.file("app"), staging, progress)
    runtime = running.bundle / "runtime"
    if found.pyodide != running.pyodide:
        runtime = download.fetch_file(url, found.file("runtime"), staging, progress)
    try:
        layout.unpack(found.version, app, runtime)
    except (ValueError, tarfile.TarError, EOFError) as exc:
        raise UpdateRefused(f"update {found.version}: its archive cannot be unpacked "
                            f"({exc})") from None
    layout.make_ready(found.version)
    shutil.rmtree(staging, ignore_errors=True)

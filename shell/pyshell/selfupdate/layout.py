"""An installed app's versions side by side, behind one pointer switched atomically.

    ROOT/state.json          the pointer: which version runs, which ran before, whether
                             the running one has reached the app's entry point yet
    ROOT/versions/VERSION/   an app bundle (pyproject.toml, ui/, app/, runtime/, wheels/)
    ROOT/staging/VERSION/    downloads in progress and verified (``download``)

``ROOT`` is in the user's data folder; the bundle the installer put down (``shipped``)
stays where it is, read-only, and is the version every fallback leads back to. Every
change of ``state.json`` is a new file written, flushed and renamed over the old one, so a
kill at any moment leaves either the old pointer or the new one, never half of either;
a version folder appears by renaming a finished ``.partial`` folder.

At each launch ``choose`` applies a version made ready since the last one, then counts
the launch; a version that was launched twice without reaching its entry point
(``reached_entry`` never called) is rolled back: the pointer returns to the previous
version, the failed folder is removed, ``State.failed`` remembers it (so the same release
is not fetched again) and ``Choice.notice`` says so, once.

``lock`` orders every change of the pointer: a background check (``saw``; ``unpack`` then
``make_ready`` under one hold), ``reached_entry`` (whose clean-up would otherwise delete a
version folder between its unpacking and its being made ready) and ``choose``, within one
process and between processes (two copies of an app that allows them, a launch beside a
running copy): each reads the pointer and writes it back under one hold of a lock file
(``ROOT/.lock``, flock), so no change is lost to another's stale read.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import sys
import tarfile
import threading
from dataclasses import asdict, dataclass, replace
from pathlib import Path, PurePosixPath

from packaging.version import InvalidVersion, Version

STATE_NAME = "state.json"
MAX_TRIES = 2  # launches a new version gets to reach its entry point


@dataclass(frozen=True)
class State:
    """The pointer. ``None`` for a version means the shipped bundle."""

    current: str | None = None
    previous: str | None = None
    ready: str | None = None  # unpacked and verified, applied at the next launch
    tries: int = 0  # launches of ``current`` that have not reached the entry point
    confirmed: bool = True  # ``current`` has reached its entry point at least once
    seen: str | None = None  # the newest version a verified feed offered (replay check)
    failed: str | None = None  # the last version rolled back: never staged again


@dataclass(frozen=True)
class Choice:
    """What to launch, and a line to show the user once (after a rollback)."""

    bundle: Path
    version: str
    notice: str | None = None


class Layout:
    """One install's update folder (``root``) and its shipped bundle."""

    def __init__(self, root: Path, shipped: Path, shipped_version: str) -> None:
        self.root = root
        self.shipped = shipped
        self.shipped_version = shipped_version
        self.lock = UpdateLock(root / ".lock")

    @property
    def versions(self) -> Path:
        return self.root / "versions"

    def staging(self, version: str) -> Path:
        return self.root / "staging" / version

    def state(self) -> State:
        """The pointer; a missing or unreadable one is the shipped bundle's."""
        try:
            data = json.loads((self.root / STATE_NAME).read_text(encoding="utf-8"))
            return State(**data)
        except (OSError, ValueError, TypeError):
            return State()

    def write(self, state: State) -> None:
        """Replace the pointer atomically and durably."""
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".{STATE_NAME}.tmp"
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(asdict(state), fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.root / STATE_NAME)
        _fsync_dir(self.root)

    def unpack(self, version: str, app: Path, runtime: Path) -> Path:
        """Make ``versions/VERSION`` from a verified app-layer archive and a runtime, all or
        nothing. ``runtime``: the feed's runtime archive, or the ``runtime/`` folder of the
        bundle running now when the Pyodide version has not changed."""
        final = self.versions / version
        partial = self.versions / f".{version}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        _extract(app, partial)
        if runtime.is_dir():
            shutil.copytree(runtime, partial / "runtime")
        else:
            _extract(runtime, partial / "runtime")
        for path in [*partial.rglob("*"), partial]:
            if path.is_file():
                _fsync_file(path)
        shutil.rmtree(final, ignore_errors=True)
        os.replace(partial, final)
        _fsync_dir(self.versions)
        return final

    def make_ready(self, version: str) -> None:
        """Mark an unpacked version to be switched to at the next launch."""
        with self.lock:
            if not (self.versions / version).is_dir():
                raise FileNotFoundError(self.versions / version)
            self.write(replace(self.state(), ready=version))

    def saw(self, version: str) -> None:
        """Remember the newest version a verified feed offered."""
        with self.lock:
            state = self.state()
            if state.seen is None or Version(version) > Version(state.seen):
                self.write(replace(state, seen=version))

    def choose(self) -> Choice:
        """At launch: apply, roll back or count, then say which bundle to run."""
        with self.lock:
            return self._choose()

    def _choose(self) -> Choice:
        state = self._sane(self.state())
        failed = None
        if state.ready is not None:
            state = State(current=state.ready, previous=state.current, tries=0,
                          confirmed=False, seen=state.seen, failed=state.failed)
        elif not state.confirmed and state.tries >= MAX_TRIES:
            failed = state.current
            state = State(current=state.previous, seen=state.seen, failed=failed)
        if not state.confirmed:
            state = replace(state, tries=state.tries + 1)
        self.write(state)
        name = self._name(state.current)
        if failed is None:
            return Choice(self._bundle(state.current), name)
        shutil.rmtree(self.versions / failed, ignore_errors=True)
        return Choice(self._bundle(state.current), name,
                      f"the update to {failed} did not start twice; went back to {name}")

    def reached_entry(self) -> None:
        """The running version works: keep it, and drop the folders of older ones."""
        with self.lock:
            state = self.state()
            if not state.confirmed:
                self.write(replace(state, tries=0, confirmed=True, previous=None))
            keep = {state.current, state.ready}
            for folder in self.versions.glob("*") if self.versions.is_dir() else ():
                if folder.name not in keep:
                    shutil.rmtree(folder, ignore_errors=True)

    def _sane(self, state: State) -> State:
        """Fall back to the shipped bundle when the pointer names a missing folder or a
        version not newer than the shipped one (a newer package was installed over it)."""
        if state.ready is not None and not self._newer(state.ready):
            state = replace(state, ready=None)
        if state.current is not None and not self._newer(state.current):
            return State(seen=state.seen, ready=state.ready, failed=state.failed)
        if state.previous is not None and not self._newer(state.previous):
            state = replace(state, previous=None)
        return state

    def _newer(self, version: str) -> bool:
        try:
            newer = Version(version) > Version(self.shipped_version)
        except InvalidVersion:
            return False
        return newer and (self.versions / version / "pyproject.toml").is_file()

    def _bundle(self, version: str | None) -> Path:
        return self.shipped if version is None else self.versions / version

    def _name(self, version: str | None) -> str:
        return self.shipped_version if version is None else version


class UpdateLock:
    """A lock for one thread at a time of one process at a time: a reentrant thread lock
    with an exclusive lock on the file ``path`` held while any thread holds it (``flock``;
    on Windows a byte-range lock on its first byte)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._threads = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    def __enter__(self) -> UpdateLock:
        self._threads.acquire()
        if self._depth == 0:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            _lock_file(self._fd)
        self._depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            _unlock_file(self._fd)
            os.close(self._fd)
            self._fd = None
        self._threads.release()


def _lock_file(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        while True:  # LK_LOCK tries for 10 s, then says EDEADLK; the holder is still working
            try:
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
                return
            except OSError as exc:
                if exc.errno != errno.EDEADLK:
                    raise
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX)


def _unlock_file(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # at offset 0 still: nothing reads or writes fd
    # elsewhere the close releases the flock


def _extract(archive: Path, dest: Path) -> None:
    """Regular files and folders only, each strictly inside ``dest``, without the
    archive's top folder (this Python's tarfile may predate extraction filters)."""
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar:
            parts = PurePosixPath(member.name).parts[1:]
            if not parts:
                continue
            if PurePosixPath(member.name).is_absolute() or ".." in parts or not (
                    member.isfile() or member.isdir()):
                raise ValueError(f"{archive.name}: unsafe entry {member.name!r}")
            target = dest.joinpath(*parts)
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            assert source is not None  # a regular file always has data
            with source, target.open("wb") as out:
                shutil.copyfileobj(source, out)


def _fsync_file(path: Path) -> None:
    with path.open("rb") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

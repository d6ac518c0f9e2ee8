"""Start-up snapshots: Pyodide's memory after boot, kept per app and per webview engine.

A cold start spends seconds in CPython's own start-up inside WebAssembly; restoring a
memory snapshot skips it. Snapshots are engine-specific (one made in QtWebEngine crashes
WebKitGTK), so the page names its engine (a hash of its user agent) and the file name
joins that to ``key``: everything else a snapshot depends on (runtime build, pyshell's
in-WebAssembly API, the locked wheels, the snapshot recipe). A change to any of it gives
a new key; old files are removed when a new one is saved. Snapshots live in the user
cache, never in installers (6 MB compressed per engine would double a small .deb).

The page uploads them gzipped (a 31 MB request body stalls Chromium's page for seconds)
and they are stored and served that way, with ``Content-Encoding: gzip``. An upload is
checked while it streams in (one whole gzip stream, at most ``MAX_INFLATED`` inflated)
and stored with an HMAC that only this host can make, checked before every restore.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path

from . import runtime
from .bundle import python_files
from .config import AppConfig
from .packages import Packages
from .resources import WASM_PYTHON_DIR, WASM_RUNTIME_DIR

RECIPE = 3  # bump when what goes into a snapshot (or how it is stored) changes
_ENGINE = re.compile(r"^[0-9a-f]{16,64}$")


# Standard-library modules never imported ahead: importing them has effects of its own.
_NOT_AHEAD = frozenset({"__main__", "antigravity", "this", "idlelib", "tkinter", "turtle",
                        "turtledemo"})


def imports(app: AppConfig | None, packages: Packages | None = None) -> list[str]:
    """Modules a snapshot imports for the app: the ones it lists (``snapshot-imports``) and
    the modules of the standard library and of its locked packages that its code imports
    (read from the source, not run). Right after a restore Python runs on the engine's
    baseline wasm tier, several times slower, so every import done ahead is worth it."""
    if app is None:
        return []
    ahead = set(sys.stdlib_module_names) - _NOT_AHEAD
    if packages is not None and packages.lock is not None:
        ahead |= {name for p in packages.lock.packages for name in p.imports}
    files = _versions(path for _, path in python_files(app))
    with _PARSING:
        found = _imports_in(files, frozenset(ahead))
    return [*found, *app.snapshot_imports]


def key(rt: runtime.Runtime, packages: Packages, app: AppConfig | None = None) -> str:
    """What a snapshot depends on, hashed. The app's own code counts only when the app
    imports some of it into the snapshot (``snapshot-imports``); otherwise it loads after."""
    digest = hashlib.sha256()
    digest.update(json.dumps({"recipe": RECIPE, "runtime": rt.version,
                              "wheels": sorted(packages.files),
                              "imports": imports(app, packages)}).encode())
    files = [*WASM_PYTHON_DIR.rglob("*.py"), WASM_RUNTIME_DIR / "worker.mjs"]
    if app is not None and app.snapshot_imports:
        files += [path for _, path in python_files(app)]
    digest.update(_contents_digest(_versions(sorted(set(files)))))
    if packages.lock is not None:
        digest.update("".join(sorted(p.sha256 for p in packages.lock.packages)).encode())
    return digest.hexdigest()[:32]


# ``imports`` and ``key`` read (and parse) every Python file of the app and of pyshell's
# API: tens of milliseconds, asked for by every page load and every snapshot request, on
# the way to the app's first paint. They are worked out again only when a file is added,
# removed or rewritten (its inode, size, or change or modification time differs).
# One parse at a time: CPython 3.11's ast.parse is not safe in two threads at once
# ("AST constructor recursion depth mismatch"), and the server asks from several.
Versions = tuple[tuple[str, int, int, int, int], ...]
_PARSING = threading.Lock()


def _versions(paths: Iterable[Path]) -> Versions:
    """What identifies each file's content; a file changed in the last two seconds counts
    as new every time (a rewrite of the same size within one tick of a coarse clock would
    keep its times), as Git treats recently changed files."""
    now = time.time_ns()
    out = []
    for path in paths:
        st = path.stat()
        recent = now - max(st.st_mtime_ns, st.st_ctime_ns) < 2_000_000_000
        out.append((str(path), st.st_ino, st.st_size,
                    time.monotonic_ns() if recent else st.st_mtime_ns, st.st_ctime_ns))
    return tuple(out)


@functools.lru_cache(maxsize=16)
def _imports_in(files: Versions, ahead: frozenset[str]) -> tuple[str, ...]:
    found: set[str] = set()
    for path, *_ in files:
        try:
            tree = _parse(Path(path).read_bytes())
        except (SyntaxError, ValueError):
            continue  # the app reports its own syntax errors when it runs
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and \
                not node.level else []
            found.update(n for n in names if n.partition(".")[0] in ahead)
    return tuple(sorted(found))


def _parse(source: bytes) -> ast.Module:
    """``ast.parse``, once more if another thread parsed at the same moment (3.11's
    traceback formatting does, outside ``_PARSING``)."""
    try:
        return ast.parse(source)
    except SystemError:
        return ast.parse(source)


@functools.lru_cache(maxsize=16)
def _contents_digest(files: Versions) -> bytes:
    digest = hashlib.sha256()
    for path, *_ in files:
        digest.update(path.encode())
        digest.update(Path(path).read_bytes())
    return digest.digest()


class SnapshotRefused(Exception):
    """A snapshot that must not be stored or restored; the message says why, in a phrase."""


MAX_INFLATED = 1 << 30  # a Pyodide heap right after boot is tens to a few hundred MB
_MAC_CONTEXT = b"pyshell start-up snapshot\0"


class SnapshotStore:
    """One app's snapshots on disk: ``<app>/<key>-<engine>.snap`` and its ``.mac``.

    A restored snapshot *is* the app's interpreter, so only snapshots this host accepted
    from its own window are ever restored: each stored file carries an HMAC made with a
    key that never leaves the host (``mac_key``), checked before the file is served. A
    file planted or changed in the cache by anything else is refused and deleted.
    """

    def __init__(self, app_name: str, key: str | Callable[[], str],
                 root: Path | None = None) -> None:
        """``key``: a value, or a function (dev mode: the app's files change while it runs)."""
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", app_name)
        self.root = root or runtime.cache_root() / "snapshots"
        self.folder = self.root / safe
        self._key = key

    @property
    def key(self) -> str:
        return self._key() if callable(self._key) else self._key

    def warm_up(self) -> None:
        """Work the key out once ahead: later asks only check that no file changed (a file
        that cannot be read now is said when a page asks)."""
        with contextlib.suppress(OSError):
            _ = self.key

    def path(self, engine: str) -> Path | None:
        """The file for an engine id, or None if the id is malformed."""
        return self.folder / f"{self.key}-{engine}.snap" if _ENGINE.match(engine) else None

    def load(self, engine: str) -> bytes | None:
        """The stored snapshot, or None; raises SnapshotRefused (and deletes it) when its
        MAC does not match: it was not stored by this host."""
        path = self.path(engine)
        if path is None or not path.is_file():
            return None
        data = path.read_bytes()
        mac = path.with_suffix(".mac")
        expected = _mac(mac_key(self.root), path.name, [data])
        stored = mac.read_text().strip() if mac.is_file() else ""
        if not hmac.compare_digest(stored, expected):
            self.discard(engine)
            raise SnapshotRefused("its MAC does not match: it was not stored by pyshell "
                                  "or was changed on disk")
        return data

    def upload(self, engine: str) -> SnapshotUpload:
        """A new snapshot for ``engine``, written piece by piece as it arrives."""
        path = self.path(engine)
        if path is None:
            raise SnapshotRefused("malformed engine id")
        return SnapshotUpload(self, path)

    def save(self, engine: str, data: bytes) -> bool:
        """Keep ``data`` if it is one whole gzip stream of a sane size (see ``upload``)."""
        try:
            upload = self.upload(engine)
        except SnapshotRefused:
            return False
        try:
            upload.write(data)
            upload.commit()
            return True
        except SnapshotRefused:
            return False
        finally:
            upload.abort()

    def clear(self) -> None:
        """Drop every snapshot of the app, whatever its key (an update rolled back: its
        snapshots are of no use, and the next launch makes a fresh one)."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def discard(self, engine: str) -> None:
        path = self.path(engine)
        if path is not None:
            path.unlink(missing_ok=True)
            path.with_suffix(".mac").unlink(missing_ok=True)


class SnapshotUpload:
    """An upload in progress: written to a temp file, inflated on the way (never kept) to
    check it is one whole gzip stream within ``MAX_INFLATED``, and MACed. Nothing replaces
    the stored snapshot until ``commit``; ``abort`` drops the temp file."""

    def __init__(self, store: SnapshotStore, path: Path) -> None:
        store.folder.mkdir(parents=True, exist_ok=True)
        self._store, self._path = store, path
        fd, tmp = tempfile.mkstemp(prefix=".snap-", dir=store.folder)
        self._tmp = Path(tmp)
        self._file = os.fdopen(fd, "wb")
        self._mac = hmac.new(mac_key(store.root), _MAC_CONTEXT + path.name.encode() + b"\0",
                             hashlib.sha256)
        self._inflater = zlib.decompressobj(wbits=31)
        self.inflated = 0

    def write(self, data: bytes) -> None:
        """Take the next piece; SnapshotRefused as soon as it cannot be a good snapshot."""
        self._file.write(data)
        self._mac.update(data)
        try:
            piece = self._inflater.decompress(data, 1 << 22)
            while True:
                self.inflated += len(piece)
                if self.inflated > MAX_INFLATED:
                    raise SnapshotRefused(f"it inflates to more than {MAX_INFLATED >> 20} MiB")
                if not self._inflater.unconsumed_tail:
                    break
                piece = self._inflater.decompress(self._inflater.unconsumed_tail, 1 << 22)
        except zlib.error:
            raise SnapshotRefused("it is not a gzip stream") from None
        if self._inflater.unused_data:
            raise SnapshotRefused("data follows the gzip stream")

    def commit(self) -> None:
        """Store it (atomically) with its MAC; drop this engine's snapshots of other keys."""
        if not self._inflater.eof:
            raise SnapshotRefused("the gzip stream is cut short")
        self._file.close()
        os.replace(self._tmp, self._path)
        mac = self._path.with_suffix(".mac")
        mac_tmp = mac.with_name(f".{mac.name}.tmp")
        mac_tmp.write_text(self._mac.hexdigest())
        os.replace(mac_tmp, mac)
        engine = self._path.stem.rpartition("-")[2]
        for old in self._store.folder.glob(f"*-{engine}.snap"):
            if old != self._path:
                old.unlink(missing_ok=True)
                old.with_suffix(".mac").unlink(missing_ok=True)

    def abort(self) -> None:
        if not self._file.closed:
            self._file.close()
        self._tmp.unlink(missing_ok=True)


def _mac(key: bytes, name: str, pieces: list[bytes]) -> str:
    digest = hmac.new(key, _MAC_CONTEXT + name.encode() + b"\0", hashlib.sha256)
    for piece in pieces:
        digest.update(piece)
    return digest.hexdigest()


def mac_key(root: Path) -> bytes:
    """The host's snapshot key (``root/snapshot.key``, mode 0600), made on first use.

    Only this user's processes can read it; the page never sees it. A key file that is
    not private (other users could read it) or not 32 bytes is replaced, which makes
    every stored snapshot unusable: they are then remade.
    """
    path = root / "snapshot.key"
    root.mkdir(parents=True, exist_ok=True)
    for _ in range(3):
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            _create_key(path)
            continue
        with os.fdopen(fd, "rb") as fh:
            info = os.fstat(fh.fileno())
            key = fh.read(64)
        if len(key) == 32 and info.st_mode & 0o077 == 0 and (
                not hasattr(os, "getuid") or info.st_uid == os.getuid()):
            return key
        path.unlink(missing_ok=True)
    raise SnapshotRefused(f"cannot keep a private key in {root}")


def _create_key(path: Path) -> None:
    """Write a new key under a temp name, then link it into place (the first writer wins)."""
    fd, tmp = tempfile.mkstemp(prefix=".key-", dir=path.parent)  # mkstemp: mode 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
    finally:
        os.unlink(tmp)


def is_whole_gzip(data: bytes) -> bool:
    """True if ``data`` is one complete gzip stream (inflated in pieces, then dropped)."""
    inflater = zlib.decompressobj(wbits=31)
    try:
        for at in range(0, len(data), 1 << 20):
            inflater.decompress(data[at:at + (1 << 20)], 1 << 22)
            while inflater.unconsumed_tail:
                inflater.decompress(inflater.unconsumed_tail, 1 << 22)
    except zlib.error:
        return False
    return inflater.eof and not inflater.unused_data

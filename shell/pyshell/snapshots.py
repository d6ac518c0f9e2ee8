"""Start-up snapshots: Pyodide's memory after boot, kept per app and per webview engine.

A cold start spends seconds in CPython's own start-up inside WebAssembly; restoring a
memory snapshot skips it. Snapshots are engine-specific (one made in QtWebEngine crashes
WebKitGTK), so the page names its engine (a hash of its user agent) and the file name
joins that to ``key``: everything else a snapshot depends on (runtime build, pyshell's
in-WebAssembly API, the locked wheels, the snapshot recipe). A change to any of it gives
a new key; old files are removed when a new one is saved. Snapshots live in the user
cache, never in installers (6 MB compressed per engine would double a small .deb).

The page uploads them gzipped (a 31 MB request body stalls Chromium's page for seconds)
and they are stored and served that way, with ``Content-Encoding: gzip``.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import sys
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path

from . import runtime
from .bundle import python_files
from .config import AppConfig
from .deps.service import Packages
from .resources import WASM_PYTHON_DIR, WASM_RUNTIME_DIR

RECIPE = 2  # bump when what goes into a snapshot changes
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
    found: set[str] = set()
    for _, path in python_files(app):
        try:
            tree = ast.parse(path.read_bytes())
        except (SyntaxError, ValueError):
            continue  # the app reports its own syntax errors when it runs
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and \
                not node.level else []
            found.update(n for n in names if n.partition(".")[0] in ahead)
    return [*sorted(found), *app.snapshot_imports]


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
    for path in sorted(set(files)):
        digest.update(str(path).encode())
        digest.update(path.read_bytes())
    if packages.lock is not None:
        digest.update("".join(sorted(p.sha256 for p in packages.lock.packages)).encode())
    return digest.hexdigest()[:32]


class SnapshotStore:
    """One app's snapshots on disk: ``<app>/<key>-<engine>.snap``."""

    def __init__(self, app_name: str, key: str | Callable[[], str],
                 root: Path | None = None) -> None:
        """``key``: a value, or a function (dev mode: the app's files change while it runs)."""
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", app_name)
        self.folder = (root or runtime.cache_root() / "snapshots") / safe
        self._key = key

    @property
    def key(self) -> str:
        return self._key() if callable(self._key) else self._key

    def path(self, engine: str) -> Path | None:
        """The file for an engine id, or None if the id is malformed."""
        return self.folder / f"{self.key}-{engine}.snap" if _ENGINE.match(engine) else None

    def load(self, engine: str) -> bytes | None:
        path = self.path(engine)
        return path.read_bytes() if path is not None and path.is_file() else None

    def save(self, engine: str, data: bytes) -> bool:
        """Keep a whole gzip stream (an upload cut short is refused), written atomically;
        drop this engine's snapshots made for other keys."""
        path = self.path(engine)
        if path is None or not is_whole_gzip(data):
            return False
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".snap-", dir=self.folder)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
        for old in self.folder.glob(f"*-{engine}.snap"):
            if old != path:
                old.unlink(missing_ok=True)
        return True

    def discard(self, engine: str) -> None:
        path = self.path(engine)
        if path is not None:
            path.unlink(missing_ok=True)


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

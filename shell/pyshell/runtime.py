"""The pinned Pyodide runtime: fetched once with npm, verified, cached per user, reused offline.

The npm tarball carries more than an app needs (source maps, type stubs, demo consoles,
the UMD build); only ``RUNTIME_FILES`` are kept. Downloads never go to the repository.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from .errors import PyshellError, stderr_line
from .progress import Ticker

PYODIDE_VERSION = "314.0.7"
# npm's own integrity string for pyodide-314.0.7.tgz (sha512, base64).
PYODIDE_INTEGRITY = (
    "sha512-0YvXxEhfEdpLfb/XkM2BFAeMROq0iMUX2bzzH9pOttyMcWkwq+HbE5uyuGD82LN7y2q+SNvi/6V5JEsOlD2R1A=="
)
RUNTIME_FILES = (
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
    "package.json",
)
_MARKER = ".pyshell-complete"


@dataclass(frozen=True)
class Runtime:
    """A verified, unpacked Pyodide in the cache."""

    version: str
    path: Path

    def file(self, name: str) -> Path:
        return self.path / name

    def lock(self) -> dict[str, Any]:
        text = self.file("pyodide-lock.json").read_text(encoding="utf-8")
        lock: dict[str, Any] = json.loads(text)
        return lock

    @property
    def python_version(self) -> str:
        version: str = self.lock()["info"]["python"]
        return version


def cache_root() -> Path:
    """The per-user cache folder; ``PYSHELL_CACHE_DIR`` overrides it (tests, CI)."""
    override = os.environ.get("PYSHELL_CACHE_DIR")
    return Path(override) if override else platformdirs.user_cache_path("pyshell")


def runtime_dir(version: str = PYODIDE_VERSION) -> Path:
    return cache_root() / "pyodide" / version


def cached(version: str = PYODIDE_VERSION) -> Runtime | None:
    """The cached runtime if it is complete, else None (never touches the network)."""
    path = runtime_dir(version)
    marker = path / _MARKER
    if marker.is_file() and marker.read_text().strip() == PYODIDE_INTEGRITY:
        if all((path / name).is_file() for name in RUNTIME_FILES):
            return Runtime(version, path)
    return None


def ensure(allow_download: bool = True) -> Runtime:
    """Return the cached runtime, fetching it first when missing and allowed."""
    found = cached()
    if found:
        return found
    if not allow_download or os.environ.get("PYSHELL_OFFLINE") == "1":
        raise PyshellError(
            f"Pyodide {PYODIDE_VERSION} is not in the cache ({runtime_dir()}); "
            "run `pyshell runtime fetch` once while online"
        )
    npm = _npm()
    with tempfile.TemporaryDirectory(prefix="pyshell-fetch-") as tmp:
        what = f"fetching Pyodide {PYODIDE_VERSION} with npm (once; then it is cached)"
        with Ticker(what) as tick:
            tarball = _npm_pack(npm, Path(tmp))
        verify(tarball, PYODIDE_INTEGRITY)
        _install(tarball, runtime_dir())
        print(f"pyshell: Pyodide {PYODIDE_VERSION}: {tarball.stat().st_size / 1e6:.0f} MB "
              f"fetched in {tick.elapsed:.0f} s and verified", file=sys.stderr, flush=True)
    found = cached()
    assert found is not None
    return found


def verify(tarball: Path, integrity: str) -> None:
    """Refuse a tarball whose sha512 differs from the pinned npm integrity string."""
    algo, _, expected = integrity.partition("-")
    digest = hashlib.new(algo)
    with tarball.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    actual = base64.b64encode(digest.digest()).decode()
    if actual != expected:
        raise PyshellError(
            f"{tarball.name}: integrity check failed (expected {algo}-{expected[:16]}..., "
            f"got {algo}-{actual[:16]}...); delete it and fetch again"
        )


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise PyshellError(
            "npm not found: pyshell fetches Pyodide with npm; install Node.js and npm "
            "(Debian: apt-get install npm) and run `pyshell runtime fetch`"
        )
    return npm


def _npm_pack(npm: str, dest: Path) -> Path:
    spec = f"pyodide@{PYODIDE_VERSION}"
    unreachable = _unreachable(npm)
    if unreachable:
        raise PyshellError(f"cannot fetch Pyodide {PYODIDE_VERSION}: {unreachable}; connect to "
                           "the network once and run `pyshell runtime fetch`")
    try:
        proc = subprocess.run(
            [npm, "pack", spec, "--pack-destination", str(dest), "--json", "--silent"],
            capture_output=True, text=True, timeout=600, cwd=dest,
        )
    except subprocess.TimeoutExpired:
        raise PyshellError(f"npm pack {spec} timed out; check the network and retry") from None
    tarballs = list(dest.glob("pyodide-*.tgz"))
    if proc.returncode != 0 or len(tarballs) != 1:
        reason = stderr_line(proc.stderr, f"exit code {proc.returncode}", marks=("npm error",),
                             first=True, limit=200)
        raise PyshellError(
            f"could not download Pyodide {PYODIDE_VERSION} with npm ({reason}); "
            "connect to the network once and run `pyshell runtime fetch`"
        )
    return tarballs[0]


def _unreachable(npm: str, timeout: float = 5.0) -> str | None:
    """Why npm's registry cannot be reached from here, or None (reachable, or behind a
    proxy, which npm knows how to use and this check does not). Seconds, where npm itself
    would retry for minutes before it says anything."""
    if any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY",
                                       "http_proxy", "npm_config_proxy",
                                       "npm_config_https_proxy")):
        return None
    try:
        proc = subprocess.run([npm, "config", "get", "registry"], capture_output=True,
                              text=True, timeout=30)
    except subprocess.TimeoutExpired:
        return None
    url = urllib.parse.urlsplit(proc.stdout.strip())
    if not url.hostname:
        return None
    port = url.port or (443 if url.scheme == "https" else 80)
    failure: list[str] = []

    def connect() -> None:
        try:
            socket.create_connection((url.hostname, port), timeout=timeout).close()
        except OSError as exc:
            failure.append(exc.strerror or str(exc))

    probe = threading.Thread(target=connect, daemon=True)  # name lookups ignore timeouts
    probe.start()
    probe.join(timeout)
    if probe.is_alive():
        return f"npm's registry ({url.hostname}) did not answer within {timeout:.0f} s"
    if failure:
        return f"npm's registry ({url.hostname}:{port}) is unreachable ({failure[0]})"
    return None


def _install(tarball: Path, target: Path) -> None:
    """Unpack only RUNTIME_FILES, then move the folder into place in one rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=target.parent))
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            for name in RUNTIME_FILES:
                member = tar.getmember(f"package/{name}")
                src = tar.extractfile(member)
                if src is None:
                    raise PyshellError(f"{tarball.name}: {name} is not a regular file")
                with src, (staging / name).open("wb") as out:
                    shutil.copyfileobj(src, out)
        (staging / _MARKER).write_text(PYODIDE_INTEGRITY + "\n")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    except KeyError as exc:
        raise PyshellError(f"{tarball.name}: missing {exc}; not a Pyodide package") from None
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)

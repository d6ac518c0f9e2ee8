"""The app's locked dependencies installed for the host's own Python, for its host tests.

The lock pins every package by name and version for WebAssembly; the same pins installed
for this machine's Python make the app's plain-logic modules importable under ``pytest``
on the host. Installed once per set of pins, Python version and platform into the pyshell
cache, next to the WebAssembly wheels, and reused by every later run.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ..errors import PyshellError, stderr_line
from ..runtime import cache_root
from .lock import Lock


def pins(lock: Lock) -> list[str]:
    return sorted(f"{p.name}=={p.version}" for p in lock.packages)


def folder_for(lock: Lock) -> Path:
    """Where the pins of ``lock`` are (or will be) installed for this host."""
    key = "\n".join([*pins(lock), sys.version, platform.machine(), sys.platform])
    return cache_root() / "host-deps" / hashlib.sha256(key.encode()).hexdigest()[:16]


def ensure(lock: Lock) -> Path | None:
    """A folder to put on ``sys.path`` with the lock's packages, or None if it has none."""
    wanted = pins(lock)
    if not wanted:
        return None
    folder = folder_for(lock)
    if folder.is_dir():
        return folder
    if os.environ.get("PYSHELL_OFFLINE") == "1":
        raise PyshellError("cannot install the app's dependencies for host tests with "
                           "PYSHELL_OFFLINE=1; run `pyshell test` once while online")
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".installing-") as work:
        target = Path(work) / "site"
        done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                               "--disable-pip-version-check", "--target", str(target), *wanted],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise PyshellError(f"could not install {' '.join(wanted)} for this host's Python "
                               f"(host tests import them): "
                               f"{stderr_line(done.stderr, 'no message', marks=('ERROR',))}")
        try:
            target.rename(folder)
        except OSError:  # another run installed the same pins meanwhile
            shutil.rmtree(target, ignore_errors=True)
    return folder

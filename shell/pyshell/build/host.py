"""pyshell's host side, vendored into installed apps: its runtime plus pure-Python dependencies.

Of pyshell itself only the runtime goes in: the modules ``RUNTIME_MODULES`` lists (the app
server, its routes and guard, files, window, engines, snapshots, the installed entry
point...), never the tooling that builds, locks or reloads apps. tests/test_layers.py
checks that the runtime imports nothing else, and tests/test_build.py runs an installed
app without the rest.

The dependencies' versions are the ones this pyshell runs with (read from the environment),
fetched once with pip into the user cache and reused; nothing is committed. Native extras
are dropped: websockets' optional C speedups (it falls back to Python) and pywebview's
Windows DLLs and Android jar, which Linux packages never load.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from .. import runtime
from ..bundle import SKIP_DIRS
from ..errors import PyshellError, stderr_line
from ..resources import WASM_RUNTIME_DIR
from .files import copy_tree

# What an installed app imports on the host (watchdog is dev-only, so it stays out).
HOST_REQUIREMENTS = ("starlette", "uvicorn", "platformdirs", "pywebview", "websockets",
                     "packaging")
# pyshell's runtime, relative to the package folder; a name ending in "/" is a whole folder.
RUNTIME_MODULES = (
    "__init__.py", "appcode.py", "associations.py", "bundle.py", "capabilities.py",
    "changes.py", "clipboardservice.py", "config.py", "connections.py", "containment.py",
    "contract.py", "decoder.py", "errors.py", "fileservice.py", "fileurls.py", "hostevents.py",
    "instance.py",
    "notifier.py",
    "fsapi.py", "installed.py", "launcher.py", "lifecycle.py", "locks.py", "menumodel.py",
    "packages.py",
    "peercred.py", "permissions.py", "pickers.py", "progress.py", "resources.py",
    "resumepaint.py", "runtime.py", "sandbox.py",
    "security.py", "server.py", "session.py", "snapshots.py", "terminal.py", "urls.py",
    "thumbcache.py", "thumbmaker.py", "trayicon.py", "window.py", "windowmanager.py",
    "windowstate.py",
    "deps/__init__.py", "deps/lock.py",  # reading the lock; the resolver stays out
    "selfupdate/__init__.py", "selfupdate/download.py", "selfupdate/feed.py",  # the signing key
    "selfupdate/layout.py", "selfupdate/service.py", "selfupdate/updater.py",  # and its tools
    # stay out
    "engines/", "guard/", "routes/",
)
PACKAGE_DIR = Path(__file__).resolve().parents[1]
_DROP = ("bin", "webview/lib")
_DROP_SUFFIXES = (".so", ".pyd", ".dll", ".jar", ".pyc", ".cdx.json")  # .cdx.json: SBOMs


def pins() -> list[str]:
    return [pin(name) for name in HOST_REQUIREMENTS]


def pin(name: str) -> str:
    """``name==VERSION`` of the version this pyshell runs with."""
    return f"{name}=={importlib.metadata.version(name)}"


def vendor(dest: Path, out: TextIO) -> None:
    """Fill ``dest`` with pyshell's runtime and its host dependencies, ready for ``sys.path``."""
    shutil.copytree(_third_party(out), dest, dirs_exist_ok=True)
    copy_runtime(dest / "pyshell")


def copy_runtime(dest: Path) -> None:
    """pyshell's runtime modules, and the code the page runs, into the package folder ``dest``."""
    for name in RUNTIME_MODULES:
        if name.endswith("/"):
            copy_tree(PACKAGE_DIR / name, dest / name)
        else:
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(PACKAGE_DIR / name, dest / name)
    copy_tree(WASM_RUNTIME_DIR, dest / "wasm_runtime")


def _third_party(out: TextIO) -> Path:
    key = hashlib.sha256(" ".join(pins()).encode()).hexdigest()[:16]
    cached = runtime.cache_root() / "host" / key
    if cached.is_dir():
        return cached
    out.write("pyshell: fetching host packages: " + ", ".join(pins()) + "\n")
    with tempfile.TemporaryDirectory(prefix="pyshell-host-") as tmp:
        target = Path(tmp) / "lib"
        proc = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-compile",
                               "--disable-pip-version-check", "--target", str(target), *pins()],
                              capture_output=True, text=True, timeout=1800)
        if proc.returncode != 0:
            last = stderr_line(proc.stderr, "pip failed")
            raise PyshellError(f"could not fetch pyshell's host packages with pip ({last}); "
                               "connect to the network once and build again")
        _clean(target)
        cached.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(target, Path(tmp) / "done")
        (Path(tmp) / "done").rename(cached)
    return cached


def _clean(target: Path) -> None:
    for rel in _DROP:
        shutil.rmtree(target / rel, ignore_errors=True)
    for path in sorted(target.rglob("*"), reverse=True):
        if path.name in SKIP_DIRS and path.is_dir():
            shutil.rmtree(path)
        elif path.name.endswith(_DROP_SUFFIXES):
            path.unlink()
        elif path.suffix == ".py" and path.parent == target:
            text = path.read_text(encoding="utf-8")
            if text.startswith("#!"):  # a module, not a script: no interpreter line
                path.write_text(text.split("\n", 1)[1], encoding="utf-8")
    for path in sorted(target.rglob("*"), reverse=True):
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()

"""pyshell's host side, vendored into installed apps: our code plus pure-Python dependencies.

The versions are the ones this pyshell runs with (read from the environment), fetched once
with pip into the user cache and reused; nothing is committed. Native extras are dropped:
websockets' optional C speedups (it falls back to Python) and pywebview's Windows DLLs
and Android jar, which Linux packages never load.
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
from ..errors import PyshellError
from ..resources import WASM_RUNTIME_DIR
from .files import SKIP, copy_tree

# What an installed app imports on the host (watchdog is dev-only, so it stays out).
HOST_REQUIREMENTS = ("starlette", "uvicorn", "platformdirs", "pywebview", "websockets",
                     "packaging")
_DROP = ("bin", "webview/lib")
_DROP_SUFFIXES = (".so", ".pyd", ".dll", ".jar", ".pyc", ".cdx.json")  # .cdx.json: SBOMs


def pins() -> list[str]:
    return [f"{name}=={importlib.metadata.version(name)}" for name in HOST_REQUIREMENTS]


def vendor(dest: Path, out: TextIO) -> None:
    """Fill ``dest`` with pyshell and its host dependencies, ready for ``sys.path``."""
    third_party = _third_party(out)
    shutil.copytree(third_party, dest, dirs_exist_ok=True)
    package = Path(__file__).resolve().parents[1]
    copy_tree(package, dest / "pyshell")
    if not (dest / "pyshell" / "wasm_runtime").is_dir():
        copy_tree(WASM_RUNTIME_DIR, dest / "pyshell" / "wasm_runtime")
    for unused in ("app_template", "testing.py"):
        target = dest / "pyshell" / unused
        shutil.rmtree(target) if target.is_dir() else target.unlink(missing_ok=True)


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
            last = (proc.stderr.strip().splitlines() or ["pip failed"])[-1]
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
        if path.name in SKIP and path.is_dir():
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

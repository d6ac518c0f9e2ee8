"""The zip of Python code the worker unpacks before running the app.

It holds pyshell's in-WebAssembly API (``wasm_runtime/python``) and the app's own
packages, read fresh on every request so that a page reload always runs the saved code.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePath

from .config import AppConfig
from .resources import WASM_PYTHON_DIR

# Never an app's own code or assets, wherever a tree is walked: the bundle, a build's copies,
# the dev watcher. Besides these, any name starting with "." is skipped.
SKIP_DIRS = frozenset({"__pycache__", ".git", ".hg", ".venv", "venv", "node_modules",
                       ".mypy_cache", ".pytest_cache", ".ruff_cache", ".idea", ".vscode"})
SKIP_SUFFIXES = (".pyc", ".pyo")
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def python_files(app: AppConfig) -> Iterator[tuple[str, Path]]:
    """(archive name, file) for everything the worker mounts, pyshell's API first."""
    yield from _walk(WASM_PYTHON_DIR, WASM_PYTHON_DIR)
    for package in app.packages:
        yield from _walk(app.root / package, app.root)


def build_zip(app: AppConfig) -> bytes:
    """A deterministic zip (sorted, fixed timestamps) so identical code gives identical bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for name, path in sorted(python_files(app)):
            info = zipfile.ZipInfo(name, _ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, path.read_bytes())
    return buf.getvalue()


def skipped(rel: PurePath) -> bool:
    """A cache, VCS or environment folder, a dot-file or bytecode (``rel``: inside the tree)."""
    return (any(part in SKIP_DIRS or part.startswith(".") for part in rel.parts)
            or rel.name.endswith(SKIP_SUFFIXES))


def tree(folder: Path) -> Iterator[Path]:
    """The folders and files under ``folder`` in sorted order, without what ``skipped`` says
    and without symlinks."""
    for path in sorted(folder.rglob("*")):
        if not skipped(path.relative_to(folder)) and not path.is_symlink():
            yield path


def _walk(folder: Path, base: Path) -> Iterator[tuple[str, Path]]:
    for path in tree(folder):
        if path.is_file():
            yield path.relative_to(base).as_posix(), path

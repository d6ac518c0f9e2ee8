"""The zip of Python code the worker unpacks before running the app.

It holds pyshell's in-WebAssembly API (``wasm_runtime/python``) and the app's own
packages, read fresh on every request so that a page reload always runs the saved code.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

from .config import AppConfig
from .resources import WASM_PYTHON_DIR

_SKIP_DIRS = {"__pycache__", ".git", ".venv", "venv", "node_modules", ".mypy_cache",
              ".pytest_cache", ".ruff_cache"}
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


def _walk(folder: Path, base: Path) -> Iterator[tuple[str, Path]]:
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(base)
        if any(part in _SKIP_DIRS or part.startswith(".") for part in rel.parts):
            continue
        if path.is_file() and not path.is_symlink() and path.suffix not in (".pyc", ".pyo"):
            yield rel.as_posix(), path
